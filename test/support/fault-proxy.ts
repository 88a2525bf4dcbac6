import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with one request. */
export type FaultAction =
  | { type: 'pass' }
  | { type: 'respond'; status: number; headers?: Record<string, string>; body?: string }
  | { type: 'delay'; ms: number }
  | { type: 'reset' }
  /** Forward the request, then cut the connection instead of passing the response: the server did the work. */
  | { type: 'reset-after' };

export interface ProxiedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The SDK's bulk/batch requests carry this header. */
  isBatch: boolean;
  /** 1-based count of requests seen so far. */
  seq: number;
}

export interface FaultProxy {
  endpoint: string;
  requests: ProxiedRequest[];
  /** Requests answered by the policy instead of the server, by status. */
  injected: Map<number, number>;
  setPolicy(policy: (req: ProxiedRequest) => FaultAction): void;
  stop(): Promise<void>;
}

/**
 * A small HTTP proxy in front of a Cosmos DB endpoint (local or real) that can answer with
 * throttling or errors, delay, or reset the connection, per request.
 */
export async function startFaultProxy(upstream: string, policy: (req: ProxiedRequest) => FaultAction = () => ({ type: 'pass' })): Promise<FaultProxy> {
  const target = new URL(upstream);
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  let current = policy;
  const requests: ProxiedRequest[] = [];
  const injected = new Map<number, number>();
  const sockets = new Set<Socket>();
  let seq = 0;

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, resetAfter = false) => {
    const upstreamReq = client.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (upstreamRes) => {
        if (resetAfter) {
          upstreamRes.resume();
          upstreamRes.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => res.destroy());
    upstreamReq.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: ProxiedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
        isBatch: String(req.headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true',
        seq: ++seq,
      };
      requests.push(entry);
      const action = current(entry);
      switch (action.type) {
        case 'pass':
          return forward(req, body, res);
        case 'respond': {
          injected.set(action.status, (injected.get(action.status) ?? 0) + 1);
          const payload = action.body ?? JSON.stringify({ code: String(action.status), message: `injected ${action.status}` });
          res.writeHead(action.status, { 'content-type': 'application/json', 'x-ms-request-charge': '1', ...action.headers });
          return res.end(payload);
        }
        case 'delay':
          return void setTimeout(() => forward(req, body, res), action.ms);
        case 'reset':
          injected.set(0, (injected.get(0) ?? 0) + 1);
          return req.socket.destroy();
        case 'reset-after':
          injected.set(-1, (injected.get(-1) ?? 0) + 1);
          return forward(req, body, res, true);
      }
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
    requests,
    injected,
    setPolicy: (p) => {
      current = p;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A 429 as Cosmos DB sends it: throttled, with the time to wait. */
export function throttled(retryAfterMs: number): FaultAction {
  return {
    type: 'respond',
    status: 429,
    headers: { 'x-ms-retry-after-ms': String(retryAfterMs), 'x-ms-substatus': '3200' },
    body: JSON.stringify({ code: 'TooManyRequests', message: 'Request rate is large. More Request Units may be needed.' }),
  };
}
