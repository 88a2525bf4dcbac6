/**
 * Before an SDK that retries an unreachable endpoint for minutes gets it, one resolve-and-connect
 * says in seconds what is wrong (Blob Storage, the Azure management API of `docferry throughput`).
 */
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { DocferryError } from '../../src/core/errors.js';
import { checkReachable } from '../../src/core/reachable.js';

const context = { service: 'the test service', advice: 'Check the test endpoint.' };

async function rejectionOf(p: Promise<unknown>): Promise<DocferryError> {
  try {
    await p;
  } catch (err) {
    return err as DocferryError;
  }
  throw new Error('expected a rejection');
}

describe('checkReachable: an endpoint that cannot be reached fails in seconds, saying where and what to check', function () {
  this.timeout(20_000);
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes when something listens', async () => {
    await checkReachable(`https://127.0.0.1:${port}/`, 2000, context);
  });

  it('a closed port fails at once, naming the address, the service and the advice', async () => {
    const started = Date.now();
    const err = await rejectionOf(checkReachable('https://127.0.0.1:1/', 5000, context));
    expect(Date.now() - started).to.be.lessThan(3000);
    expect(err).to.be.instanceOf(DocferryError);
    expect(err.message).to.include('Cannot reach the test service at https://127.0.0.1:1').and.include('127.0.0.1:1').and.include('Check the test endpoint.');
  });

  it('a host name that does not resolve fails with ENOTFOUND, naming the host', async () => {
    const err = await rejectionOf(checkReachable('https://no-such-host.invalid/', 5000, context));
    expect(err.message).to.match(/no-such-host\.invalid (does not resolve \(ENOTFOUND\)|failed)/);
  });
});
