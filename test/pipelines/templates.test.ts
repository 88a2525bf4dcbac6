/**
 * The pipeline YAML (pipelines/azure-devops, pipelines/github) is consistent with the tasks it
 * calls, declares what it uses, closes what it opens even after a failure, and runs the stages of
 * scripts/drill/stages.ts in their order. Nothing here talks to Azure: it reads files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { FLOWS, STAGE_IDS, type FlowName } from '../../scripts/drill/stages.js';
import {
  adoParameters,
  condition,
  dependsOn,
  flattenMap,
  ghJobs,
  ghSteps,
  isMap,
  jobName,
  loadYaml,
  needsOf,
  referencedNames,
  rel,
  repoRoot,
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
        for (const { job } of walk.jobs) {
          const touches = walk.steps.some((s) => s.job === job && typeof s.step.task === 'string' && /^(Docferry|AzureCLI)/.test(s.step.task));
          if (!touches) continue;
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

      it(`${FLOWS[flow].azureDevOps}: runs the ${flow} stages of scripts/drill/stages.ts in their order`, () => {
        const walk = walkAdo(file);
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
        const script = readFileSync(join(repoRoot, 'pipelines', 'scripts', 'pulumi-target.sh'), 'utf8');
        const scriptOutputs = [...script.matchAll(/^\s*output (\w+) /gm)].map((m) => m[1]!);
        const problems: string[] = [];
        for (const [jobId, job] of ghJobs(loadYaml(file))) {
          const steps = Array.isArray(job.steps) ? (job.steps as YMap[]) : [];
          for (const m of JSON.stringify(job).matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
            const producer = steps.find((s) => s.id === m[1]);
            if (!producer) continue; // reported by the declaration check
            // An inline run step sets what it writes to $GITHUB_OUTPUT as name=value.
            const inlineOutputs = typeof producer.run === 'string' ? [...producer.run.matchAll(/echo "([\w-]+)=.*>>\s*"\$GITHUB_OUTPUT"/g)].map((o) => o[1]!) : [];
            const known = producer.uses === './tasks/github' ? actionOutputs : typeof producer.run === 'string' && producer.run.includes('pulumi-target.sh') ? scriptOutputs : inlineOutputs;
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
      expect(ghJobs(loadYaml(join(repoRoot, FLOWS['dr-drill'].github))).map(([id]) => id)).to.deep.equal(['drill', 'report']);
    });

    for (const flow of Object.keys(FLOWS) as FlowName[]) {
      const file = join(repoRoot, FLOWS[flow].github);

      it(`${FLOWS[flow].github}: runs the ${flow} stages of scripts/drill/stages.ts in their order`, () => {
        const doc = loadYaml(file);
        const order = ghSteps(doc).map((s) => s.step.id).filter((id): id is string => typeof id === 'string' && STAGE_IDS.has(id));
        expect(order).to.deep.equal(FLOWS[flow].stages.map((s) => s.id));
        const seen: string[] = [];
        for (const [jobId, job] of ghJobs(doc)) {
          for (const n of needsOf(job)) expect(seen, `job ${jobId} needs ${n}`).to.include(n);
          seen.push(jobId);
        }
      });

      it(`${FLOWS[flow].github}: the stages that must run after a failure run with always()`, () => {
        const doc = loadYaml(file);
        for (const def of FLOWS[flow].stages.filter((d) => d.always)) {
          const s = ghSteps(doc).find((x) => x.step.id === def.id);
          expect(s, `step ${def.id}`).to.not.equal(undefined);
          expect(String(s!.step.if ?? ''), `job ${s!.jobId} step ${def.id}`).to.contain('always()');
          const opener = ghSteps(doc).find((x) => x.step.id === (def.id === 'restore' ? 'raise' : def.id === 'teardown' ? 'provision' : 'import'));
          // Closing in the job that opened: no second approval or runner can stand in between.
          if (def.id !== 'report') expect(s!.jobId, `${def.id} runs in the job that opened what it closes`).to.equal(opener!.jobId);
          else {
            expect(String(s!.job.if ?? '')).to.contain('always()');
            expect(needsOf(s!.job)).to.have.members(ghJobs(doc).map(([id]) => id).filter((id) => id !== s!.jobId));
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
