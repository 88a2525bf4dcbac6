/**
 * FerretDB v1 (SQLite backend) never answers an update command once more than about 100 update
 * statements on existing documents are in flight at once, whether in one command or across
 * concurrent ones. Against FerretDB, replaces go in commands of at most this many statements,
 * one command at a time per run; inserts, and MongoDB itself, are not limited.
 */
export const FERRETDB_REPLACE_CHUNK = 50;

/** One holder at a time, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

/** What a server needs beyond what MongoDB does, found once per run (buildInfo). */
export interface ServerQuirks {
  /** Replace statements per command. */
  replaceChunk?: number;
  /** Replace commands go one at a time, across the run's collections and batches. */
  replaceLock?: Mutex;
}

export function quirksOf(buildInfo: { ferretdbVersion?: unknown }): ServerQuirks {
  return buildInfo.ferretdbVersion !== undefined ? { replaceChunk: FERRETDB_REPLACE_CHUNK, replaceLock: new Mutex() } : {};
}
