/**
 * An in-memory Cosmos DB management plane for the RU/s window tests: offers keyed by target id,
 * the service's floor rules (manual max(400, highest/100); autoscale max(1000, highest/10)),
 * and scripted failures.
 */
import { throughputTargetId, type ThroughputManagementClient, type ThroughputReading, type ThroughputSettings, type ThroughputTarget } from '../../../src/azure/throughput/types.js';

export interface Offer {
  settings: ThroughputSettings;
  highestEver: number;
  storageGb?: number;
  instantMaximumThroughput?: number;
  offerReplacePending?: boolean;
  /** Do not report minimumThroughput (older API versions). */
  hideMinimum?: boolean;
  /**
   * An update above this value is applied asynchronously: the offer reads offerReplacePending
   * (and the old value) for `pendingReads` reads after the update, then the new value.
   */
  asyncAbove?: number;
  pendingReads?: number;
  /** The value an asynchronous scale-up will reach, while it is pending. */
  scalingTo?: ThroughputSettings;
}

export interface ScriptedFailure {
  error: unknown;
  /** The update took effect although the call failed (a lost long-running operation). */
  applied?: boolean;
}

export class FakeThroughputClient implements ThroughputManagementClient {
  readonly offers = new Map<string, Offer>();
  readonly calls: { op: 'read' | 'update'; targetId: string; settings?: ThroughputSettings }[] = [];
  readonly updateFailures: ScriptedFailure[] = [];
  readonly readFailures: unknown[] = [];

  set(target: ThroughputTarget, settings: ThroughputSettings, extra: Partial<Offer> = {}): this {
    this.offers.set(throughputTargetId(target), { settings: { ...settings }, highestEver: settings.value, ...extra });
    return this;
  }

  current(target: ThroughputTarget): ThroughputSettings | undefined {
    const o = this.offers.get(throughputTargetId(target));
    return o ? { ...o.settings } : undefined;
  }

  get updates(): ThroughputSettings[] {
    return this.calls.filter((c) => c.op === 'update').map((c) => c.settings!);
  }

  static floor(o: Offer): number {
    const manual = o.settings.mode === 'manual';
    const raw = Math.max(manual ? 400 : 1000, Math.ceil(o.highestEver / (manual ? 100 : 10)), Math.ceil((o.storageGb ?? 0) * (manual ? 1 : 10)));
    const step = manual ? 100 : 1000;
    return Math.ceil(raw / step) * step;
  }

  private reading(o: Offer): ThroughputReading {
    return {
      settings: { ...o.settings },
      ...(o.hideMinimum ? {} : { minimumThroughput: FakeThroughputClient.floor(o) }),
      ...(o.instantMaximumThroughput !== undefined ? { instantMaximumThroughput: o.instantMaximumThroughput } : {}),
      ...(o.offerReplacePending !== undefined ? { offerReplacePending: o.offerReplacePending } : {}),
    };
  }

  private offer(target: ThroughputTarget): Offer {
    const o = this.offers.get(throughputTargetId(target));
    if (!o) throw Object.assign(new Error(`NotFound: ${throughputTargetId(target)}`), { statusCode: 404 });
    return o;
  }

  async read(target: ThroughputTarget): Promise<ThroughputReading> {
    this.calls.push({ op: 'read', targetId: throughputTargetId(target) });
    const failure = this.readFailures.shift();
    if (failure !== undefined) throw failure;
    const o = this.offer(target);
    if (o.scalingTo) {
      if ((o.pendingReads ?? 0) > 0) {
        o.pendingReads!--;
        return { ...this.reading(o), offerReplacePending: true };
      }
      o.settings = o.scalingTo;
      delete o.scalingTo;
    }
    return this.reading(o);
  }

  async update(target: ThroughputTarget, settings: ThroughputSettings): Promise<ThroughputReading> {
    this.calls.push({ op: 'update', targetId: throughputTargetId(target), settings: { ...settings } });
    const o = this.offer(target);
    const apply = () => {
      if (settings.mode !== o.settings.mode) throw Object.assign(new Error('BadRequest: mode change through an update'), { statusCode: 400 });
      if (settings.value < FakeThroughputClient.floor(o)) throw Object.assign(new Error(`BadRequest: below the minimum ${FakeThroughputClient.floor(o)}`), { statusCode: 400 });
      o.settings = { ...settings };
      o.highestEver = Math.max(o.highestEver, settings.value);
    };
    const failure = this.updateFailures.shift();
    if (failure !== undefined) {
      if (failure.applied) apply();
      throw failure.error;
    }
    if (o.asyncAbove !== undefined && settings.value > o.asyncAbove) {
      // Partitions split first: the old value stays in effect meanwhile.
      const old = { ...o.settings };
      apply();
      o.scalingTo = { ...o.settings };
      o.settings = old;
      return { ...this.reading(o), offerReplacePending: true };
    }
    apply();
    return this.reading(o);
  }
}

export function armError(statusCode: number, message: string, headers: Record<string, string> = {}): Error {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.assign(new Error(message), { statusCode, response: { headers: { get: (n: string) => lower[n.toLowerCase()] } } });
}

/** Records waits instead of sleeping. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => { waits.push(ms); } };
}
