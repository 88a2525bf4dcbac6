import { MongoClient } from 'mongodb';
import { startMongoTestServer, type MongoTestServer } from '../test/support/ferretdb.js';

/** Every database the benchmark writes to; it drops them between runs. */
export const BENCH_DATABASES = ['copilot', 'auth', 'raw_probe', 'one_at_a_time'] as const;

export interface BenchMongo {
  server: MongoTestServer;
  client: MongoClient;
  /** "FerretDB 1.24, SQLite", or "MongoDB 8.0.4 at DOCFERRY_TEST_MONGO_URI". */
  label: string;
  /** Closes the client, drops the benchmark's databases on an external server, stops FerretDB. */
  release(): Promise<void>;
}

/** The label of the server a run would use, known before it starts (for section titles). */
export function benchMongoLabel(): string {
  return process.env.DOCFERRY_TEST_MONGO_URI ? 'MongoDB at DOCFERRY_TEST_MONGO_URI' : 'FerretDB 1.24, SQLite';
}

/**
 * FerretDB started for the run, or the server at DOCFERRY_TEST_MONGO_URI (a real mongod). The
 * benchmark drops and refills the guide's databases, so on an external server it refuses to
 * start while any of them exists: it must never drop data it did not write.
 */
export async function startBenchMongo(): Promise<BenchMongo> {
  const server = await startMongoTestServer();
  const client = new MongoClient(server.uri);
  try {
    await client.connect();
    let label = benchMongoLabel();
    if (server.external) {
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
      const taken = databases.map((d) => d.name).filter((name) => (BENCH_DATABASES as readonly string[]).includes(name));
      if (taken.length > 0) {
        throw new Error(
          `DOCFERRY_TEST_MONGO_URI's server already has the database(s) ${taken.join(', ')}. The benchmark drops and rewrites ` +
            `${BENCH_DATABASES.join(', ')}: point it at a server without them, or drop them yourself first.`,
        );
      }
      const info = await client.db('admin').command({ buildInfo: 1 });
      label = `MongoDB ${String(info.version)} at DOCFERRY_TEST_MONGO_URI`;
    }
    return {
      server,
      client,
      label,
      release: async () => {
        if (server.external) for (const db of BENCH_DATABASES) await client.db(db).dropDatabase().catch(() => {});
        await client.close().catch(() => {});
        await server.stop();
      },
    };
  } catch (err) {
    await client.close().catch(() => {});
    await server.stop();
    throw err;
  }
}
