import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { API_EXTRAS, NOT_APPLICABLE, apiOptions, readApiOptions } from '../../src/api/catalogue-options.js';
import { API_OPTION_KEYS } from '../../src/api/options.generated.js';
import { AbortError, DocferryError, ExitCode, UsageError, exportData, importData, migrate, planRun, verify } from '../../src/index.js';
import { TRANSFER_COMMANDS, TUNING, commandOptions, type OptionDecl, type ResolvedOption } from '../../src/options/catalogue.js';
import { apiTypesPath, renderApiOptionTypes } from '../../scripts/api-option-types.js';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A value the CLI would take for the option, in the form a program passes it. */
function sample(o: ResolvedOption): unknown {
  switch (o.kind) {
    case 'boolean':
      return true;
    case 'choice':
      return o.choices![o.choices!.length - 1];
    case 'list':
      return ['copilot.messages'];
    case 'share':
      return '50%';
    case 'bytes':
      return '4MB';
    case 'duration':
      return '2m';
    case 'shard':
      return '2/3';
    case 'string':
      return 'x';
    default:
      return 3;
  }
}

function refusal(run: () => unknown): UsageError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('library API options: the option catalogue, under its keys', () => {
  it('src/api/options.generated.ts is what the catalogue renders (run npm run generate:inputs when not)', () => {
    expect(readFileSync(apiTypesPath(repoRoot), 'utf8')).to.equal(renderApiOptionTypes(), 'src/api/options.generated.ts is stale: run npm run generate:inputs and commit it');
  });

  for (const command of TRANSFER_COMMANDS) {
    it(`${command}: every catalogue option is taken by the API (typed and parsed) or listed as not applicable with a reason`, () => {
      const typed = new Set<string>(API_OPTION_KEYS[command]);
      for (const o of commandOptions(command)) {
        const reason = NOT_APPLICABLE[o.key];
        if (reason !== undefined) {
          expect(reason.length, o.key).to.be.greaterThan(20);
          expect(typed.has(o.key), `${o.key} is not applicable but typed`).to.equal(false);
          expect(refusal(() => readApiOptions(command, { [o.key]: sample(o) })).message).to.contain(reason);
          continue;
        }
        expect(typed.has(o.key), `${command}: catalogue option ${o.key} is missing from the API's typed options`).to.equal(true);
        const values = readApiOptions(command, { ...required(command), [o.key]: sample(o) });
        expect(values[o.key], `${command}: ${o.key}`).to.not.equal(undefined);
      }
      expect([...typed].sort()).to.deep.equal(apiOptions(command).map((o) => o.key).sort());
      for (const extra of API_EXTRAS[command]) expect(commandOptions(command).some((o) => o.key === extra), `${extra} is an API extra and a catalogue key`).to.equal(false);
    });
  }

  it('values are parsed as the CLI parses them, numbers taken in the engine unit', () => {
    const v = readApiOptions('migrate', { fromType: 'mongodb', toType: 'cosmos', batchBytes: '512KB', toRuShare: '25%', connectTimeout: '30s', collections: 'messages, threads', toMaxRu: 400, concurrency: 2 });
    expect(v).to.include({ batchBytes: 512 * 1024, toRuShare: 0.25, connectTimeout: 30_000, toMaxRu: 400, concurrency: 2, mode: 'upsert' });
    expect(v.collections).to.deep.equal(['messages', 'threads']);
    expect(readApiOptions('export', { sourceType: 'cosmos', connectTimeout: 1500 }).connectTimeout).to.equal(1500);
  });

  it('refuses bad values, unknown keys and missing required options with a UsageError that names them', () => {
    expect(refusal(() => readApiOptions('export', { sourceType: 'mongodb', batchSize: 0 })).message).to.equal('exportData: option "batchSize" takes a whole number of at least 1, not 0.');
    expect(refusal(() => readApiOptions('export', { sourceType: 'mongodb', batchSzie: 10 })).message).to.contain('unknown option "batchSzie" (did you mean "batchSize"?)');
    expect(refusal(() => readApiOptions('import', { destType: 'mongodb' })).message).to.contain('option "exportDir" is required');
    expect(refusal(() => readApiOptions('migrate', { fromType: 'mongodb', toType: 'dynamo' })).message).to.contain('option "toType" must be one of cosmos, mongodb');
    expect(refusal(() => readApiOptions('verify', { leftType: 'dir', rightType: 'dir', ignoreExtra: 'yes' })).message).to.contain('"ignoreExtra" takes true or false, not "yes"');
    expect(new UsageError('x').exitCode).to.equal(ExitCode.usage);
  });

  it('an option added to the catalogue reaches the API without editing the API: typed, parsed, and refused when bad', () => {
    const added: OptionDecl = { key: 'probeWindow', kind: 'int', valueName: '<n>', help: 'a probe option of this test', cliOnly: 'test only' };
    (TUNING as OptionDecl[]).push(added);
    try {
      expect(readApiOptions('export', { sourceType: 'mongodb', probeWindow: '7' }).probeWindow).to.equal(7);
      expect(refusal(() => readApiOptions('import', { exportDir: 'e', destType: 'mongodb', probeWindow: -1 })).message).to.contain('"probeWindow" takes a whole number');
      expect(renderApiOptionTypes()).to.contain('  probeWindow?: number;').and.to.contain('A probe option of this test.');
    } finally {
      (TUNING as OptionDecl[]).splice((TUNING as OptionDecl[]).indexOf(added), 1);
    }
  });

  it('the API functions check their options before opening anything, and reject typed errors', async () => {
    const bad = await exportData({ sourceType: 'mongodb', outputDir: 'never-created' }).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(UsageError).and.to.be.instanceOf(DocferryError);
    expect((bad as UsageError).message).to.contain('"mongoUri" is required');
    const noKey = await importData({ exportDir: 'x', destType: 'cosmos', cosmosEndpoint: 'https://acct.documents.azure.com:443/' }).catch((e: unknown) => e);
    expect((noKey as Error).message).to.contain('no Cosmos DB credential');
    const aborted = await migrate({ fromType: 'mongodb', fromMongoUri: 'mongodb://127.0.0.1:1/', toType: 'mongodb', toMongoUri: 'mongodb://127.0.0.1:2/', signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(aborted).to.be.instanceOf(AbortError);
    expect((aborted as AbortError).exitCode).to.equal(ExitCode.aborted).and.to.equal(130);
    expect((aborted as AbortError).name).to.equal('AbortError');
    const both = await verify({ leftType: 'dir', leftDir: 'a', rightType: 'dir', rightDir: 'b', layoutFile: 'x.json', layout: { databases: [] } }).catch((e: unknown) => e);
    expect((both as Error).message).to.contain('not both');
    const plan = await planRun({ operation: 'migrate', fromType: 'mongodb', toType: 'mongodb', toMongoUri: 'mongodb://127.0.0.1:2/' }).catch((e: unknown) => e);
    expect((plan as Error).message).to.contain('"fromMongoUri" is required');
    const sample = await planRun({ operation: 'migrate', fromType: 'mongodb', fromMongoUri: 'mongodb://127.0.0.1:1/', toType: 'mongodb', toMongoUri: 'mongodb://127.0.0.1:2/', sample: 1.5 }).catch((e: unknown) => e);
    expect(sample).to.be.instanceOf(UsageError);
    expect((sample as Error).message).to.contain('"sample" takes a whole number');
    const operation = await planRun({ operation: 'verify' } as never).catch((e: unknown) => e);
    expect((operation as Error).message).to.contain('"operation" must be export, import or migrate');
  });
});

/** The required options of a command, with values that pass. */
function required(command: string): Record<string, unknown> {
  return { export: { sourceType: 'mongodb' }, import: { destType: 'mongodb', exportDir: 'e' }, migrate: { fromType: 'mongodb', toType: 'cosmos' }, verify: { leftType: 'dir', rightType: 'mongodb' } }[command]!;
}
