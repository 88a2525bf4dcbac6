import { existsSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

// Every endpoint here is on this machine or under .invalid (RFC 2606: never resolves), so no test sends traffic elsewhere.
const KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';
const PASSWORD = 'Sup3rSecretPw';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = Date.now();
  const result = await run();
  return { result, ms: Date.now() - t0 };
}

describe('failing clearly and fast when a server cannot be reached', function () {
  this.timeout(120_000);
  let work: string;
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];

  before(async () => {
    work = await tempDir();
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await removeTempDirs();
  });

  const exportCosmos = (endpoint: string, extra: string[] = []) =>
    runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', endpoint, '--cosmos-key', KEY, '--collections', 'sources', '--output-dir', join(work, `cosmos-${Date.now()}`), ...extra]);

  describe('Cosmos DB', () => {
    it('an endpoint that answers 404 with an empty body is called not a Cosmos DB endpoint, not a TypeError', async () => {
      const server = http.createServer((req, res) => {
        res.statusCode = 404;
        res.end();
      });
      servers.push(server);
      const port = await listen(server);
      const r = await exportCosmos(`http://127.0.0.1:${port}/`);
      expect(r.code).to.equal(1);
      expect(r.stderr).not.to.include('Cannot read properties');
      expect(r.stderr).to.include(`The server at http://127.0.0.1:${port}/ is not a Cosmos DB account endpoint: it answered HTTP 404 with an empty body`);
      expect(r.stderr).to.include('https://<account>.documents.azure.com:443/');
    });

    it('a host name that does not resolve fails in seconds, not minutes, naming the host and what to check', async () => {
      const { result: r, ms } = await timed(() => exportCosmos('https://docferry-mistyped-account.invalid:443/'));
      expect(r.code).to.equal(1);
      expect(ms, 'the SDK retried ENOTFOUND for two minutes a request').to.be.below(15_000);
      expect(r.stderr).to.include('the host name docferry-mistyped-account.invalid does not resolve (ENOTFOUND)');
      expect(r.stderr).to.include('Check the account name in the endpoint');
      expect(r.stderr).not.to.include(KEY);
    });

    it('a closed port fails at once with what was tried', async () => {
      const port = await closedPort();
      const { result: r, ms } = await timed(() => exportCosmos(`http://127.0.0.1:${port}/`));
      expect(r.code).to.equal(1);
      expect(ms).to.be.below(15_000);
      expect(r.stderr).to.include(`127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
    });

    it('a server that accepts and never answers is given up on after --connect-timeout', async () => {
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
      });
      servers.push(server);
      const port = await listen(server);
      const { result: r, ms } = await timed(() => exportCosmos(`http://127.0.0.1:${port}/`, ['--connect-timeout', '1s']));
      expect(r.code).to.equal(1);
      // Without the bound, the SDK's own request timeout (60 s) and its retries decide.
      expect(ms).to.be.below(20_000);
      expect(r.stderr).to.include(`no answer from 127.0.0.1:${port} within 1 s (--connect-timeout)`);
    });

    it('--connect-timeout takes a duration and refuses anything else as a usage error', async () => {
      const r = await exportCosmos('http://127.0.0.1:1/', ['--connect-timeout', 'soon']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('--connect-timeout takes a duration such as 30s, 500ms or 2m, not "soon"');
    });
  });

  describe('MongoDB', () => {
    it('an unreachable server says which hosts were tried, for how long, and what to check; never "Topology is closed"', async () => {
      const port = await closedPort();
      const uri = `mongodb://bob:${PASSWORD}@127.0.0.1:${port}/`;
      const { result: r, ms } = await timed(() =>
        runCli(['export', '--source-type', 'mongodb', '--mongo-uri', uri, '--collections', 'sources', '--output-dir', join(work, 'mongo-down'), '--connect-timeout', '2s']),
      );
      expect(r.code).to.equal(1);
      expect(ms, 'the driver\'s 30 s default, not --connect-timeout').to.be.below(15_000);
      expect(r.stderr).not.to.include('Topology is closed');
      expect(r.stderr).to.include(`tried 127.0.0.1:${port} for 2 s (--connect-timeout)`);
      expect(r.stderr).to.include('ECONNREFUSED');
      for (const advice of ['the server is running', 'firewall', 'replica set name', 'TLS options']) expect(r.stderr).to.include(advice);
      expect(r.stdout + r.stderr).not.to.include(PASSWORD);
    });

    it('a host list with an empty entry is a usage error before anything is created, without the password', async () => {
      const dir = join(work, 'never-created');
      const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', `mongodb://u:${PASSWORD}@127.0.0.1:43963,/`, '--collections', 'sources', '--output-dir', dir]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('has an empty entry as host 2 of 2 in its list');
      expect(r.stdout + r.stderr).not.to.include(PASSWORD);
      expect(existsSync(dir), 'the export directory').to.equal(false);
    });

    for (const [uri, problem] of [
      [`mongodb://u:${PASSWORD}@127.0.0.1:99999/`, 'a port outside 1-65535'],
      [`mongodb://u:${PASSWORD}@/`, 'names no host'],
      [`mongodb+srv://u:${PASSWORD}@a.example.net,b.example.net/`, 'takes exactly one host name and no port'],
      [`mongodb://u:pa@${PASSWORD}@127.0.0.1/`, 'unescaped @'],
    ] as const) {
      it(`${problem}: a usage error on import and migrate too, naming the problem`, async () => {
        const imp = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', uri, '--export-dir', join(work, 'no-export')]);
        expect(imp.code, imp.stderr).to.equal(2);
        expect(imp.stderr).to.include(problem);
        const mig = await runCli(['migrate', '--from', 'mongodb', '--to', 'mongodb', '--from-mongo-uri', 'mongodb://127.0.0.1:1/', '--to-mongo-uri', uri, '--rejects-dir', join(work, 'no-rejects')]);
        expect(mig.code, mig.stderr).to.equal(2);
        expect(mig.stderr).to.include(problem);
        for (const out of [imp.stdout, imp.stderr, mig.stdout, mig.stderr]) expect(out).not.to.include(PASSWORD);
      });
    }
  });

  describe('MongoDB through FerretDB on PostgreSQL', () => {
    let server: MongoTestServer;
    before(async function () {
      this.timeout(180_000);
      server = await startMongoTestServer({ handler: 'postgresql' });
    });
    after(async () => {
      await server?.stop();
    });

    it('keeps the whole cause of an authentication error: PostgreSQL\'s refusal is not cut at 300 characters', async () => {
      const u = new URL(server.uri);
      u.username = 'nobody';
      u.password = PASSWORD;
      u.searchParams.set('authMechanism', 'PLAIN');
      const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', u.href, '--collections', 'sources', '--output-dir', join(work, 'ferret-auth')]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('role "nobody" does not exist (SQLSTATE 28000)');
      expect(r.stderr).to.include('refused the credentials');
      expect(r.stdout + r.stderr).not.to.include(PASSWORD);
    });
  });

  describe('Blob Storage', () => {
    it('an archive account name that does not resolve fails at once, naming the host', async () => {
      const { result: r, ms } = await timed(() => runCli(['archive', 'list', '--container-url', 'https://docferrymistyped.invalid/exports?sv=2024-01-01&sig=c2lnbmF0dXJl']));
      expect(r.code).to.equal(1);
      expect(ms, 'the storage SDK retried ENOTFOUND with backoff').to.be.below(15_000);
      expect(r.stderr).to.include('the host name docferrymistyped.invalid does not resolve (ENOTFOUND)');
      expect(r.stderr).not.to.include('c2lnbmF0dXJl');
    });

    it('a closed local port fails with the address tried', async () => {
      const port = await closedPort();
      const r = await runCli(['archive', 'list', '--container-url', 'exports', '--connection-string', `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`, '--connect-timeout', '2s']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(`connecting to 127.0.0.1:${port} failed (ECONNREFUSED)`);
      expect(r.stderr).not.to.include(KEY);
    });
  });
});
