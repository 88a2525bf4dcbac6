/**
 * Test support: MongoDB's own relaxed Extended JSON for given documents, from the Go driver's
 * bson.MarshalExtJSON (what mongoexport --jsonFormat=relaxed writes), through the small Go program
 * in tools/extjson-ref/. Built on first use; the build is a no-op when bin/ is up to date.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const toolDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tools', 'extjson-ref');
let built = false;

/** One relaxed line per canonical Extended JSON line, in order ("error: ..." where Go refuses one). */
export function goRelaxedExtJson(canonicalLines: string[]): string[] {
  if (!built) {
    execFileSync('bash', [join(toolDir, 'build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    built = true;
  }
  const out = execFileSync(join(toolDir, 'bin', 'extjson-ref'), { input: canonicalLines.map((l) => `${l}\n`).join(''), encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = out.split('\n');
  lines.pop();
  if (lines.length !== canonicalLines.length) throw new Error(`extjson-ref answered ${lines.length} lines for ${canonicalLines.length}`);
  return lines;
}
