import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CosmosClient } from '@azure/cosmos';
import type { MongoClient } from 'mongodb';
import type { SyntheticCollection } from '../src/synthetic/copilot.js';
import { databaseOf } from './common.js';

/**
 * The original export scripts' strategy (FACTS.md §1), reimplemented in the benchmark process so
 * that docferry is measured against it on the same server and documents in the same run. It is
 * the scripts' strategy, not the scripts (they are Python): one cursor per collection in natural
 * order (`find({})`, or one `SELECT * FROM c` query per container), each document turned into
 * plain JSON on its own (`_id` as a string; Cosmos DB system properties dropped) and handed to a
 * buffered file with one write call per document, as Python's `f.write(json.dumps(doc) + "\n")`.
 */
export interface StrategyRun {
  docs: number;
  /** NDJSON bytes written. */
  bytes: number;
  seconds: number;
  /** CPU time of the benchmark process over the run (user + system), seconds. */
  cpuSeconds: number;
}

async function writeLine(out: WriteStream, line: string): Promise<void> {
  if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

async function closed(out: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function measure(work: () => Promise<{ docs: number; bytes: number }>): Promise<StrategyRun> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { docs, bytes } = await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { docs, bytes, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** MongoDB: find({}) in natural order, the driver's default types, JSON.stringify per document. */
export function mongoScriptStrategy(client: MongoClient, collections: SyntheticCollection[], dir: string): Promise<StrategyRun> {
  return measure(async () => {
    let docs = 0;
    let bytes = 0;
    for (const collection of collections) {
      const db = databaseOf(collection);
      await mkdir(join(dir, db), { recursive: true });
      const out = createWriteStream(join(dir, db, `${collection}.json`));
      for await (const doc of client.db(db).collection(collection).find({})) {
        doc._id = String(doc._id) as never;
        const line = `${JSON.stringify(doc)}\n`;
        bytes += Buffer.byteLength(line);
        await writeLine(out, line);
        docs++;
      }
      await closed(out);
    }
    return { docs, bytes };
  });
}

const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

/**
 * Cosmos DB: one `SELECT * FROM c` per container, page after page of `maxItemCount` (sized by the
 * caller to pages of about 4 MB, the service's cap), system properties dropped, JSON.stringify per
 * document.
 */
export function cosmosScriptStrategy(client: CosmosClient, collections: SyntheticCollection[], dir: string, maxItemCount: (collection: SyntheticCollection) => number): Promise<StrategyRun> {
  return measure(async () => {
    let docs = 0;
    let bytes = 0;
    for (const collection of collections) {
      const db = databaseOf(collection);
      await mkdir(join(dir, db), { recursive: true });
      const out = createWriteStream(join(dir, db, `${collection}.json`));
      const query = client.database(db).container(collection).items.query<Record<string, unknown>>('SELECT * FROM c', { maxItemCount: maxItemCount(collection) });
      while (query.hasMoreResults()) {
        const { resources } = await query.fetchNext();
        for (const doc of resources) {
          for (const p of SYSTEM_PROPERTIES) delete doc[p];
          const line = `${JSON.stringify(doc)}\n`;
          bytes += Buffer.byteLength(line);
          await writeLine(out, line);
          docs++;
        }
      }
      await closed(out);
    }
    return { docs, bytes };
  });
}
