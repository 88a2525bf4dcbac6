import type { JsonFormat } from './manifest.js';

/** What the first lines of a file from another tool say about its encoding. */
export type Detection = { format: JsonFormat; why: string } | { format?: undefined; why: string };

const NUMBER_WRAPPERS = new Set(['$numberInt', '$numberLong', '$numberDouble', '$numberDecimal']);
const WRAPPERS = new Set([...NUMBER_WRAPPERS, '$oid', '$date', '$binary', '$timestamp', '$regularExpression', '$minKey', '$maxKey', '$symbol', '$code', '$dbPointer', '$uuid']);

interface Seen {
  wrappers: number;
  numberWrappers: number;
  bareNumbers: number;
  stringDates: number;
}

function walk(value: unknown, seen: Seen): void {
  if (typeof value === 'number') {
    seen.bareNumbers++;
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) walk(v, seen);
    return;
  }
  const keys = Object.keys(value);
  if (keys.length >= 1 && keys.every((k) => k.startsWith('$')) && keys.some((k) => WRAPPERS.has(k))) {
    seen.wrappers++;
    if (keys.some((k) => NUMBER_WRAPPERS.has(k))) seen.numberWrappers++;
    const date = (value as Record<string, unknown>).$date;
    if (typeof date === 'string') seen.stringDates++;
    // Inside a wrapper, numbers are the wrapper's own ($timestamp's t and i): not a document's value.
    if (date !== undefined && typeof date === 'object') walk(date, seen);
    return;
  }
  for (const k of keys) walk((value as Record<string, unknown>)[k], seen);
}

/**
 * canonical, relaxed or plain from the first lines of a file (mongoexport 100.x writes relaxed by
 * default, canonical with --jsonFormat=canonical). A file without any Extended JSON wrapper may be
 * relaxed Extended JSON or plain JSON: that is not guessed.
 */
export function detectJsonFormat(lines: readonly string[]): Detection {
  const seen: Seen = { wrappers: 0, numberWrappers: 0, bareNumbers: 0, stringDates: 0 };
  let parsed = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      walk(JSON.parse(line), seen);
      parsed++;
    } catch {
      // A bad line is the import's to reject (with its line number); detection uses the good ones.
    }
  }
  if (parsed === 0) return { why: 'none of its first lines is a JSON document' };
  if (seen.wrappers === 0) {
    return { why: `its first ${parsed} document(s) hold no Extended JSON wrapper ($oid, $date, $numberLong, ...), so it may be relaxed Extended JSON or plain JSON` };
  }
  if (seen.bareNumbers === 0 && seen.stringDates === 0) return { format: 'canonical', why: 'Extended JSON wrappers and no bare number or string $date' };
  if (seen.numberWrappers === 0 || seen.bareNumbers > 0 || seen.stringDates > 0) {
    if (seen.bareNumbers > 0 && seen.numberWrappers > 0 && seen.stringDates === 0) {
      // $numberLong for large integers and bare small ones is what relaxed writes too.
      return { format: 'relaxed', why: 'Extended JSON wrappers with bare numbers' };
    }
    return { format: 'relaxed', why: seen.stringDates > 0 ? 'Extended JSON with $date as an ISO string' : 'Extended JSON wrappers with bare numbers' };
  }
  return { why: 'its wrappers fit neither canonical nor relaxed Extended JSON' };
}
