/**
 * How a document is sent: `insert` (merge mode, and upsert mode's first try) or `replace`
 * (replaceOne by `_id` with upsert).
 */
export type Op = 'insert' | 'replace';

/**
 * The bulk-write commands of one round: every pending insert in one command, and the replaces
 * in one, or in commands of `replaceChunk` (FerretDB); an op the server answered unclearly goes
 * one document per command, so that each ends with its own outcome.
 */
export function commandGroups(pending: Record<Op, readonly number[]>, oneByOne: ReadonlySet<Op>, replaceChunk?: number): [Op, number[]][] {
  const groups: [Op, number[]][] = [];
  for (const op of ['insert', 'replace'] as const) {
    const indexes = pending[op];
    const size = oneByOne.has(op) ? 1 : op === 'replace' && replaceChunk ? replaceChunk : indexes.length;
    for (let k = 0; k < indexes.length; k += size) groups.push([op, indexes.slice(k, k + size)]);
  }
  return groups;
}
