import type { OperationResponse } from '@azure/cosmos';
import type { WriteMode, WriteResult } from '../types.js';
import { addRetries, httpRetryKind, type RetryCounts, type RetryKind } from '../../core/retry-kinds.js';
import { isRetryableStatus, statusOf } from './status.js';

/** Per-operation fields the service sends that the SDK's OperationResponse type leaves out. */
export type BulkOperationResult = OperationResponse & { subStatusCode?: number; retryAfterMilliseconds?: number; message?: string };

/** What became of one bulk request's operations that are not settled yet (indexes into the batch). */
export interface GroupOutcome {
  /** HTTP 429: sent again once the RU controller admits them, without using up an error round. */
  throttled: number[];
  /** A transient error (timeouts, 503, 410...): sent again after a backoff, within the error rounds. */
  failed: number[];
  problem?: string;
  /** The longest retry-after the service gave the throttled operations. */
  serverAskedMs?: number;
  /** Why the `failed` ones failed, by kind (for the retry counts of the event stream). */
  failedKinds?: RetryCounts;
}

/** A bulk call that failed as a whole, and what to do about it. */
export type RequestFailure =
  /** 401/403: no retry helps; the caller explains the credential or role. */
  | { kind: 'denied'; status: 401 | 403 }
  /** Not retryable (400, 404...): the caller explains it and fails the batch. */
  | { kind: 'fatal'; status?: number }
  | { kind: 'throttled' }
  | { kind: 'failed'; status?: number; problem: string; retryKind: RetryKind };

/** The HTTP status and charge behind a failed bulk call: the SDK wraps it in a plain Error, its diagnostics keep them. */
export function failedBulkStatus(err: unknown): { status?: number; charge: number } {
  const direct = statusOf(err);
  const stats = (err as { diagnostics?: { clientSideRequestStatistics?: { gatewayStatistics?: { statusCode?: number; requestCharge?: number }[] } } })
    .diagnostics?.clientSideRequestStatistics?.gatewayStatistics ?? [];
  const charge = stats.reduce((sum, g) => sum + (g.requestCharge ?? 0), 0);
  const last = [...stats].reverse().find((g) => typeof g.statusCode === 'number' && g.statusCode >= 400);
  const status = direct ?? last?.statusCode;
  return { ...(status !== undefined ? { status } : {}), charge };
}

export function classifyRequestFailure(err: unknown): { charge: number; failure: RequestFailure } {
  const { status, charge } = failedBulkStatus(err);
  if (status === 401 || status === 403) return { charge, failure: { kind: 'denied', status } };
  if (!isRetryableStatus(status)) return { charge, failure: { kind: 'fatal', ...(status !== undefined ? { status } : {}) } };
  if (status === 429) return { charge, failure: { kind: 'throttled' } };
  const problem = `HTTP ${status ?? 'error'}: ${((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 300)}`;
  return { charge, failure: { kind: 'failed', ...(status !== undefined ? { status } : {}), problem, retryKind: httpRetryKind(status, err) } };
}

export interface OperationsOutcome extends GroupOutcome {
  /** Request units the operations were charged (up to a denied one). */
  charge: number;
  /** The longest retry-after of a throttled operation. */
  retryAfterMs?: number;
  /** An operation refused for want of access (401/403): the request stops there and the batch fails. */
  denied?: { code: number; substatus?: number; message: string };
}

/**
 * Sorts a bulk response's operations: 2xx written; 409 in merge mode skipped (the document is
 * already there); 429 throttled; transient statuses failed (sent again); anything else rejected
 * with the service's reason. `results` gets the settled ones.
 */
export function classifyOperations(group: readonly number[], response: readonly BulkOperationResult[], mode: WriteMode, results: WriteResult[]): OperationsOutcome {
  const outcome: OperationsOutcome = { throttled: [], failed: [], charge: 0 };
  for (let k = 0; k < group.length; k++) {
    const i = group[k]!;
    const r = response[k];
    const code = r?.statusCode;
    outcome.charge += r?.requestCharge ?? 0;
    if (code !== undefined && code >= 200 && code < 300) results[i] = { status: 'written' };
    else if (code === 409 && mode === 'merge') results[i] = { status: 'skipped' };
    else if (code === 401 || code === 403) {
      outcome.denied = { code, ...(r?.subStatusCode !== undefined ? { substatus: r.subStatusCode } : {}), message: r?.message ?? '' };
      return outcome;
    } else if (code === 429) {
      outcome.retryAfterMs = Math.max(outcome.retryAfterMs ?? 0, r?.retryAfterMilliseconds ?? 0);
      outcome.throttled.push(i);
    } else if (isRetryableStatus(code)) {
      outcome.failed.push(i);
      addRetries((outcome.failedKinds ??= {}), httpRetryKind(code), 1);
      outcome.problem = `HTTP ${code ?? 'error'}${r?.subStatusCode ? `.${r.subStatusCode}` : ''}`;
    } else {
      const detail = r?.message ?? (r?.resourceBody as { message?: string } | undefined)?.message ?? '';
      results[i] = { status: 'rejected', reason: `Cosmos DB refused the document (HTTP ${code}${r?.subStatusCode ? `.${r.subStatusCode}` : ''})${detail ? `: ${String(detail).split('\n')[0]!.slice(0, 300)}` : ''}` };
    }
  }
  if (outcome.throttled.length > 0 && outcome.retryAfterMs) outcome.serverAskedMs = outcome.retryAfterMs;
  return outcome;
}
