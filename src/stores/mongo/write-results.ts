import { MongoBulkWriteError, MongoNetworkError, MongoNetworkTimeoutError } from 'mongodb';
import { addRetries, type RetryCounts, type RetryKind } from '../../core/retry-kinds.js';
import { BSON } from '../../core/bson.js';
import type { Doc } from '../../core/documents.js';
import type { WriteMode, WriteResult } from '../types.js';
import {
  THROTTLED_CODE,
  codeOf,
  isDocumentLevelError,
  isPoolClearedError,
  isRetryableCode,
  isRetryableMongoError,
  serverAskedMs,
  unwrapMongoError,
  writeErrorsOf,
} from './connection.js';
import type { Op } from './packing.js';

const DUPLICATE_KEY = 11000;

/** What one bulk-write command left to do (indexes into the batch). */
export interface Attempt {
  /** Failed with a retryable error: send again after a pause. */
  retry: number[];
  /** The server's answer does not say which documents were written: settle them one by one. */
  unsettled: number[];
  /** Upsert mode: the insert met an existing document, which is replaced next. */
  replace: number[];
  problem?: string;
  waitMs?: number;
  /** The retries failed before they were sent, because another request's failure cleared the pool. */
  notSent?: boolean;
  /** Throttling errors (16500) among the failures, for the statistics. */
  throttled?: number;
  /** The other retries, by why they failed (the event stream's retry counts). */
  retryKinds?: RetryCounts;
}

/** Why a whole command failed retryably (a throttled one is counted as throttled instead). */
export function wholeFailureKind(err: unknown, inner: unknown): RetryKind {
  if (isPoolClearedError(err)) return 'pool-cleared';
  if (inner instanceof MongoNetworkTimeoutError) return 'timeout';
  if (inner instanceof MongoNetworkError) return 'network';
  return 'mongo-retryable';
}

export function noAttempt(): Attempt {
  return { retry: [], unsettled: [], replace: [] };
}

/**
 * A command that failed as a whole: nothing says which documents were written. A document-level
 * error raised before sending (too large, bad key) is settled document by document; a retryable
 * one is sent again (and its documents may be ours already: the request may have reached the
 * server); anything else is `fatal`, for the caller to explain.
 */
export function classifyWholeFailure(err: unknown, indices: readonly number[], results: WriteResult[], maybeOurs: Set<number>): Attempt | 'fatal' {
  const inner = unwrapMongoError(err);
  if (isDocumentLevelError(inner)) {
    if (indices.length > 1) return { ...noAttempt(), unsettled: [...indices] };
    results[indices[0]!] = { status: 'rejected', reason: `the MongoDB driver refused the document: ${(inner as Error).message.split('\n')[0]}` };
    return noAttempt();
  }
  if (!isRetryableMongoError(err)) return 'fatal';
  for (const i of indices) maybeOurs.add(i);
  const message = (inner as Error).message ?? String(inner);
  const throttled = codeOf(inner) === THROTTLED_CODE;
  return {
    ...noAttempt(),
    retry: [...indices],
    ...(throttled ? {} : { retryKinds: { [wholeFailureKind(err, inner)]: indices.length } }),
    problem: message.split('\n')[0]!,
    waitMs: serverAskedMs(message),
    ...(codeOf(inner) === THROTTLED_CODE ? { throttled: 1 } : {}),
    ...(isPoolClearedError(err) ? { notSent: true } : {}),
  };
}

/** The parts of a bulk write's partial failure the classification reads. */
export interface BulkFailure {
  writeErrors: readonly { index: number; code?: number; errmsg?: string }[];
  /** Documents the server says it applied (inserted, or matched plus upserted). */
  applied: number;
  /** Applied on the primary but not acknowledged as the write concern asked. */
  concern?: { code?: number; errmsg?: string };
}

/** Whether a bulk-write error says document by document what failed (else it is a whole failure). */
export function bulkFailureOf(err: unknown, op: Op): BulkFailure | undefined {
  if (!(err instanceof MongoBulkWriteError)) return undefined;
  const e = err;
  const writeErrors = writeErrorsOf(e);
  const concern = e.result?.getWriteConcernError();
  if (writeErrors.length === 0 && !concern) return undefined;
  return {
    writeErrors: writeErrors.map((w) => ({ index: w.index, code: w.code, ...(w.errmsg !== undefined ? { errmsg: w.errmsg } : {}) })),
    applied: op === 'replace' ? e.result.matchedCount + e.result.upsertedCount : e.result.insertedCount,
    ...(concern ? { concern: { code: concern.code, ...(concern.errmsg !== undefined ? { errmsg: concern.errmsg } : {}) } } : {}),
  };
}

/**
 * A bulk write that failed for some documents: written, skipped (merge mode, already there),
 * replaced next (upsert mode), sent again (retryable codes, an unmet write concern), or rejected.
 * Re-sent inserts in merge mode that met a duplicate key are `duplicates`: an earlier attempt
 * whose answer was lost may have written them, which only reading them back tells.
 */
export function classifyPartialFailure(
  f: BulkFailure,
  indices: readonly number[],
  op: Op,
  mode: WriteMode,
  results: WriteResult[],
  maybeOurs: Set<number>,
): { attempt: Attempt; duplicates: number[] } {
  const reported = new Set(f.writeErrors.map((w) => w.index));
  const consistent =
    reported.size === f.writeErrors.length && f.writeErrors.every((w) => w.index >= 0 && w.index < indices.length) && f.applied + f.writeErrors.length === indices.length;
  // FerretDB stops an unordered update at its first failure and reports the wrong index; other
  // servers may do similar things. Counts that do not add up are not trusted.
  if (!consistent && indices.length > 1) {
    for (const i of indices) maybeOurs.add(i);
    return { attempt: { ...noAttempt(), unsettled: [...indices] }, duplicates: [] };
  }
  const attempt = noAttempt();
  const failedBy = new Map(f.writeErrors.map((w) => [indices[Math.min(w.index, indices.length - 1)]!, w]));
  // Applied on the primary but not acknowledged as asked: written again (a replace is
  // idempotent; a re-sent insert meets its duplicate key, which is checked against our copy).
  const concern = f.concern;
  const duplicates: number[] = [];
  for (const i of indices) {
    const w = failedBy.get(i);
    if (!w) {
      if (concern) {
        maybeOurs.add(i);
        attempt.retry.push(i);
        addRetries((attempt.retryKinds ??= {}), 'mongo-retryable', 1);
        attempt.problem = `write concern not satisfied: ${concern.errmsg ?? `code ${concern.code}`}`;
      } else {
        results[i] = { status: 'written' };
      }
      continue;
    }
    const code = w.code;
    const message = (w.errmsg ?? '').split('\n')[0]!.slice(0, 300);
    if (code === DUPLICATE_KEY && op === 'insert') {
      if (mode === 'upsert') attempt.replace.push(i);
      else if (maybeOurs.has(i)) duplicates.push(i);
      else results[i] = { status: 'skipped' };
    } else if (isRetryableCode(code)) {
      if (code === THROTTLED_CODE) attempt.throttled = (attempt.throttled ?? 0) + 1;
      else addRetries((attempt.retryKinds ??= {}), 'mongo-retryable', 1);
      attempt.retry.push(i);
      attempt.problem = `code ${code}: ${message}`;
      attempt.waitMs = Math.max(attempt.waitMs ?? 0, serverAskedMs(message));
    } else {
      results[i] = { status: 'rejected', reason: `MongoDB refused the document (code ${code}): ${message}` };
    }
  }
  return { attempt, duplicates };
}

/** `_id` as bytes, to find a document again among those a query returns. */
function idKey(id: unknown): string {
  return Buffer.from(BSON.serialize({ _id: id })).toString('hex');
}

/**
 * Merge mode, re-sent inserts that met a duplicate key, judged by the stored documents read
 * back: one equal to ours, byte for byte as BSON, is counted as written; a different one was
 * there before and is skipped; one that is gone (deleted meanwhile) is inserted again.
 */
export function judgeReadBack(docs: (i: number) => Doc, indices: readonly number[], stored: readonly Doc[], results: WriteResult[], attempt: Attempt): void {
  const byId = new Map(stored.map((d) => [idKey(d._id), d]));
  for (const i of indices) {
    const ours = docs(i);
    const theirs = byId.get(idKey(ours._id));
    if (!theirs) {
      attempt.retry.push(i);
      continue;
    }
    const same = Buffer.from(BSON.serialize(ours)).equals(Buffer.from(BSON.serialize(theirs)));
    results[i] = { status: same ? 'written' : 'skipped' };
  }
}
