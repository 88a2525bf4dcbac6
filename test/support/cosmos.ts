import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpServer, createHttpsServer } from '@vercel/cosmosdb-server';
import { CosmosClient, type OperationInput } from '@azure/cosmos';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import { loadLayout } from '../../src/core/layout.js';

/** The public, documented key of the Cosmos DB emulator: a valid base64 key that is no secret. */
export const EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosTestServer {
  endpoint: string;
  key: string;
  /** Pointed at a real account by DOCFERRY_TEST_COSMOS_ENDPOINT / DOCFERRY_TEST_COSMOS_KEY. */
  external: boolean;
  /** Database names are suffixed with this on a shared real account, so tests never collide with real data. */
  suffix: string;
  /** PEM of the self-signed CA a TLS test server uses (undefined for plain HTTP and real accounts). */
  ca?: string;
  stop(): Promise<void>;
}

let testCert: { cert: string; key: string } | undefined;

/** A short-lived self-signed certificate for 127.0.0.1 (the package's own expired in 2021). */
function localCertificate(): { cert: string; key: string } {
  if (!testCert) {
    const dir = mkdtempSync(join(tmpdir(), 'docferry-cert-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    testCert = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  }
  return testCert;
}

let counter = 0;

/**
 * A fresh in-memory Cosmos DB (cosmosdb-server over plain HTTP) on a free port, or the real
 * account named by DOCFERRY_TEST_COSMOS_ENDPOINT and DOCFERRY_TEST_COSMOS_KEY.
 */
export async function startCosmosTestServer(options: { tls?: boolean } = {}): Promise<CosmosTestServer> {
  counter++;
  const externalEndpoint = process.env.DOCFERRY_TEST_COSMOS_ENDPOINT;
  if (externalEndpoint) {
    const key = process.env.DOCFERRY_TEST_COSMOS_KEY;
    if (!key) throw new Error('DOCFERRY_TEST_COSMOS_ENDPOINT is set but DOCFERRY_TEST_COSMOS_KEY is not');
    const suffix = `_t${process.pid}_${counter}`;
    return {
      endpoint: externalEndpoint,
      key,
      external: true,
      suffix,
      stop: async () => {
        const client = new CosmosClient({ endpoint: externalEndpoint, key });
        const { resources } = await client.databases.readAll().fetchAll();
        await Promise.all(resources.filter((d) => d.id.endsWith(suffix)).map((d) => client.database(d.id).delete()));
        client.dispose();
      },
    };
  }
  const tls = options.tls ? localCertificate() : undefined;
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    key: EMULATOR_KEY,
    external: false,
    suffix: '',
    ...(tls ? { ca: tls.cert } : {}),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The default layout (or another), with database names made unique on a shared real account. */
export function testLayout(server: { suffix: string }, base: Layout = loadLayout()): Layout {
  if (!server.suffix) return base;
  return { ...base, databases: base.databases.map((d) => ({ ...d, name: `${d.name}${server.suffix}` })) };
}

export function cosmosClient(server: { endpoint: string; key: string; ca?: string }): CosmosClient {
  return new CosmosClient({
    endpoint: server.endpoint,
    key: server.key,
    connectionPolicy: { enableEndpointDiscovery: false },
    ...(server.ca ? { agent: new https.Agent({ ca: server.ca }) } : {}),
  });
}

/** Creates the container (partitioned by /id unless told) and bulk-writes the documents. */
export async function seedCosmos(
  server: { endpoint: string; key: string; ca?: string },
  database: string,
  container: string,
  docs: Iterable<Doc>,
  partitionKeyPath = '/id',
): Promise<number> {
  const client = cosmosClient(server);
  try {
    const { database: db } = await client.databases.createIfNotExists({ id: database });
    const { container: c } = await db.containers.createIfNotExists({ id: container, partitionKey: { paths: [partitionKeyPath] } });
    let n = 0;
    let batch: OperationInput[] = [];
    const flush = async () => {
      const res = await c.items.executeBulkOperations(batch);
      const bad = res.filter((r) => !r.response || r.response.statusCode >= 300);
      if (bad.length > 0) throw new Error(`seeding ${database}.${container}: ${bad.length} writes failed (${bad[0]!.error?.code})`);
      batch = [];
    };
    for (const doc of docs) {
      const pk = partitionKeyPath.split('/').slice(1).reduce<unknown>((v, k) => (v as Doc)?.[k], doc);
      batch.push({ operationType: 'Create', partitionKey: pk as string, resourceBody: doc as never });
      n++;
      if (batch.length >= 500) await flush();
    }
    if (batch.length > 0) await flush();
    return n;
  } finally {
    client.dispose();
  }
}

const SYSTEM = new Set(['_rid', '_self', '_etag', '_attachments', '_ts']);

/** Every item of a container without system properties, sorted by id: for deep equality. */
export async function readAllCosmos(server: { endpoint: string; key: string; ca?: string }, database: string, container: string): Promise<Doc[]> {
  const client = cosmosClient(server);
  try {
    const { resources } = await client.database(database).container(container).items.query<Doc>('SELECT * FROM c').fetchAll();
    return resources
      .map((d) => Object.fromEntries(Object.entries(d).filter(([k]) => !SYSTEM.has(k))))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  } finally {
    client.dispose();
  }
}
