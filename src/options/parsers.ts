/**
 * Value parsers of the option catalogue. Each one throws an OptionValueError whose message says
 * what the option takes ("takes a whole number of at least 1"); the front door puts its own
 * spelling of the option in front (`--batch-size`, `Input "batchSize"`), so one parser serves both.
 */
import { parseShard, type Shard } from '../core/shard.js';

export class OptionValueError extends Error {
  constructor(readonly takes: string) {
    super(takes);
    this.name = 'OptionValueError';
  }
}

export type Parser<T> = (raw: string) => T;

export const positiveInt: Parser<number> = (value) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new OptionValueError('takes a whole number of at least 1');
  return n;
};

export const nonNegativeInt: Parser<number> = (value) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new OptionValueError('takes a whole number of 0 or more');
  return n;
};

/** A positive number, e.g. RU/s. */
export const positiveNumber: Parser<number> = (value) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new OptionValueError('takes a positive number');
  return n;
};

/** `0.5` or `50%`: a share in (0, 1]. */
export const share: Parser<number> = (value) => {
  const pct = value.trim().endsWith('%');
  const n = Number(pct ? value.trim().slice(0, -1) : value) / (pct ? 100 : 1);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new OptionValueError('takes a share between 0 and 1, such as 0.5 or 50%');
  return n;
};

const BYTE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };

/** A size in bytes: `2097152`, `512KB`, `2MB` or `1GB` (powers of 1024). */
export const byteSize: Parser<number> = (value) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? BYTE_UNITS[m[2]!.toUpperCase()] : undefined;
  const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isFinite(n) || n < 1) throw new OptionValueError('takes a size such as 2MB, 512KB or a number of bytes');
  return n;
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** A duration in milliseconds: `30s`, `500ms`, `2m`, `2h`, or a number of seconds. */
export const duration: Parser<number> = (value) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i.exec(value);
  const n = m ? Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]!) : NaN;
  if (!Number.isFinite(n) || n < 1) throw new OptionValueError('takes a duration such as 30s, 500ms or 2m');
  return n;
};

/** `a,b` (and, in a task, one per line). */
export function list(value: string): string[] {
  return value.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
}

export function choice<T extends string>(choices: readonly T[]): Parser<T> {
  return (value) => {
    const hit = choices.find((c) => c.toLowerCase() === value.trim().toLowerCase());
    if (!hit) throw new OptionValueError(`must be one of ${choices.join(', ')}`);
    return hit;
  };
}

/** `I/N`: shard I of N parallel jobs, 1 <= I <= N (docs/sharding.md). */
export const shard: Parser<Shard> = (value) => {
  try {
    return parseShard(value);
  } catch (err) {
    throw new OptionValueError(`takes I/N, this job's number and the number of jobs, such as 2/4; ${(err as Error).message}`);
  }
};
