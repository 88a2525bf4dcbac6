/**
 * The pipeline YAML (pipelines/azure-devops, pipelines/github) is consistent with the tasks it
 * calls, declares what it uses, closes what it opens even after a failure, and runs the stages of
 * scripts/drill/stages.ts in their order. Nothing here talks to Azure: it reads files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { FLOWS, STAGE_IDS, type FlowName } from '../../scripts/drill/stages.js';
import {
  adoParameters,
  condition,
  dependsOn,
  evaluateAdoExpression,
  flattenMap,
  ghForShards,
  ghJobs,
  ghSteps,
  isMap,
  jobName,
  loadYaml,
  needsOf,
  referencedNames,
  rel,
  repoRoot,
  resolveAdo,
  walkAdo,
  type AdoStep,
  type YMap,
} from './support/yaml-walk.js';

const ADO_DIR = join(repoRoot, 'pipelines', 'azure-devops');
const GH_DIR = join(repoRoot, 'pipelines', 'github');
const TASKS_DIR = join(repoRoot, 'tasks', 'azure-devops');
const ACTION_FILE = join(repoRoot, 'tasks', 'github', 'action.yml');

const adoTemplates = readdirSync(ADO_DIR).filter((f) => f.endsWith('.yml')).map((f) => join(ADO_DIR, f));
const adoStepTemplates = readdirSync(join(ADO_DIR, 'steps')).filter((f) => f.endsWith('.yml')).map((f) => join(ADO_DIR, 'steps', f));
const ghWorkflows = readdirSync(GH_DIR).filter((f) => f.endsWith('.yml')).map((f) => join(GH_DIR, f));

/**
 * Tasks built into Azure DevOps that the templates use, with their input names and aliases
 * (learn.microsoft.com task reference). A task outside this table and outside docferry's own is an error.
 */
const BUILT_IN_TASKS: Record<string, string[]> = {
  'AzureCLI@2': [
    'azureSubscription', 'connectedServiceNameARM', 'scriptType', 'scriptLocation', 'scriptPath', 'inlineScript', 'arguments',
    'scriptArguments', 'powerShellErrorActionPreference', 'addSpnToEnvironment', 'useGlobalConfig', 'workingDirectory', 'cwd',
    'failOnStandardError', 'powerShellIgnoreLASTEXITCODE', 'visibleAzLogin', 'keepAzSessionActive',
  ],
  'PublishPipelineArtifact@1': ['targetPath', 'path', 'artifact', 'artifactName', 'publishLocation', 'artifactType', 'fileSharePath', 'parallel', 'parallelCount', 'properties'],
  'DownloadPipelineArtifact@2': [
    'buildType', 'source', 'project', 'definition', 'pipeline', 'specificBuildWithTriggering', 'preferTriggeringPipeline', 'buildVersionToDownload',
    'runVersion', 'branchName', 'runBranch', 'pipelineId', 'runId', 'buildId', 'tags', 'allowPartiallySucceededBuilds', 'allowFailedBuilds',
    'artifactName', 'artifact', 'itemPattern', 'patterns', 'targetPath', 'path', 'downloadPath',
  ],
  'UseNode@1': ['version', 'checkLatest', 'force32bit', 'retryCountOnDownloadFails', 'delayBetweenRetries'],
};

/** Actions from elsewhere that the workflows use, with their inputs (each action's action.yml). */
const KNOWN_ACTIONS: Record<string, string[]> = {
  'actions/checkout@v4': [
    'repository', 'ref', 'token', 'ssh-key', 'ssh-known-hosts', 'ssh-strict', 'ssh-user', 'persist-credentials', 'path', 'clean', 'filter',
    'sparse-checkout', 'sparse-checkout-cone-mode', 'fetch-depth', 'fetch-tags', 'show-progress', 'lfs', 'submodules', 'set-safe-directory', 'github-server-url',
  ],
  'actions/setup-node@v4': ['node-version', 'node-version-file', 'architecture', 'check-latest', 'registry-url', 'scope', 'token', 'cache', 'cache-dependency-path', 'always-auth'],
  'actions/upload-artifact@v4': ['name', 'path', 'if-no-files-found', 'retention-days', 'compression-level', 'overwrite', 'include-hidden-files'],
  'actions/download-artifact@v4': ['name', 'artifact-ids', 'path', 'pattern', 'merge-multiple', 'github-token', 'repository', 'run-id'],
  'azure/login@v2': ['creds', 'client-id', 'tenant-id', 'subscription-id', 'enable-AzPSSession', 'environment', 'allow-no-subscriptions', 'audience', 'auth-type'],
  'pulumi/actions@v6': ['command', 'stack-name', 'work-dir', 'cloud-url', 'pulumi-version', 'pulumi-version-file', 'refresh', 'upsert', 'expect-no-changes', 'config-map', 'secrets-provider'],
};

/** The action's `command` values (docs/pipeline-tasks.md). */
const ACTION_COMMANDS = ['export', 'import', 'migrate', 'verify', 'archive-push', 'archive-pull', 'archive-list', 'throughput-raise', 'throughput-restore'];

/** A parameter or input whose name says it would carry a secret: secrets go through service connections or secret variables. */
const SECRET_NAME = /key|secret|password|passphrase|token|connection-?string|mongo-?uri|credential/i;

interface TaskJson {
  name: string;
  version: { Major: number };
  inputs: { name: string; aliases?: string[]; type?: string; options?: Record<string, string> }[];
  outputVariables?: { name: string }[];
}

function readTaskJson(name: string): TaskJson {
  const path = join(TASKS_DIR, name, 'task.json');
  if (!existsSync(path)) {
    throw new Error(`${rel(path)} does not exist: the templates call ${name}, so the task must be there (colleague "tasks").`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as TaskJson;
}

function readAction(): YMap {
  if (!existsSync(ACTION_FILE)) {
    throw new Error(`${rel(ACTION_FILE)} does not exist: the workflows use ./tasks/github, so the action must be there (colleague "tasks").`);
  }
  return loadYaml(ACTION_FILE);
}

function describeStep(s: AdoStep): string {
  const name = s.step.name ?? s.step.displayName ?? s.step.task ?? s.step.bash ?? '?';
  return `${rel(s.root)}${s.file !== s.root ? ` (via ${rel(s.file)})` : ''} ${s.stage ? `stage ${String(s.stage.stage)} ` : ''}${s.job ? `job ${jobName(s.job)} ` : ''}step "${String(name).split('\n')[0]}"`;
}

function docferryTaskSteps(file: string): AdoStep[] {
  return walkAdo(file).steps.filter((s) => typeof s.step.task === 'string' && s.step.task.startsWith('Docferry'));
}

describe('pipeline templates', () => {
  describe('Azure DevOps', () => {
    it('has the promotion and DR drill templates and their step templates', () => {
      expect(adoTemplates.map(rel)).to.include.members([FLOWS.promotion.azureDevOps, FLOWS['dr-drill'].azureDevOps]);
      expect(adoStepTemplates.length).to.be.greaterThan(0);
    });

    for (const file of [...adoTemplates, ...adoStepTemplates]) {
      it(`${rel(file)}: every \${{ parameters.x }} it uses is declared`, () => {
        const declared = new Set(adoParameters(loadYaml(file)).map((p) => p.name));
        const used = referencedNames(readFileSync(file, 'utf8'), 'parameters');
        const undeclared = [...used].filter((n) => !declared.has(n));
        expect(undeclared, `${rel(file)} uses undeclared parameters`).to.deep.equal([]);
      });

      it(`${rel(file)}: no parameter is meant for a secret, and parameters with a fixed set of values have a valid default`, () => {
        for (const p of adoParameters(loadYaml(file))) {
          expect(SECRET_NAME.test(p.name), `${rel(file)} parameter ${p.name} looks like a secret: use a service connection or a secret variable`).to.equal(false);
          if (p.values && p.hasDefault) expect(p.values, `${rel(file)} parameter ${p.name}`).to.include(p.default);
        }
      });
    }

    for (const file of adoTemplates) {
      it(`${rel(file)}: every task exists, in the version named, with the inputs used`, () => {
        const problems: string[] = [];
        for (const s of walkAdo(file).steps) {
          if (typeof s.step.task !== 'string') continue;
          const ref = s.step.task;
          const inputs = Object.keys(flattenMap(s.step.inputs));
          if (ref.startsWith('Docferry')) {
            const [name, version] = ref.split('@') as [string, string | undefined];
            const task = readTaskJson(name);
            if (String(task.version.Major) !== version) problems.push(`${describeStep(s)}: ${ref} but ${name}/task.json is version ${task.version.Major}`);
            const known = new Set(task.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]));
            for (const input of inputs) if (!known.has(input)) problems.push(`${describeStep(s)}: ${name} has no input "${input}"`);
            const command = flattenMap(s.step.inputs).command;
            const commandInput = task.inputs.find((i) => i.name === 'command');
            if (typeof command === 'string' && commandInput?.options && !(command in commandInput.options)) {
              problems.push(`${describeStep(s)}: ${name} command "${command}" is not one of ${Object.keys(commandInput.options).join(', ')}`);
            }
          } else if (BUILT_IN_TASKS[ref]) {
            for (const input of inputs) if (!BUILT_IN_TASKS[ref]!.includes(input)) problems.push(`${describeStep(s)}: ${ref} has no input "${input}"`);
          } else {
            problems.push(`${describeStep(s)}: ${ref} is neither a docferry task nor a known built-in task`);
          }
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${rel(file)}: output variables referenced as $(step.var) are ones the step's task sets`, () => {
        const walk = walkAdo(file);
        const problems: string[] = [];
        const stepsByJob = new Map<YMap | undefined, AdoStep[]>();
        for (const s of walk.steps) stepsByJob.set(s.job, [...(stepsByJob.get(s.job) ?? []), s]);
        for (const steps of stepsByJob.values()) {
          const named = new Map(steps.filter((s) => typeof s.step.name === 'string').map((s) => [s.step.name as string, s]));
          // Step template parameters carry macros too (the report fragments' rows).
          const calls = walk.templateCalls.filter((c) => c.job === steps[0]!.job).map((c) => c.parameters);
          const text = JSON.stringify([...steps.map((s) => s.step), ...calls]);
          for (const m of text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
            const producer = named.get(m[1]!);
            if (!producer) continue; // a variable such as $(docferry.root) or $(Build.BuildId)
            const task = typeof producer.step.task === 'string' ? producer.step.task : undefined;
            if (task?.startsWith('Docferry')) {
              const outputs = (readTaskJson(task.split('@')[0]!).outputVariables ?? []).map((o) => o.name);
              if (!outputs.includes(m[2]!)) problems.push(`${describeStep(producer)}: $(${m[1]}.${m[2]}) is used, but ${task} sets no output variable ${m[2]}`);
            }
          }
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${rel(file)}: step templates get only parameters they declare, and every required one`, () => {
        const problems: string[] = [];
        for (const call of walkAdo(file).templateCalls) {
          if (!existsSync(call.callee)) {
            problems.push(`${rel(call.caller)} calls ${rel(call.callee)}, which does not exist`);
            continue;
          }
          const declared = adoParameters(loadYaml(call.callee));
          for (const k of Object.keys(call.parameters)) if (!declared.some((p) => p.name === k)) problems.push(`${rel(call.caller)} passes ${k} to ${rel(call.callee)}, which does not declare it`);
          for (const p of declared) if (!p.hasDefault && !(p.name in call.parameters)) problems.push(`${rel(call.caller)} does not pass the required ${p.name} to ${rel(call.callee)}`);
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${rel(file)}: secrets come only from service connections or secret variables`, () => {
        const problems: string[] = [];
        for (const s of docferryTaskSteps(file)) {
          for (const [k, v] of Object.entries(flattenMap(s.step.inputs))) {
            if (/key$|mongouri$|connectionstring$/i.test(k)) problems.push(`${describeStep(s)}: sets the secret input ${k} (${String(v)}); use the service connection (useRbac)`);
          }
          if (!flattenMap(s.step.inputs).azureSubscription) problems.push(`${describeStep(s)}: no azureSubscription (service connection)`);
        }
        for (const s of walkAdo(file).steps) {
          for (const [k, v] of Object.entries(flattenMap(s.step.env))) {
            if (SECRET_NAME.test(k) && typeof v === 'string' && !/^\$\([A-Za-z_.]+\)$/.test(v)) problems.push(`${describeStep(s)}: env ${k} must come from a secret variable $(NAME), not ${v}`);
          }
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${rel(file)}: every job that reads or writes data or changes Azure is a deployment job in an environment (approvals)`, () => {
        const problems: string[] = [];
        const walk = walkAdo(file);
        for (const { job, stage } of walk.jobs) {
          const touches = walk.steps.some((s) => s.job === job && typeof s.step.task === 'string' && /^(Docferry|AzureCLI)/.test(s.step.task));
          if (!touches) continue;
          // A deployment job cannot fan out (runOnce, rolling, canary only): a `strategy: parallel`
          // job is a regular one. It is still behind the approvals when it follows a deployment job
          // of its own stage in an environment: the checks of a stage's resources are passed before
          // any of its jobs starts.
          const parallel = isMap(job.strategy) && job.strategy.parallel !== undefined;
          if (job.deployment === undefined && parallel) {
            const gate = walk.jobs.find((j) => j.stage === stage && j.job.deployment !== undefined && dependsOn(job).includes(jobName(j.job)));
            if (!gate) problems.push(`parallel job ${jobName(job)} touches data or Azure but depends on no deployment job of its stage (no approvals before it)`);
            else if (typeof gate.job.environment !== 'string' || !/^\$\{\{\s*parameters\.\w+\s*\}\}$/.test(gate.job.environment)) problems.push(`deployment ${jobName(gate.job)}: environment must come from a parameter`);
            continue;
          }
          if (job.deployment === undefined) problems.push(`job ${jobName(job)} touches data or Azure but is not a deployment job`);
          else if (typeof job.environment !== 'string' || !/^\$\{\{\s*parameters\.\w+\s*\}\}$/.test(job.environment)) problems.push(`deployment ${jobName(job)}: environment must come from a parameter, got ${String(job.environment)}`);
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });
    }

    it('the RU/s window is raised with DocferryThroughput raise and closed with restore, always, after the import', () => {
      const walk = walkAdo(join(repoRoot, FLOWS.promotion.azureDevOps));
      const raises = walk.steps.filter((s) => s.step.task === 'DocferryThroughput@1' && flattenMap(s.step.inputs).command === 'raise');
      const restores = walk.steps.filter((s) => s.step.task === 'DocferryThroughput@1' && flattenMap(s.step.inputs).command === 'restore');
      expect(raises, 'raise steps').to.have.length.greaterThan(0);
      expect(restores, 'restore steps').to.have.length.greaterThan(0);
      const importStep = walk.steps.find((s) => s.step.name === 'import')!;
      for (const r of restores) {
        expect(condition(r.step), describeStep(r)).to.contain('always()');
        expect(r.job, describeStep(r)).to.not.equal(importStep.job);
        expect(condition(r.job), `job ${jobName(r.job!)}`).to.contain('always()');
        expect(dependsOn(r.job), `job ${jobName(r.job!)} must depend on the import job`).to.include(jobName(importStep.job!));
        // The state files the restores read are the ones the raises wrote.
        const stateFiles = raises.map((x) => flattenMap(x.step.inputs).stateFile);
        expect(stateFiles).to.include(flattenMap(r.step.inputs).stateFile);
      }
    });

    it('the DR drill tears the ephemeral target down in a job that runs always, after the restore job', () => {
      const walk = walkAdo(join(repoRoot, FLOWS['dr-drill'].azureDevOps));
      const teardown = walk.steps.find((s) => s.step.name === 'teardown');
      expect(teardown, 'a step named teardown').to.not.equal(undefined);
      expect(condition(teardown!.step)).to.contain('always()');
      expect(condition(teardown!.job)).to.contain('always()');
      const provision = walk.steps.find((s) => s.step.name === 'provision')!;
      expect(dependsOn(teardown!.job)).to.include(jobName(provision.job!));
      expect(flattenMap(teardown!.step.inputs).arguments).to.equal('teardown');
      expect(flattenMap(provision.step.inputs).arguments).to.equal('ephemeral');
    });

    for (const flow of Object.keys(FLOWS) as FlowName[]) {
      const file = join(repoRoot, FLOWS[flow].azureDevOps);

      for (const shards of [1, 3]) it(`${FLOWS[flow].azureDevOps}: runs the ${flow} stages of scripts/drill/stages.ts in their order (shards ${shards})`, () => {
        // As compiled for that shards value: each variant runs every stage once.
        const walk = walkAdo(file, { shards });
        const order = walk.steps.map((s) => s.step.name).filter((n): n is string => typeof n === 'string' && STAGE_IDS.has(n));
        expect(order).to.deep.equal(FLOWS[flow].stages.map((s) => s.id));
        // File order is run order: each stage and job depends on one written before it.
        const seenStages: string[] = [];
        for (const st of walk.stages) {
          for (const d of dependsOn(st)) expect(seenStages, `stage ${String(st.stage)} depends on ${d}`).to.include(d);
          seenStages.push(String(st.stage));
        }
        for (const st of walk.stages) {
          const seenJobs: string[] = [];
          for (const { job } of walk.jobs.filter((j) => j.stage === st)) {
            for (const d of dependsOn(job)) expect(seenJobs, `job ${jobName(job)} depends on ${d}`).to.include(d);
            seenJobs.push(jobName(job));
          }
        }
      });

      it(`${FLOWS[flow].azureDevOps}: the stages that must run after a failure run with always()`, () => {
        const walk = walkAdo(file);
        for (const def of FLOWS[flow].stages.filter((d) => d.always)) {
          const s = walk.steps.find((x) => x.step.name === def.id);
          expect(s, `step ${def.id}`).to.not.equal(undefined);
          expect(condition(s!.step), describeStep(s!)).to.contain('always()');
          const enclosing = condition(s!.job) || condition(s!.stage);
          expect(enclosing, `${describeStep(s!)}: its job or stage`).to.contain('always()');
        }
        const reportStage = walk.steps.find((x) => x.step.name === 'report')!.stage!;
        const others = walk.stages.filter((st) => st !== reportStage).map((st) => String(st.stage));
        expect(dependsOn(reportStage)).to.have.members(others);
      });
    }
  });

  describe('GitHub Actions', () => {
    it('has the promotion and DR drill workflows', () => {
      expect(ghWorkflows.map(rel)).to.include.members([FLOWS.promotion.github, FLOWS['dr-drill'].github]);
    });

    for (const file of ghWorkflows) {
      const name = rel(file);

      it(`${name}: is a reusable workflow (workflow_call) with OIDC permissions`, () => {
        const doc = loadYaml(file);
        // `on` is a plain key in YAML 1.2 (the yaml package), not the boolean true.
        const on = doc.on;
        expect(isMap(on) && isMap(on.workflow_call), `${name}: on.workflow_call`).to.equal(true);
        expect(doc.permissions).to.deep.equal({ 'id-token': 'write', contents: 'read' });
      });

      it(`${name}: every inputs.x, secrets.X, needs.x and steps.x it uses is declared`, () => {
        const doc = loadYaml(file);
        const text = readFileSync(file, 'utf8');
        const call = (doc.on as YMap).workflow_call as YMap;
        const inputs = new Set(Object.keys(isMap(call.inputs) ? call.inputs : {}));
        const secrets = new Set(Object.keys(isMap(call.secrets) ? call.secrets : {}));
        const problems: string[] = [];
        for (const n of referencedNames(text, 'inputs', '[A-Za-z0-9_-]*[A-Za-z0-9_]')) if (!inputs.has(n)) problems.push(`inputs.${n} is not declared`);
        for (const n of referencedNames(text, 'secrets')) if (!secrets.has(n) && n !== 'GITHUB_TOKEN') problems.push(`secrets.${n} is not declared`);
        for (const [jobId, job] of ghJobs(doc)) {
          const jobText = JSON.stringify(job);
          const needs = needsOf(job);
          for (const n of referencedNames(jobText, 'needs', '[A-Za-z0-9_-]*[A-Za-z0-9_]')) if (!needs.includes(n)) problems.push(`job ${jobId} uses needs.${n} without needing it`);
          const steps = Array.isArray(job.steps) ? (job.steps as YMap[]) : [];
          steps.forEach((step, i) => {
            const earlier = new Set(steps.slice(0, i).map((s) => s.id).filter(Boolean));
            for (const n of referencedNames(JSON.stringify(step), 'steps', '[A-Za-z0-9_-]*[A-Za-z0-9_]')) if (!earlier.has(n)) problems.push(`job ${jobId} step ${i} uses steps.${n}, not an earlier step`);
          });
          const later = new Set(steps.map((s) => s.id).filter(Boolean));
          for (const n of referencedNames(JSON.stringify(job.outputs ?? {}), 'steps', '[A-Za-z0-9_-]*[A-Za-z0-9_]')) if (!later.has(n)) problems.push(`job ${jobId} outputs use steps.${n}, no such step`);
        }
        for (const n of inputs) if (SECRET_NAME.test(n)) problems.push(`input ${n} looks like a secret: declare it under secrets`);
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${name}: every action and input it uses exists (tasks/github/action.yml for ./tasks/github)`, () => {
        const problems: string[] = [];
        for (const { jobId, step } of ghSteps(loadYaml(file))) {
          if (typeof step.uses !== 'string') continue;
          const withKeys = Object.keys(isMap(step.with) ? step.with : {});
          if (step.uses === './tasks/github') {
            const action = readAction();
            const known = new Set(Object.keys(isMap(action.inputs) ? action.inputs : {}));
            for (const k of withKeys) if (!known.has(k)) problems.push(`job ${jobId} step ${String(step.id ?? step.name)}: tasks/github has no input "${k}"`);
            const command = (step.with as YMap).command;
            if (!ACTION_COMMANDS.includes(String(command))) problems.push(`job ${jobId} step ${String(step.id)}: command "${String(command)}" is not one of ${ACTION_COMMANDS.join(', ')}`);
          } else if (KNOWN_ACTIONS[step.uses]) {
            for (const k of withKeys) if (!KNOWN_ACTIONS[step.uses]!.includes(k)) problems.push(`job ${jobId}: ${step.uses} has no input "${k}"`);
          } else {
            problems.push(`job ${jobId}: ${step.uses} is not a known action`);
          }
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${name}: step outputs it reads are ones the action or pulumi-target.sh sets`, () => {
        const actionOutputs = Object.keys((readAction().outputs as YMap | undefined) ?? {});
        // What each pipelines/scripts/*.sh sets through its output function (output NAME value).
        const scriptOutputs = (run: string): string[] | undefined => {
          const m = /pipelines\/scripts\/([\w-]+\.sh)/.exec(run);
          if (!m) return undefined;
          return [...readFileSync(join(repoRoot, 'pipelines', 'scripts', m[1]!), 'utf8').matchAll(/^\s*output (\w+) /gm)].map((o) => o[1]!);
        };
        const problems: string[] = [];
        for (const [jobId, job] of ghJobs(loadYaml(file))) {
          const steps = Array.isArray(job.steps) ? (job.steps as YMap[]) : [];
          for (const m of JSON.stringify(job).matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
            const producer = steps.find((s) => s.id === m[1]);
            if (!producer) continue; // reported by the declaration check
            // An inline run step sets what it writes to $GITHUB_OUTPUT as name=value.
            const inlineOutputs = typeof producer.run === 'string' ? [...producer.run.matchAll(/echo "([\w-]+)=.*>>\s*"\$GITHUB_OUTPUT"/g)].map((o) => o[1]!) : [];
            const known = producer.uses === './tasks/github' ? actionOutputs : ((typeof producer.run === 'string' ? scriptOutputs(producer.run) : undefined) ?? inlineOutputs);
            if (!known.includes(m[2]!)) problems.push(`job ${jobId}: steps.${m[1]}.outputs.${m[2]} is read, but step ${m[1]} sets no such output (it sets: ${known.join(', ') || 'none'})`);
          }
        }
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });

      it(`${name}: every job that reads or writes data or changes Azure runs in an environment`, () => {
        for (const [jobId, job] of ghJobs(loadYaml(file))) {
          const steps = Array.isArray(job.steps) ? (job.steps as YMap[]) : [];
          const touches = steps.some((s) => s.uses === './tasks/github' || s.uses === 'azure/login@v2');
          if (touches) expect(job.environment, `job ${jobId}`).to.match(/^\$\{\{\s*inputs\.[\w-]+\s*\}\}$/);
        }
      });
    }

    it('the workflows have the expected jobs', () => {
      expect(ghJobs(loadYaml(join(repoRoot, FLOWS.promotion.github))).map(([id]) => id)).to.deep.equal(['plan', 'export', 'promote', 'report']);
      expect(ghJobs(loadYaml(join(repoRoot, FLOWS['dr-drill'].github))).map(([id]) => id)).to.deep.equal(['plan', 'drill', 'provision', 'restore', 'check', 'teardown', 'report']);
      // With shards 1 the drill is the one job it always was.
      expect(ghJobs(ghForShards(loadYaml(join(repoRoot, FLOWS['dr-drill'].github)), 1)).map(([id]) => id)).to.deep.equal(['plan', 'drill', 'report']);
    });

    for (const flow of Object.keys(FLOWS) as FlowName[]) {
      const file = join(repoRoot, FLOWS[flow].github);

      for (const shards of [1, 3]) it(`${FLOWS[flow].github}: runs the ${flow} stages of scripts/drill/stages.ts in their order (shards ${shards})`, () => {
        const doc = ghForShards(loadYaml(file), shards);
        // A step `<stage>-shards` runs that stage for a sharded run (pull-shards: every shard's archive).
        const order = ghSteps(doc).map((s) => (typeof s.step.id === 'string' ? s.step.id.replace(/-shards$/, '') : s.step.id)).filter((id): id is string => typeof id === 'string' && STAGE_IDS.has(id));
        expect(order).to.deep.equal(FLOWS[flow].stages.map((s) => s.id));
        // File order is run order (over every job: a job of the other variant may be needed, skipped).
        const seen: string[] = [];
        for (const [jobId, job] of ghJobs(loadYaml(file))) {
          for (const n of needsOf(job)) expect(seen, `job ${jobId} needs ${n}`).to.include(n);
          seen.push(jobId);
        }
      });

      for (const shards of [1, 3]) it(`${FLOWS[flow].github}: the stages that must run after a failure run with always() (shards ${shards})`, () => {
        const doc = ghForShards(loadYaml(file), shards);
        for (const def of FLOWS[flow].stages.filter((d) => d.always)) {
          const s = ghSteps(doc).find((x) => x.step.id === def.id);
          expect(s, `step ${def.id}`).to.not.equal(undefined);
          expect(String(s!.step.if ?? ''), `job ${s!.jobId} step ${def.id}`).to.contain('always()');
          const opener = ghSteps(doc).find((x) => x.step.id === (def.id === 'restore' ? 'raise' : def.id === 'teardown' ? 'provision' : 'import'));
          // Closing in the job that opened: no second approval or runner can stand in between.
          // Not possible for a sharded drill (the imports run on other runners): there the
          // teardown is a job of its own that runs always, after the one that provisioned.
          const ownJob = !(flow === 'dr-drill' && shards > 1 && def.id === 'teardown');
          if (def.id !== 'report' && ownJob) expect(s!.jobId, `${def.id} runs in the job that opened what it closes`).to.equal(opener!.jobId);
          else if (def.id !== 'report') {
            expect(String(s!.job.if ?? ''), `job ${s!.jobId}`).to.contain('always()');
            expect(needsOf(s!.job), `job ${s!.jobId} needs the job that opened what it closes`).to.include(opener!.jobId);
            expect(needsOf(s!.job), `job ${s!.jobId} needs every job between`).to.include.members(ghJobs(doc).map(([id]) => id).filter((id) => !['plan', 'report', s!.jobId].includes(id)));
          } else {
            expect(String(s!.job.if ?? '')).to.contain('always()');
            expect(needsOf(s!.job)).to.have.members(ghJobs(loadYaml(file)).map(([id]) => id).filter((id) => id !== s!.jobId));
          }
        }
      });
    }
  });

  describe('scripts shared by both', () => {
    it('pipelines/scripts/pulumi-target.sh is valid bash and knows the commands the YAML passes', () => {
      const script = join(repoRoot, 'pipelines', 'scripts', 'pulumi-target.sh');
      execFileSync('bash', ['-n', script]);
      const text = readFileSync(script, 'utf8');
      for (const command of ['up', 'check', 'ephemeral', 'teardown']) expect(text).to.match(new RegExp(`^\\s*(\\w+\\|)*${command}(\\|\\w+)*\\)`, 'm'));
    });

    it('pipelines/scripts/layout-gate.sh is valid bash, refuses a missing layout, and passes only flags `docferry layout diff` takes', () => {
      const script = join(repoRoot, 'pipelines', 'scripts', 'layout-gate.sh');
      execFileSync('bash', ['-n', script]);
      const run = spawnSync('bash', [script], { env: { PATH: process.env.PATH, DOCFERRY_ROOT: repoRoot, LAYOUT_FILE: join(repoRoot, 'no-such-layout.json'), RESOURCE_GROUP: 'rg', ACCOUNT_NAME: 'acct' }, encoding: 'utf8' });
      expect(run.status).to.equal(2);
      expect(run.stderr).to.contain('no-such-layout.json does not exist');
      const text = readFileSync(script, 'utf8');
      const call = text.slice(text.indexOf('src/cli/main.ts layout diff'), text.indexOf('|| status=$?'));
      const flags = [...call.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!);
      expect(flags).to.include.members(['--against', '--layout', '--subscription-id', '--resource-group', '--account']);
      const help = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), 'layout', 'diff', '--help'], { cwd: repoRoot, encoding: 'utf8' });
      for (const flag of flags) expect(help, flag).to.contain(flag);
    });

    it('every template runs the schema gate with the layout pulumi-target.sh used', () => {
      for (const flow of Object.keys(FLOWS) as FlowName[]) {
        const ado = walkAdo(join(repoRoot, FLOWS[flow].azureDevOps)).steps.find((x) => x.step.name === 'schema')!;
        expect(String((ado.step.inputs as Record<string, unknown>).scriptPath)).to.match(/layout-gate\.sh$/);
        expect((ado.step.env as Record<string, unknown>).LAYOUT_FILE).to.equal('$(provision.layoutFile)');
        const gh = ghSteps(loadYaml(join(repoRoot, FLOWS[flow].github))).find((x) => x.step.id === 'schema')!;
        expect(String(gh.step.run)).to.contain('pipelines/scripts/layout-gate.sh');
        expect((gh.step.env as Record<string, unknown>).LAYOUT_FILE).to.equal('${{ steps.provision.outputs.layoutFile }}');
      }
    });

    it('the inline bash of the Azure DevOps templates is valid bash', () => {
      const problems: string[] = [];
      for (const file of [...adoTemplates, ...adoStepTemplates]) {
        for (const s of walkAdo(file).steps) {
          if (typeof s.step.bash !== 'string') continue;
          // Template expressions and macros are replaced before bash sees the script.
          const script = s.step.bash.replace(/\$\{\{[\s\S]*?\}\}/g, 'X').replace(/\$\(([A-Za-z_][\w.]*)\)/g, 'X');
          try {
            execFileSync('bash', ['-n'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
          } catch (err) {
            problems.push(`${describeStep(s)}: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
          }
        }
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });

    it('the inline bash of the GitHub workflows is valid bash', () => {
      const problems: string[] = [];
      for (const file of ghWorkflows) {
        for (const { jobId, step } of ghSteps(loadYaml(file))) {
          if (typeof step.run !== 'string') continue;
          const script = step.run.replace(/\$\{\{[\s\S]*?\}\}/g, 'X');
          try {
            execFileSync('bash', ['-n'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
          } catch (err) {
            problems.push(`${rel(file)} job ${jobId} step ${String(step.id ?? step.name)}: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
          }
        }
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });
  });

  describe('scale-out: the shards parameter (docs/sharding.md)', () => {
    const PROMOTE_ADO = join(repoRoot, FLOWS.promotion.azureDevOps);
    const DRILL_ADO = join(repoRoot, FLOWS['dr-drill'].azureDevOps);
    const PROMOTE_GH = join(repoRoot, FLOWS.promotion.github);
    const DRILL_GH = join(repoRoot, FLOWS['dr-drill'].github);
    const POSITION = '$(System.JobPositionInPhase)';
    const TOTAL = '$(System.TotalJobsInPhase)';
    const stepNamed = (walk: ReturnType<typeof walkAdo>, name: string) => {
      const found = walk.steps.filter((s) => s.step.name === name);
      expect(found, `one step named ${name}`).to.have.length(1);
      return found[0]!;
    };
    const parallelJobs = (walk: ReturnType<typeof walkAdo>) => walk.jobs.filter(({ job }) => isMap(job.strategy) && job.strategy.parallel !== undefined);
    const indexOf = (walk: ReturnType<typeof walkAdo>, name: string) => walk.steps.findIndex((s) => s.step.name === name);

    it('the expression evaluator decides what the templates ask and leaves the rest undecided', () => {
      // The variant tests below rely on it: wrong answers here would test the wrong pipeline.
      expect(evaluateAdoExpression('eq(parameters.shards, 1)', { shards: 1 })).to.equal(true);
      expect(evaluateAdoExpression('eq(parameters.shards, 1)', { shards: 3 })).to.equal(false);
      expect(evaluateAdoExpression("and(parameters.on, ne(parameters.repo, 'self'))", { on: true, repo: 'self' })).to.equal(false);
      expect(evaluateAdoExpression("ne(parameters.layoutFile, '')", { layoutFile: 'x.json' })).to.equal(true);
      expect(() => evaluateAdoExpression("ne(coalesce(window.container, ''), '')", {})).to.throw();
      const doc = { jobs: [{ '${{ if eq(parameters.shards, 1) }}': [{ job: 'A' }] }, { '${{ else }}': [{ job: 'B' }] }, { '${{ each w in parameters.ws }}': [{ job: 'C' }] }] };
      expect(resolveAdo(doc, { shards: 1 })).to.deep.equal({ jobs: [{ job: 'A' }, { job: 'C' }] });
      expect(resolveAdo(doc, { shards: 2 })).to.deep.equal({ jobs: [{ job: 'B' }, { job: 'C' }] });
      expect(resolveAdo(doc, {})).to.deep.equal({ jobs: [{ job: 'A' }, { job: 'B' }, { job: 'C' }] });
    });

    for (const file of [PROMOTE_ADO, DRILL_ADO]) {
      it(`${rel(file)}: takes shards, a number, default 1`, () => {
        const p = adoParameters(loadYaml(file)).find((x) => x.name === 'shards');
        expect(p, 'parameter shards').to.not.equal(undefined);
        expect(p!.type).to.equal('number');
        expect(p!.default).to.equal(1);
      });

      it(`${rel(file)}: with shards 1 nothing fans out, no shard is named and nothing is merged`, () => {
        const walk = walkAdo(file, { shards: 1 });
        expect(parallelJobs(walk)).to.deep.equal([]);
        // The template itself as compiled (the step templates it calls serve every variant).
        const own = walk.steps.filter((x) => x.file === file);
        const text = JSON.stringify([walk.jobs.map((j) => j.job), own.map((x) => x.step), walk.templateCalls.filter((c) => c.caller === file).map((c) => c.parameters)]);
        expect(own.length, 'steps of the template itself').to.be.greaterThan(5);
        expect(text).to.not.contain('JobPositionInPhase');
        expect(text).to.not.contain('pull-shards.sh');
        expect(text).to.not.match(/-shard-/);
        // Every job touching data is still a deployment job (its own approvals and history).
        for (const s of walk.steps.filter((x) => typeof x.step.task === 'string' && x.step.task.startsWith('Docferry'))) expect(s.job!.deployment, describeStep(s)).to.be.a('string');
      });

      it(`${rel(file)}: with shards 3 one job fans out as strategy: parallel bound to the parameter, after a deployment job of its stage`, () => {
        const walk = walkAdo(file, { shards: 3 });
        const fan = parallelJobs(walk);
        expect(fan, 'one parallel job').to.have.length(1);
        const { job, stage } = fan[0]!;
        expect((job.strategy as YMap).parallel).to.equal('${{ parameters.shards }}');
        expect(job.deployment, 'a deployment job cannot run strategy: parallel').to.equal(undefined);
        const gate = walk.jobs.find((j) => j.stage === stage && dependsOn(job).includes(jobName(j.job)));
        expect(gate?.job.deployment, `job ${jobName(job)} depends on a deployment job of its stage`).to.be.a('string');
        expect(String(gate!.job.environment)).to.match(/^\$\{\{\s*parameters\.\w+Environment\s*\}\}$/);
      });
    }

    it('the Azure DevOps promotion: shard I/N exports push to distinct prefixes, fixed before the shards start; the Promote stage pulls them all and merges before import and verify', () => {
      const walk = walkAdo(PROMOTE_ADO, { shards: 3 });
      const fan = parallelJobs(walk)[0]!;
      const exp = stepNamed(walk, 'export');
      const push = stepNamed(walk, 'push');
      expect(exp.job).to.equal(fan.job);
      expect(push.job).to.equal(fan.job);
      expect(flattenMap(exp.step.inputs).shard).to.equal(`${POSITION}/${TOTAL}`);
      const prefix = String(flattenMap(push.step.inputs).prefix);
      // Distinct per shard: the position is in it; the same base for all: a stage variable.
      expect(prefix).to.equal(`$(docferry.archivePrefix)-shard-${POSITION}-of-${TOTAL}`);
      const stageVar = (st: YMap | undefined) => (Array.isArray(st?.variables) ? (st!.variables as YMap[]) : []).find((v) => v.name === 'docferry.archivePrefix')?.value;
      expect(String(stageVar(fan.stage))).to.not.match(/System\.Job|\$\[/);
      const pull = stepNamed(walk, 'pull');
      expect(String(stageVar(pull.stage)), 'the Promote stage names the same prefix').to.equal(String(stageVar(fan.stage)));
      expect(dependsOn(pull.stage), 'the Promote stage runs after the whole Export stage (every shard job)').to.include(String(fan.stage!.stage));
      expect(String(flattenMap(pull.step.inputs).scriptPath)).to.match(/pipelines\/scripts\/pull-shards\.sh$/);
      const env = flattenMap(pull.step.env);
      expect(env.PREFIX).to.equal('$(docferry.archivePrefix)');
      expect(env.SHARDS).to.equal('${{ parameters.shards }}');
      const importStep = stepNamed(walk, 'import');
      const verify = stepNamed(walk, 'verify');
      expect(importStep.job).to.equal(pull.job);
      expect(indexOf(walk, 'pull')).to.be.lessThan(indexOf(walk, 'import'));
      expect(indexOf(walk, 'import')).to.be.lessThan(indexOf(walk, 'verify'));
      expect(flattenMap(importStep.step.inputs).exportDir).to.equal('$(pull.exportDir)');
      expect(flattenMap(verify.step.inputs).leftDir).to.equal('$(pull.exportDir)');
      // Every shard reports; the Report stage lists them all.
      const report = walk.templateCalls.find((c) => c.callee.endsWith('publish-report.yml'))!;
      expect(String(report.parameters.parts).split(' ')).to.include('export-shard-*');
    });

    it('the Azure DevOps DR drill: shard I/N restore jobs import distinct shards; Check merges them before verify; the teardown waits for all', () => {
      const walk = walkAdo(DRILL_ADO, { shards: 3 });
      const fan = parallelJobs(walk)[0]!;
      const pullShard = stepNamed(walk, 'pullShard');
      const importStep = stepNamed(walk, 'import');
      expect(pullShard.job).to.equal(fan.job);
      expect(importStep.job).to.equal(fan.job);
      expect(flattenMap(pullShard.step.inputs).prefix).to.equal(`\${{ parameters.archivePrefix }}-shard-${POSITION}-of-${TOTAL}`);
      expect(flattenMap(importStep.step.inputs).exportDir).to.equal('$(pullShard.exportDir)');
      const merge = stepNamed(walk, 'merge');
      const verify = stepNamed(walk, 'verify');
      expect(merge.job).to.equal(verify.job);
      expect(dependsOn(merge.job)).to.include(jobName(fan.job));
      expect(String(flattenMap(merge.step.inputs).scriptPath)).to.match(/pull-shards\.sh$/);
      expect(indexOf(walk, 'merge')).to.be.lessThan(indexOf(walk, 'verify'));
      expect(flattenMap(verify.step.inputs).leftDir).to.equal('$(merge.exportDir)');
      // The whole archive is pulled and checked before anything is provisioned.
      const pull = stepNamed(walk, 'pull');
      expect(pull.job).to.equal(stepNamed(walk, 'provision').job);
      expect(indexOf(walk, 'pull')).to.be.lessThan(indexOf(walk, 'provision'));
      const teardown = stepNamed(walk, 'teardown');
      expect(condition(teardown.job)).to.contain('always()');
      expect(dependsOn(teardown.job)).to.include.members([jobName(pull.job!), jobName(fan.job), jobName(verify.job!)]);
    });

    it('pipelines/scripts/pull-shards.sh pulls exactly the prefixes the shard jobs push, 1..N, and merges them in that order', () => {
      const dir = mkdtempSync(join(tmpdir(), 'docferry-pull-shards-'));
      try {
        // A stand-in node that records the CLI calls (nothing reaches Azure).
        mkdirSync(join(dir, 'bin'));
        writeFileSync(join(dir, 'bin', 'node'), `#!/usr/bin/env bash\nif [ "$1" = -e ]; then echo 7; exit 0; fi\nprintf '%s\\n' "$*" >>"${join(dir, 'calls')}"\n`);
        chmodSync(join(dir, 'bin', 'node'), 0o755);
        const run = (env: Record<string, string>) =>
          spawnSync('bash', [join(repoRoot, 'pipelines', 'scripts', 'pull-shards.sh')], {
            env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, DOCFERRY_ROOT: repoRoot, CONTAINER_URL: 'https://a.blob.core.windows.net/c', SHARDS_DIR: join(dir, 'shards'), EXPORT_DIR: join(dir, 'export'), ...env },
            encoding: 'utf8',
          });
        const ok = run({ SHARDS: '3', PREFIX: 'promotion-42' });
        expect(ok.status, ok.stderr).to.equal(0);
        const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
        // What the push step of shard i of 3 writes: its prefix with the macros the agent sets.
        const pushPrefix = String(flattenMap(stepNamed(walkAdo(PROMOTE_ADO, { shards: 3 }), 'push').step.inputs).prefix);
        const pushed = [1, 2, 3].map((i) => pushPrefix.replace('$(docferry.archivePrefix)', 'promotion-42').replace(POSITION, String(i)).replace(TOTAL, '3'));
        expect(calls.slice(0, 3)).to.deep.equal(pushed.map((p, i) => `--import tsx src/cli/main.ts archive pull --container-url https://a.blob.core.windows.net/c --prefix ${p} --dest-dir ${join(dir, 'shards', String(i + 1))}`));
        expect(calls[3]).to.equal(`--import tsx src/cli/main.ts manifest merge ${[1, 2, 3].map((i) => join(dir, 'shards', String(i))).join(' ')} --out ${join(dir, 'export')}`);
        expect(calls).to.have.length(4);
        expect(ok.stdout).to.contain(`exportDir=${join(dir, 'export')}`);
        expect(ok.stdout).to.contain('documents=7');
        // Refused before any pull: no prefix (a set of shards has no "newest"), a bad count.
        for (const bad of [{ SHARDS: '3', PREFIX: '' }, { SHARDS: '0', PREFIX: 'p' }, { SHARDS: 'x', PREFIX: 'p' }]) {
          rmSync(join(dir, 'calls'), { force: true });
          const r = run(bad);
          expect(r.status, JSON.stringify(bad)).to.equal(2);
          expect(existsSync(join(dir, 'calls')), JSON.stringify(bad)).to.equal(false);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('pipelines/scripts/export-layout.sh chooses the layout as pulumi-target.sh does: layoutFile, else the manifest\'s, else the default', () => {
      const dir = mkdtempSync(join(tmpdir(), 'docferry-export-layout-'));
      try {
        const run = (env: Record<string, string>) => spawnSync('bash', [join(repoRoot, 'pipelines', 'scripts', 'export-layout.sh')], { env: { PATH: process.env.PATH, DOCFERRY_ROOT: '/docferry', OUT: join(dir, 'layout.json'), ...env }, encoding: 'utf8' });
        expect(run({ LAYOUT_FILE: '/app/l.json', EXPORT_DIR: dir }).stdout.trim()).to.equal('file=/app/l.json');
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ layout: { document: { databases: ['x'] } } }));
        expect(run({ EXPORT_DIR: dir }).stdout.trim()).to.equal(`file=${join(dir, 'layout.json')}`);
        expect(JSON.parse(readFileSync(join(dir, 'layout.json'), 'utf8'))).to.deep.equal({ databases: ['x'] });
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify({}));
        expect(run({ EXPORT_DIR: dir }).stdout.trim()).to.equal('file=/docferry/layouts/default.json');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('steps/publish-report.yml lists the fragments of every shard job for a name ending in *, in shard order', () => {
      const dir = mkdtempSync(join(tmpdir(), 'docferry-report-'));
      try {
        const step = (loadYaml(join(ADO_DIR, 'steps', 'publish-report.yml')).steps as YMap[]).find((s) => typeof s.bash === 'string')!;
        const script = String(step.bash).replaceAll('$(Pipeline.Workspace)', dir).replace(/\$\([\w.]+\)/g, '1').replace(/^.*##vso.*$/m, '');
        for (const [part, attempt] of [['export-shard-1', 1], ['export-shard-10', 1], ['export-shard-2', 1], ['export-shard-2', 2], ['export', 1]] as const) {
          mkdirSync(join(dir, 'fragments', `docferry-report-${part}-${attempt}`), { recursive: true });
          writeFileSync(join(dir, 'fragments', `docferry-report-${part}-${attempt}`, `${part}.md`), `### ${part} attempt ${attempt}\n`);
        }
        const run = (parts: string) => {
          const r = spawnSync('bash', ['-c', script], { env: { PATH: process.env.PATH, TITLE: 't', PARTS: parts }, cwd: dir, encoding: 'utf8' });
          expect(r.status, r.stderr).to.equal(0);
          return r.stdout.split('\n').filter((l) => l.startsWith('### '));
        };
        expect(run('export-shard-* provision')).to.deep.equal(['### export-shard-1 attempt 1', '### export-shard-2 attempt 2', '### export-shard-10 attempt 1', '### provision']);
        expect(run('export provision')).to.deep.equal(['### export attempt 1', '### provision']);
        expect(run('recover-shard-*')).to.deep.equal(['### recover-shard-*']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    for (const file of [PROMOTE_GH, DRILL_GH]) {
      const planStep = () => (ghJobs(loadYaml(file)).find(([id]) => id === 'plan')![1].steps as YMap[]).find((s) => s.id === 'shards')!;
      const runPlan = (env: Record<string, string>) => {
        const dir = mkdtempSync(join(tmpdir(), 'docferry-plan-'));
        try {
          const r = spawnSync('bash', ['-c', String(planStep().run)], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: join(dir, 'out'), PREFIX: '', STACK: 's', ...env }, encoding: 'utf8' });
          return { status: r.status, out: existsSync(join(dir, 'out')) ? readFileSync(join(dir, 'out'), 'utf8') : '' };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      };

      it(`${rel(file)}: takes shards, a number, default 1; the plan job turns it into the matrix [1..N] and refuses a bad count`, () => {
        const inputs = (((loadYaml(file).on as YMap).workflow_call as YMap).inputs as YMap).shards as YMap;
        expect(inputs?.type).to.equal('number');
        expect(inputs?.default).to.equal(1);
        expect(planStep().env).to.have.property('SHARDS', '${{ inputs.shards }}');
        expect(runPlan({ SHARDS: '3', PREFIX: 'p' }).out).to.contain('shard-list=[1,2,3]\n');
        expect(runPlan({ SHARDS: '1' }).out).to.contain('shard-list=[1]\n');
        for (const bad of ['0', '2.5', '-1', '257']) expect(runPlan({ SHARDS: bad, PREFIX: 'p' }).status, `shards ${bad}`).to.equal(2);
      });
    }

    it('the GitHub promotion: each matrix leg exports shard I/N and pushes to its own prefix; the promote job needs them all and merges before import and verify', () => {
      const doc = loadYaml(PROMOTE_GH);
      const jobs = Object.fromEntries(ghJobs(doc));
      expect(jobs.export!.needs).to.equal('plan');
      expect(((jobs.export!.strategy as YMap).matrix as YMap).shard).to.equal('${{ fromJSON(needs.plan.outputs.shard-list) }}');
      const steps = jobs.export!.steps as YMap[];
      const exp = steps.find((s) => s.id === 'export')!;
      const push = steps.find((s) => s.id === 'push')!;
      expect(String((exp.with as YMap).shard)).to.contain("format('{0}/{1}', matrix.shard, inputs.shards)");
      expect(String((push.with as YMap).prefix)).to.contain("format('{0}-shard-{1}-of-{2}', needs.plan.outputs.archive-prefix, matrix.shard, inputs.shards)");
      expect(needsOf(jobs.promote!)).to.include.members(['plan', 'export']);
      const ids = (jobs.promote!.steps as YMap[]).map((s) => s.id);
      const merge = (jobs.promote!.steps as YMap[]).find((s) => s.id === 'merge-shards')!;
      expect(String(merge.run)).to.contain('manifest merge');
      expect(String(merge.run)).to.contain('--out "$RUNNER_TEMP/export"');
      expect(ids.indexOf('pull-shards')).to.be.lessThan(ids.indexOf('merge-shards'));
      expect(ids.indexOf('merge-shards')).to.be.lessThan(ids.indexOf('import'));
      expect(ids.indexOf('import')).to.be.lessThan(ids.indexOf('verify'));
      // With shards 1 no shard step runs; the import reads the one pull.
      const one = ghForShards(doc, 1);
      const oneIds = (Object.fromEntries(ghJobs(one)).promote!.steps as YMap[]).map((s) => s.id);
      expect(oneIds).to.not.include('pull-shards');
      expect(oneIds).to.not.include('merge-shards');
      expect(oneIds).to.include('pull');
    });

    it('the GitHub DR drill: each matrix leg imports its own shard; check merges them and verifies after all; teardown waits for all, always', () => {
      const doc = ghForShards(loadYaml(DRILL_GH), 3);
      const jobs = Object.fromEntries(ghJobs(doc));
      expect(Object.keys(jobs)).to.deep.equal(['plan', 'provision', 'restore', 'check', 'teardown', 'report']);
      expect(((jobs.restore!.strategy as YMap).matrix as YMap).shard).to.equal('${{ fromJSON(needs.plan.outputs.shard-list) }}');
      const restoreSteps = jobs.restore!.steps as YMap[];
      expect(String((restoreSteps.find((s) => s.id === 'pull-shard')!.with as YMap).prefix)).to.contain("format('{0}-shard-{1}-of-{2}', inputs.archive-prefix, matrix.shard, inputs.shards)");
      expect((restoreSteps.find((s) => s.id === 'import')!.with as YMap)['export-dir']).to.equal('${{ steps.pull-shard.outputs.export-dir }}');
      expect(needsOf(jobs.check!)).to.include.members(['provision', 'restore']);
      const checkIds = (jobs.check!.steps as YMap[]).map((s) => s.id);
      expect(checkIds.indexOf('merge')).to.be.greaterThan(-1);
      expect(checkIds.indexOf('merge')).to.be.lessThan(checkIds.indexOf('verify'));
      expect(((jobs.check!.steps as YMap[]).find((s) => s.id === 'verify')!.with as YMap)['left-dir']).to.equal('${{ steps.merge.outputs.exportDir }}');
      expect(String(jobs.teardown!.if)).to.contain('always()');
      expect(needsOf(jobs.teardown!)).to.include.members(['provision', 'restore', 'check']);
      // Every job of the drill names one stack, fixed by the plan job (a re-run of one job alone gets a new run attempt).
      for (const id of ['provision', 'teardown']) expect((jobs[id]!.env as YMap).PULUMI_STACK).to.equal('${{ needs.plan.outputs.pulumi-stack }}');
      // Pulling a set of shards needs its name: the plan job refuses shards without archive-prefix.
      const plan = (jobs.plan!.steps as YMap[]).find((s) => s.id === 'shards')!;
      const dir = mkdtempSync(join(tmpdir(), 'docferry-plan-'));
      try {
        const r = spawnSync('bash', ['-c', String(plan.run)], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: join(dir, 'out'), SHARDS: '3', PREFIX: '', STACK: 's' }, encoding: 'utf8' });
        expect(r.status).to.equal(2);
        expect(r.stdout).to.contain('archive-prefix is empty');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('guides', () => {
    for (const guide of ['promotion.md', 'dr-drill.md', 'one-off-migration.md']) {
      it(`docs/guides/${guide} names the data-plane and management-plane roles apart`, () => {
        const text = readFileSync(join(repoRoot, 'docs', 'guides', guide), 'utf8');
        expect(text).to.contain('00000000-0000-0000-0000-000000000002');
        expect(text).to.match(/data[- ]plane/i);
        expect(text).to.match(/management[- ]plane/i);
        expect(text).to.match(/DocumentDB Account Contributor|Cosmos DB Operator/);
      });
    }

    it('the YAML files parse', () => {
      for (const f of [...adoTemplates, ...adoStepTemplates, ...ghWorkflows]) expect(() => parse(readFileSync(f, 'utf8')), rel(f)).to.not.throw();
    });
  });
});
