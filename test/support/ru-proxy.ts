import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { startCosmosTestServer, type CosmosTestServer } from './cosmos.js';

/**
 * An HTTP proxy in front of cosmosdb-server (which charges 1 RU for everything and never
 * throttles) that behaves like a provisioned Cosmos DB container where it matters to a
 * migration:
 *
 * - every data request is charged request units, returned in `x-ms-request-charge` and, for bulk
 *   requests, in each operation's `requestCharge` in the body (where the SDK reads it): a write
 *   about 5 RU per KB plus an indexing share per indexed value (a 1 KB document with 30 values
 *   costs about 10 RU, as in FACTS.md), a read or query 1 RU per KB returned plus a little per page;
 * - each container has `throughput` RU/s: a token bucket holding one second of RU. A request is
 *   admitted while the bucket is not empty (it may run it into debt, as the service lets a
 *   started operation finish); otherwise 429 with `x-ms-retry-after-ms`. A bulk request is
 *   admitted operation by operation: the first that finds the bucket empty and all after it get
 *   429 with `retryAfterMilliseconds` in a 207 response, or the whole request gets 429 when the
 *   first operation does;
 * - `Prefer: return=minimal` drops the written documents from bulk responses, as the service does;
 * - offers: a query on `/offers` answers with `throughput` as the container's manual RU/s, so
 *   `--ru-share` can be tested; without `serveOffers` it answers 404 like cosmosdb-server.
 *
 * It also measures its upstream (`stats.upstream`): every request it forwards, by kind (a query
 * page, the SDK's query-plan request, a COUNT, a TOP sample, a container read, ...), and the
 * time at least one was outstanding. cosmosdb-server is single-threaded and in-process, so that
 * time bounds the server's busy time from above (the proxy's own work on other requests
 * interleaves with it).
 */
export interface RuProxyOptions {
  /** Provisioned RU/s of every container; undefined: charge but never throttle. */
  throughput?: number;
  serveOffers?: boolean;
}

export interface RuProxyStats {
  /** Data-plane requests (bulk, item, query), not metadata. */
  requests: number;
  /** Requests answered 429, or with at least one operation 429. */
  throttledRequests: number;
  operations: number;
  throttledOperations: number;
  totalCharge: number;
  /** RU charged per whole second since the proxy started. */
  perSecond: number[];
  /** When the first and the last charge came (ms since the proxy started): the span the RU were used in. */
  firstChargeMs?: number;
  lastChargeMs?: number;
  /** Values of x-ms-cosmos-priority-level seen on data requests, with their counts. */
  priorities: Record<string, number>;
  upstream: UpstreamStats;
}

/** What the proxy forwarded upstream, measured. */
export interface UpstreamStats {
  /** Milliseconds with at least one forwarded request outstanding (overlaps counted once). */
  busyMs: number;
  /** Per kind of request: how many, their summed round trips (ms; overlapping ones each count), response bytes. */
  byKind: Record<string, { requests: number; ms: number; bytes: number }>;
  /** Every query page in order: its container (db/coll), the page size asked (x-ms-max-item-count) and the items returned. */
  pages: { container: string; maxItemCount: number | undefined; items: number }[];
}

/**
 * The kind of a forwarded request, for the benchmark's account of the server's time: what the
 * SDK sends on a query (the plan request, which cosmosdb-server answers as a query page), a
 * COUNT, a TOP, a page; bulk, item and metadata requests.
 */
export function requestKind(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, body: Buffer): string {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  const header = (name: string) => String(req.headers[name] ?? '').toLowerCase();
  if (/\/pkranges$/.test(path)) return 'partition ranges';
  if (/\/docs(\/[^/]+)?$/.test(path)) {
    if (header('x-ms-cosmos-is-batch-request') === 'true') return 'bulk';
    const isQuery = header('x-ms-documentdb-isquery') === 'true' || header('content-type').includes('query+json');
    if (!isQuery) return req.method === 'GET' && /\/docs$/.test(path) ? 'read feed' : 'item';
    if (header('x-ms-cosmos-is-query-plan-request') === 'true') return 'query plan';
    let text = '';
    try {
      const parsed = JSON.parse(body.toString('utf8') || '{}') as { query?: unknown };
      text = typeof parsed.query === 'string' ? parsed.query : '';
    } catch {
      text = '';
    }
    if (/\bCOUNT\s*\(/i.test(text)) return 'count';
    if (/^\s*SELECT\s+TOP\b/i.test(text)) return 'top';
    return 'query page';
  }
  if (/^\/dbs\/[^/]+\/colls\/[^/]+$/.test(path) && req.method === 'GET') return 'container read';
  if (path.startsWith('/offers')) return 'offers';
  return 'metadata';
}

export interface RuProxy {
  endpoint: string;
  stats: RuProxyStats;
  /** RU/s charged between two times (ms since the proxy started). */
  ruPerSecond(fromMs: number, toMs: number): number;
  /** Milliseconds since the proxy started. */
  elapsed(): number;
  reset(): void;
  setThroughput(ru: number | undefined): void;
  stop(): Promise<void>;
}

const WRITE_RU_PER_KB = 5;
const INDEX_RU_PER_VALUE = 0.15;
const READ_RU_PER_KB = 1;
const QUERY_RU_PER_PAGE = 2;

/** Primitive values a default (consistent, all paths) indexing policy indexes. */
function indexedValues(v: unknown): number {
  if (v === null || typeof v !== 'object') return 1;
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += indexedValues(x);
  else for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!k.startsWith('_') || k === '_id') n += indexedValues(x);
  return n;
}

export function writeCharge(doc: unknown): number {
  const bytes = Buffer.byteLength(JSON.stringify(doc ?? {}), 'utf8');
  return round2(Math.max(1, (WRITE_RU_PER_KB * bytes) / 1024) + INDEX_RU_PER_VALUE * indexedValues(doc));
}

function readCharge(bytes: number, query: boolean): number {
  return round2(Math.max(1, (READ_RU_PER_KB * bytes) / 1024) + (query ? QUERY_RU_PER_PAGE : 0));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

class Bucket {
  private tokens: number;
  private last: number;
  constructor(private ru: number) {
    this.tokens = ru;
    this.last = performance.now();
  }
  setRate(ru: number): void {
    this.ru = ru;
    this.tokens = Math.min(this.tokens, ru);
  }
  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.ru, this.tokens + ((now - this.last) / 1000) * this.ru);
    this.last = now;
  }
  /** Room for a request now? */
  open(): boolean {
    this.refill();
    return this.tokens > 0;
  }
  take(ru: number): void {
    this.tokens -= ru;
  }
  retryAfterMs(): number {
    this.refill();
    return Math.max(1, Math.ceil(((Math.max(0, -this.tokens) + 1) / this.ru) * 1000));
  }
}

const DATA_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs(\/[^/]+)?\/?$/;

export async function startRuProxy(upstream: string, options: RuProxyOptions = {}): Promise<RuProxy> {
  const target = new URL(upstream);
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 64 });
  let throughput = options.throughput;
  const buckets = new Map<string, Bucket>();
  const sockets = new Set<Socket>();
  let started = performance.now();
  const fresh = (): RuProxyStats => ({ requests: 0, throttledRequests: 0, operations: 0, throttledOperations: 0, totalCharge: 0, perSecond: [], priorities: {}, upstream: { busyMs: 0, byKind: {}, pages: [] } });
  const stats = fresh();
  // Forwarded requests outstanding, and since when at least one has been (for upstream.busyMs).
  let outstanding = 0;
  let busySince = 0;

  const charge = (ru: number) => {
    stats.totalCharge += ru;
    const at = performance.now() - started;
    stats.firstChargeMs ??= at;
    stats.lastChargeMs = at;
    const second = Math.floor(at / 1000);
    while (stats.perSecond.length <= second) stats.perSecond.push(0);
    stats.perSecond[second]! += ru;
  };
  const bucketFor = (container: string): Bucket | undefined => {
    if (throughput === undefined) return undefined;
    let b = buckets.get(container);
    if (!b) {
      b = new Bucket(throughput);
      buckets.set(container, b);
    }
    return b;
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> => {
    const kind = requestKind(req, body);
    const sent = performance.now();
    if (outstanding++ === 0) busySince = sent;
    let finished = false;
    const done = (bytes: number, itemCount = 0) => {
      if (finished) return;
      finished = true;
      const now = performance.now();
      if (--outstanding === 0) stats.upstream.busyMs += now - Math.max(busySince, started);
      // A request sent before a reset() belongs to the figures reset() cleared.
      if (sent < started) return;
      const k = (stats.upstream.byKind[kind] ??= { requests: 0, ms: 0, bytes: 0 });
      k.requests++;
      k.ms += now - sent;
      k.bytes += bytes;
      if (kind === 'query page') {
        const asked = Number(req.headers['x-ms-max-item-count']);
        const container = /^\/dbs\/([^/]+)\/colls\/([^/]+)\//.exec(req.url ?? '');
        stats.upstream.pages.push({ container: container ? `${container[1]}/${container[2]}` : '', maxItemCount: Number.isFinite(asked) && asked > 0 ? asked : undefined, items: itemCount });
      }
    };
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const upstreamReq = client.request(
        { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const all = Buffer.concat(chunks);
            done(all.length, Number(res.headers['x-ms-item-count'] ?? 0));
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: all });
          });
          res.on('error', (err) => {
            done(0);
            reject(err);
          });
        },
      );
      upstreamReq.on('error', (err) => {
        done(0);
        reject(err);
      });
      upstreamReq.end(body);
    });
  };

  const send = (res: ServerResponse, status: number, headers: http.IncomingHttpHeaders, body: Buffer | string) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const out: http.OutgoingHttpHeaders = { ...headers, 'content-length': String(payload.length) };
    delete out['transfer-encoding'];
    delete out['connection'];
    res.writeHead(status, out);
    res.end(payload);
  };

  const tooMany = (res: ServerResponse, bucket: Bucket) => {
    stats.throttledRequests++;
    send(
      res,
      429,
      { 'content-type': 'application/json', 'x-ms-retry-after-ms': String(bucket.retryAfterMs()), 'x-ms-substatus': '3200', 'x-ms-request-charge': '0' },
      JSON.stringify({ code: 'TooManyRequests', message: 'Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later.' }),
    );
  };

  const handleBulk = async (req: IncomingMessage, body: Buffer, res: ServerResponse, container: string) => {
    const ops = JSON.parse(body.toString('utf8')) as { operationType: string; resourceBody?: unknown }[];
    stats.operations += ops.length;
    const bucket = bucketFor(container);
    const costs = ops.map((op) => (op.resourceBody !== undefined ? writeCharge(op.resourceBody) : 1));
    let admitted = ops.length;
    if (bucket) {
      admitted = 0;
      while (admitted < ops.length && bucket.open()) bucket.take(costs[admitted++]!);
    }
    if (admitted === 0) {
      stats.throttledOperations += ops.length;
      return tooMany(res, bucket!);
    }
    const upstreamRes = await forward(req, admitted === ops.length ? body : Buffer.from(JSON.stringify(ops.slice(0, admitted))));
    if (upstreamRes.status >= 300 && upstreamRes.status !== 207) return send(res, upstreamRes.status, upstreamRes.headers, upstreamRes.body);
    const minimal = String(req.headers['prefer'] ?? '').includes('return=minimal');
    const results = JSON.parse(upstreamRes.body.toString('utf8')) as { statusCode: number; requestCharge?: number; resourceBody?: unknown }[];
    let total = 0;
    const out: unknown[] = results.map((r, i) => {
      const ru = r.statusCode < 300 ? costs[i]! : 1;
      total += ru;
      const { resourceBody, ...rest } = r;
      return { ...rest, requestCharge: ru, ...(minimal || resourceBody === undefined ? {} : { resourceBody }) };
    });
    const retryAfter = bucket && admitted < ops.length ? bucket.retryAfterMs() : 0;
    for (let i = admitted; i < ops.length; i++) out.push({ statusCode: 429, subStatusCode: 3200, requestCharge: 0, retryAfterMilliseconds: retryAfter });
    if (admitted < ops.length) {
      stats.throttledRequests++;
      stats.throttledOperations += ops.length - admitted;
    }
    charge(total);
    send(res, admitted < ops.length ? 207 : upstreamRes.status, { ...upstreamRes.headers, 'x-ms-request-charge': String(round2(total)) }, JSON.stringify(out));
  };

  const handleData = async (req: IncomingMessage, body: Buffer, res: ServerResponse, container: string) => {
    const bucket = bucketFor(container);
    if (bucket && !bucket.open()) return tooMany(res, bucket);
    const upstreamRes = await forward(req, body);
    const isQuery = String(req.headers['x-ms-documentdb-isquery'] ?? '').toLowerCase() === 'true' || String(req.headers['content-type'] ?? '').includes('query+json');
    const isWrite = !isQuery && (req.method === 'POST' || req.method === 'PUT');
    let ru = 0;
    if (upstreamRes.status < 300) {
      ru = isWrite ? writeCharge(JSON.parse(body.toString('utf8') || '{}')) : readCharge(upstreamRes.body.length, isQuery);
    } else ru = 1;
    bucket?.take(ru);
    charge(ru);
    send(res, upstreamRes.status, { ...upstreamRes.headers, 'x-ms-request-charge': String(ru) }, upstreamRes.body);
  };

  const handleOffers = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    if (!options.serveOffers || throughput === undefined) {
      return send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ code: 'NotFound', message: 'no route' }));
    }
    const query = JSON.parse(body.toString('utf8') || '{}') as { query?: string };
    const resource = /root\.resource\s*=\s*"([^"]+)"/.exec(query.query ?? '')?.[1] ?? '';
    const offer = {
      id: 'ru-proxy-offer',
      _rid: 'ru-proxy-offer',
      _self: 'offers/ru-proxy-offer/',
      resource,
      offerResourceId: '',
      offerType: 'Invalid',
      offerVersion: 'V2',
      content: { offerThroughput: throughput },
    };
    send(res, 200, { 'content-type': 'application/json', 'x-ms-request-charge': '1' }, JSON.stringify({ _rid: '', Offers: [offer], _count: 1 }));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      const data = DATA_PATH.exec(path);
      const work = async () => {
        if (path.startsWith('/offers')) return handleOffers(req, body, res);
        if (!data) {
          const r = await forward(req, body);
          return send(res, r.status, r.headers, r.body);
        }
        stats.requests++;
        const level = req.headers['x-ms-cosmos-priority-level'];
        if (typeof level === 'string') stats.priorities[level] = (stats.priorities[level] ?? 0) + 1;
        const container = `${data[1]}/${data[2]}`;
        const isBulk = String(req.headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true';
        if (isBulk && String(req.headers['x-ms-cosmos-batch-atomic'] ?? '').toLowerCase() !== 'true') return handleBulk(req, body, res, container);
        return handleData(req, body, res, container);
      };
      work().catch((err: unknown) => {
        if (!res.headersSent) send(res, 502, { 'content-type': 'application/json' }, JSON.stringify({ code: 'BadGateway', message: String(err) }));
        else res.destroy();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    stats,
    ruPerSecond: (fromMs, toMs) => {
      const from = Math.floor(fromMs / 1000);
      const to = Math.floor(toMs / 1000);
      if (to <= from) return 0;
      let sum = 0;
      for (let s = from; s < to; s++) sum += stats.perSecond[s] ?? 0;
      return sum / (to - from);
    },
    elapsed: () => performance.now() - started,
    reset: () => {
      Object.assign(stats, fresh());
      started = performance.now();
      busySince = started;
      buckets.clear();
    },
    setThroughput: (ru) => {
      throughput = ru;
      for (const b of buckets.values()) if (ru !== undefined) b.setRate(ru);
      if (ru === undefined) buckets.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A fresh cosmosdb-server behind an RU proxy of its own for one test, both stopped afterwards. */
export async function withRuTarget(options: RuProxyOptions, run: (proxy: RuProxy, target: CosmosTestServer) => Promise<void>): Promise<void> {
  const target = await startCosmosTestServer();
  const proxy = await startRuProxy(target.endpoint, options);
  try {
    await run(proxy, target);
  } finally {
    await proxy.stop();
    await target.stop();
  }
}
