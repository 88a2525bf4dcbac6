/**
 * `npm run demo`: a complete migration on embedded local servers. Seeds a Cosmos DB-compatible
 * server with synthetic CoPilot data, exports it through the docferry CLI, imports the export into
 * a second server, and checks every document arrived. Nothing leaves this machine.
 *
 *   npm run demo -- --docs 20000    # more data (default 3000)
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import { processContext } from '../src/cli/context.js';
import { defaultExportDirName } from '../src/core/manifest.js';
import { COPILOT_COLLECTIONS, databaseOf, generateDocuments, scaledCounts, type SyntheticCollection } from '../src/synthetic/copilot.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer } from '../test/support/cosmos.js';

const { values } = parseArgs({ options: { docs: { type: 'string', default: '3000' }, keep: { type: 'boolean', default: false } } });
const total = Number(values.docs);
if (!Number.isInteger(total) || total < 10) throw new Error('--docs takes a whole number of at least 10');

const say = (line: string) => process.stderr.write(`\n\u001b[1m== ${line}\u001b[0m\n`);

async function run(args: string[]): Promise<number> {
  const ctx = processContext();
  const code = await main(['node', 'docferry', ...args], ctx);
  if (code !== 0) throw new Error(`docferry ${args[0]} exited with ${code}`);
  return code;
}

const source = await startCosmosTestServer();
const target = await startCosmosTestServer();
const outRoot = resolve('demo-output');
const exportDir = join(outRoot, defaultExportDirName());
try {
  const counts = scaledCounts(total);
  const collections: SyntheticCollection[] = [...COPILOT_COLLECTIONS, 'user_roles'];
  say(`Seeding the source (${source.endpoint}) with ~${total} synthetic documents`);
  for (const c of collections) await seedCosmos(source, databaseOf(c), c, generateDocuments(c, counts[c], { seed: 42 }));

  await mkdir(outRoot, { recursive: true });
  const keyEnv = { SRC_COSMOS_KEY: source.key, DST_COSMOS_KEY: target.key };
  Object.assign(process.env, keyEnv);

  say(`docferry export --source-type cosmos --cosmos-endpoint ${source.endpoint} --output-dir ${exportDir}`);
  await run(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--output-dir', exportDir]);

  say(`docferry import --dest-type cosmos --cosmos-endpoint ${target.endpoint} --export-dir ${exportDir}`);
  await run(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--export-dir', exportDir]);

  say('Comparing every document in source and target');
  let compared = 0;
  for (const c of collections) {
    const [a, b] = await Promise.all([readAllCosmos(source, databaseOf(c), c), readAllCosmos(target, databaseOf(c), c)]);
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${databaseOf(c)}.${c}: source and target differ`);
    compared += a.length;
  }
  process.stderr.write(`${compared} documents in ${collections.length} collections are identical in source and target.\n`);
  process.stderr.write(`The export (NDJSON + manifest.json) is in ${exportDir}${values.keep ? '' : ' (removed at the end; pass --keep to keep it)'}.\n`);
} finally {
  await source.stop();
  await target.stop();
  if (!values.keep) await rm(exportDir, { recursive: true, force: true });
}
