import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { DocferryError, errorMessage } from './errors.js';

/** What `--connect-timeout` defaults to, wherever a server is reached. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface ReachableContext {
  /** Who is being reached, for the message: "Blob Storage", "the Azure management API". */
  service: string;
  /** What to check, for the message. */
  advice: string;
}

/**
 * The Azure SDKs retry a connection they cannot make (ENOTFOUND included) for minutes, with
 * backoff; one resolve-and-connect first says in seconds that the endpoint is wrong or
 * unreachable. Proxied setups skip it (the proxy, not this machine, reaches the endpoint).
 */
export async function checkReachable(url: string, timeoutMs: number, context: ReachableContext): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (u.protocol === 'http:' ? 80 : 443));
  const where = `${u.hostname}:${port}`;
  const lead = `Cannot reach ${context.service} at ${u.origin}`;
  let address: string;
  try {
    address = (await lookup(host)).address;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND') throw new DocferryError(`${lead}: the host name ${u.hostname} does not resolve (ENOTFOUND). ${context.advice}`, 1, { cause: err });
    throw new DocferryError(`${lead}: resolving ${u.hostname} failed (${code ?? errorMessage(err)}). ${context.advice}`, 1, { cause: err });
  }
  await new Promise<void>((resolvePromise, reject) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DocferryError(`${lead}: no connection to ${where} within ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`} (--connect-timeout). ${context.advice}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DocferryError(`${lead}: connecting to ${where} failed (${err.code ?? err.message}). ${context.advice}`, 1, { cause: err }));
    });
  });
}

/** Whether requests go through a proxy from the environment (then this machine need not reach the endpoint itself). */
export function proxiedByEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy || env.ALL_PROXY || env.all_proxy);
}
