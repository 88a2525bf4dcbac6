import net, { type AddressInfo, type Socket } from 'node:net';
import { BSON } from '../../src/core/bson.js';

/**
 * A TCP proxy for fault tests. In front of MongoDB it reads the wire protocol just enough
 * (message framing, the command name of an OP_MSG) to fail chosen commands; in front of
 * anything else (a TLS Cosmos DB endpoint) it can only pass or slow the byte stream.
 */
export type WireAction =
  | 'pass'
  /** Forward the command, then cut the connection instead of passing the reply: the server did the work. */
  | 'drop-reply'
  /** Cut the connection before the command reaches the server. */
  | 'cut'
  /** Answer with a server error instead of forwarding (e.g. a retryable write error). */
  | { error: { code: number; codeName: string; errmsg?: string; labels?: string[] } };

export interface TcpFaultProxy {
  /** host:port to put in a connection string or URL instead of the real server's. */
  host: string;
  port: number;
  /** Commands seen, in order (`insert`, `update`, `find`, ...). */
  commands: string[];
  /** Faults injected, by kind and command (`drop-reply:insert`). */
  injected: Map<string, number>;
  setPolicy(policy: (command: string, seq: number) => WireAction): void;
  /** Delays every chunk in both directions by this many ms (0: none). */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

const OP_MSG = 2013;

function commandOf(message: Buffer): string | undefined {
  if (message.length < 26 || message.readInt32LE(12) !== OP_MSG || message[20] !== 0) return undefined;
  const size = message.readInt32LE(21);
  return Object.keys(BSON.deserialize(message.subarray(21, 21 + size)))[0];
}

/** An OP_MSG reply to `request` carrying `body`. */
function reply(request: Buffer, body: Record<string, unknown>): Buffer {
  const doc = Buffer.from(BSON.serialize(body));
  const out = Buffer.alloc(21 + doc.length);
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(Math.floor(Math.random() * 2 ** 30), 4);
  out.writeInt32LE(request.readInt32LE(4), 8);
  out.writeInt32LE(OP_MSG, 12);
  out.writeUInt32LE(0, 16);
  out[20] = 0;
  doc.copy(out, 21);
  return out;
}

function framer(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const length = pending.readInt32LE(0);
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

/**
 * `wire: true` parses MongoDB messages (policies apply); `wire: false` forwards bytes as they
 * come (only the delay applies), for protocols the proxy cannot read such as TLS.
 */
export async function startTcpFaultProxy(upstream: { host: string; port: number }, options: { wire?: boolean } = {}): Promise<TcpFaultProxy> {
  const wire = options.wire ?? true;
  let policy: (command: string, seq: number) => WireAction = () => 'pass';
  let delayMs = 0;
  let seq = 0;
  const commands: string[] = [];
  const injected = new Map<string, number>();
  const sockets = new Set<Socket>();
  const count = (key: string) => injected.set(key, (injected.get(key) ?? 0) + 1);
  const later = (fn: () => void) => (delayMs > 0 ? void setTimeout(fn, delayMs) : fn());

  const server = net.createServer((client) => {
    const upstreamSocket = net.connect(upstream.port, upstream.host);
    sockets.add(client).add(upstreamSocket);
    const cut = () => {
      client.destroy();
      upstreamSocket.destroy();
    };
    client.on('error', cut);
    upstreamSocket.on('error', cut);
    // Bytes still in the delay line are delivered before the other side is closed.
    client.on('close', () => later(cut));
    upstreamSocket.on('close', () => later(cut));
    if (!wire) {
      client.on('data', (c: Buffer) => later(() => upstreamSocket.write(c)));
      upstreamSocket.on('data', (c: Buffer) => later(() => client.write(c)));
      return;
    }
    // requestID -> what to do with its reply
    const dropReplies = new Set<number>();
    client.on(
      'data',
      framer((message) => {
        const command = commandOf(message);
        let action: WireAction = 'pass';
        if (command) {
          commands.push(command);
          action = policy(command, ++seq);
        }
        if (action === 'cut') {
          count(`cut:${command}`);
          return cut();
        }
        if (typeof action === 'object') {
          count(`error:${command}`);
          const { code, codeName, errmsg, labels } = action.error;
          return later(() => client.write(reply(message, { ok: 0, code, codeName, errmsg: errmsg ?? `injected ${codeName}`, ...(labels ? { errorLabels: labels } : {}) })));
        }
        if (action === 'drop-reply') dropReplies.add(message.readInt32LE(4));
        later(() => upstreamSocket.write(message));
      }),
    );
    upstreamSocket.on(
      'data',
      framer((message) => {
        const to = message.readInt32LE(8);
        if (dropReplies.has(to)) {
          count('drop-reply');
          return cut();
        }
        later(() => client.write(message));
      }),
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    commands,
    injected,
    setPolicy: (p) => {
      policy = p;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
