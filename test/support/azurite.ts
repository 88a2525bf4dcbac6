import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';

/** Azurite's well-known development account: documented, public, no secret. */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface BlobTestServer {
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` locally; the account's blob endpoint otherwise. */
  blobEndpoint: string;
  /** Pointed at a real account by DOCFERRY_TEST_STORAGE_CONNECTION_STRING. */
  external: boolean;
  /** A new, empty container with a name unique to this run. */
  createContainer(): Promise<TestContainer>;
  /** The same account through another endpoint (a fault proxy in front of Azurite). */
  connectionStringVia(blobEndpoint: string): string;
  stop(): Promise<void>;
}

export interface TestContainer {
  name: string;
  /** `<blobEndpoint>/<name>`, what --container-url takes. */
  url: string;
  client: ContainerClient;
}

export function devConnectionString(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
}

let counter = 0;

function uniqueName(): string {
  counter++;
  return `docferry-t${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * Azurite's blob service from node_modules (in memory, on a free port), or the real account of
 * DOCFERRY_TEST_STORAGE_CONNECTION_STRING with containers unique to this run (deleted by stop).
 * `local: true` always starts Azurite: a fault proxy can only sit in front of plain HTTP.
 */
export async function startBlobTestServer(options: { local?: boolean } = {}): Promise<BlobTestServer> {
  const external = process.env.DOCFERRY_TEST_STORAGE_CONNECTION_STRING;
  if (external && !options.local) return externalServer(external);
  return startAzurite();
}

function containerFactory(connectionString: string, made: ContainerClient[]) {
  return async (): Promise<TestContainer> => {
    const name = uniqueName();
    const client = new ContainerClient(connectionString, name);
    await client.create();
    made.push(client);
    return { name, url: client.url.split('?')[0]!, client };
  };
}

function externalServer(connectionString: string): BlobTestServer {
  const made: ContainerClient[] = [];
  const probe = new ContainerClient(connectionString, 'probe');
  const blobEndpoint = probe.url.split('?')[0]!.replace(/\/probe$/, '');
  return {
    connectionString,
    blobEndpoint,
    external: true,
    createContainer: containerFactory(connectionString, made),
    connectionStringVia: () => {
      throw new Error('a fault proxy needs the local Azurite: call startBlobTestServer({ local: true })');
    },
    stop: async () => {
      await Promise.all(made.splice(0).map((c) => c.deleteIfExists()));
    },
  };
}

async function startAzurite(): Promise<BlobTestServer> {
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  // In-memory persistence writes nothing, but Azurite still resolves paths against its cwd.
  const cwd = await mkdtemp(join(tmpdir(), 'docferry-azurite-'));
  const child = spawn(
    process.execPath,
    [main, '--inMemoryPersistence', '--extentMemoryLimit', '512', '--skipApiVersionCheck', '--disableTelemetry', '--blobHost', '127.0.0.1', '--blobPort', '0', '--silent'],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 30 s. Output:\n${output}`)), 30_000);
    const onExit = (code: number | null) => fail(new Error(`Azurite exited (code ${code}) before listening. Output:\n${output}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /successfully listens on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
  const blobEndpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  const connectionString = devConnectionString(blobEndpoint);
  await waitUntilAnswering(connectionString);
  const made: ContainerClient[] = [];
  return {
    connectionString,
    blobEndpoint,
    external: false,
    createContainer: containerFactory(connectionString, made),
    connectionStringVia: (endpoint) => devConnectionString(endpoint.replace(/\/+$/, '') + `/${DEV_ACCOUNT}`),
    stop: async () => {
      await stopChild(child);
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

async function waitUntilAnswering(connectionString: string): Promise<void> {
  const probe = new ContainerClient(connectionString, 'docferry-probe', { retryOptions: { maxTries: 1 } });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await probe.exists();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Azurite is listening but does not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
