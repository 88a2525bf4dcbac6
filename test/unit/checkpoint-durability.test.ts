import { existsSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { CollectionScope } from '../../src/core/layout.js';
import { RunCheckpoint } from '../../src/engine/checkpoint.js';
import { ignoreEvents } from '../../src/engine/events.js';
import { RejectsWriter } from '../../src/engine/rejects.js';
import { ErrorBudget, transferCollection } from '../../src/engine/transfer.js';
import type { CollectionSink, SinkStore, SourceItem, SourceStore } from '../../src/stores/types.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const scope: CollectionScope = { database: 'db', collection: 'c', partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } };

/** 40 lines of an export file; every 7th document is one the target refuses. */
function source(): SourceStore {
  return {
    kind: 'dir',
    describe: () => 'memory',
    count: async () => 40,
    async *read(): AsyncGenerator<SourceItem> {
      for (let line = 1; line <= 40; line++) yield { doc: { id: `d${line}`, bad: line % 7 === 0 }, position: { file: 'db/c.json', line } };
    },
    close: async () => {},
  };
}

function sink(): SinkStore {
  const target: CollectionSink = {
    prepare: (doc) => (doc.bad ? 'refused by the test sink' : { doc }),
    write: async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return batch.map(() => ({ status: 'written' as const }));
    },
    finish: async () => {},
    abort: async () => {},
  };
  return { kind: 'cosmos', describe: () => 'memory', prepareAll: async () => {}, open: async () => target, close: async () => {} };
}

type Op = { op: 'write' | 'sync'; file: string; text?: string };

/**
 * Records every write and (data)sync through a FileHandle, with the file it went to (Linux: the
 * descriptor's /proc link), while `work` runs.
 */
async function recordFileOps(work: () => Promise<void>): Promise<Op[]> {
  const probe = await open(fileURLToPath(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  const ops: Op[] = [];
  const fileOf = (fh: { fd: number }) => readlinkSync(`/proc/self/fd/${fh.fd}`);
  const original = { write: proto.write!, datasync: proto.datasync!, sync: proto.sync! };
  proto.write = async function (this: { fd: number }, ...args: unknown[]) {
    const data = args[0];
    ops.push({ op: 'write', file: fileOf(this), text: typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : '' });
    return original.write.apply(this, args);
  };
  for (const name of ['datasync', 'sync'] as const) {
    proto[name] = async function (this: { fd: number }, ...args: unknown[]) {
      const file = fileOf(this);
      const result = await original[name].apply(this, args);
      ops.push({ op: 'sync', file });
      return result;
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, original);
  }
  return ops;
}

describe('checkpoint journal lines are on disk before they count, and after the rejects they confirm', () => {
  before(function () {
    if (!existsSync('/proc/self/fd')) this.skip();
  });
  after(removeTempDirs);

  it('each journal append is followed by a datasync, and a unit\'s rejects are synced before its journal line is written', async () => {
    const dir = await tempDir('docferry-durable-');
    const rejects = new RejectsWriter(join(dir, '_rejects'));
    const ops = await recordFileOps(async () => {
      const run = await RunCheckpoint.open({ dir: join(dir, 'cp'), operation: 'import', fingerprint: {}, resume: false, sourceKind: 'dir' });
      const checkpoint = await run.collection(scope);
      await transferCollection({ source: source(), sink: sink(), scope, mode: 'upsert', batchSize: 5, concurrency: 3, rejects, errorBudget: new ErrorBudget(), events: ignoreEvents, checkpoint });
      await rejects.close();
    });

    // The journal is removed once the collection is done: its name is no longer in its link.
    const journal = ops.filter((o) => basename(o.file).startsWith('db.c.journal'));
    const rejectsFile = join(dir, '_rejects', 'db.c.ndjson');
    const written = journal.filter((o) => o.op === 'write');
    expect(written.length).to.be.greaterThan(5);
    // write, sync, write, sync, ...: no journal line is left unsynced, not even the last.
    expect(journal.map((o) => o.op)).to.deep.equal(written.flatMap(() => ['write', 'sync']));

    // When a journal line is written, every rejects line before it is already synced.
    let unsynced = false;
    let checked = 0;
    for (const o of ops) {
      if (o.file === rejectsFile) unsynced = o.op === 'write' ? true : false;
      if (basename(o.file).startsWith('db.c.journal') && o.op === 'write') {
        expect(unsynced, `journal line ${o.text} written before the rejects it confirms were synced`).to.equal(false);
        if (/"r":/.test(o.text ?? '')) checked++;
      }
    }
    expect(checked, 'journal lines that confirm rejects').to.be.greaterThan(1);
    // The checkpoint header is flushed too.
    expect(ops.some((o) => o.op === 'sync' && basename(o.file).startsWith('checkpoint.json'))).to.equal(true);
  });
});
