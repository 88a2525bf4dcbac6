import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's chromium (apt-get install -y chromium), or undefined where it is not installed. */
export function chromiumPath(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  return undefined;
}

/**
 * Runs headless chromium on a local file with every proxy pointed at a closed local port, so a
 * page that tried to fetch anything would get nothing.
 */
export function runChromium(bin: string, args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-dev-shm-usage', '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'];
  return new Promise((resolve, reject) => {
    execFile(bin, [...base, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr })));
  });
}
