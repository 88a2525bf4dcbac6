/**
 * Runs a bundled Azure DevOps task as a child process with the environment an agent gives a
 * Node task: every input as INPUT_<NAME> (declared defaults filled in), endpoints as
 * ENDPOINT_URL_/ENDPOINT_AUTH_/ENDPOINT_AUTH_SCHEME_/ENDPOINT_AUTH_PARAMETER_/ENDPOINT_DATA_,
 * the job's SystemVssConnection, SYSTEM_*, AGENT_*, BUILD_* variables and the variable lists.
 * Then parses its ##vso[...] logging commands the way the agent does.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandFromString } from 'azure-pipelines-task-lib/taskcommand.js';
import { azureDevOpsRoot } from '../../../scripts/build-tasks.js';

export interface TaskJsonInput {
  name: string;
  type: string;
  defaultValue?: string | boolean;
  required?: boolean;
  visibleRule?: string;
  helpMarkDown?: string;
  options?: Record<string, string>;
  groupName?: string;
}

export interface TaskJson {
  id: string;
  name: string;
  version: { Major: number; Minor: number; Patch: number };
  inputs: TaskJsonInput[];
  outputVariables?: { name: string; description?: string }[];
  execution: Record<string, { target: string }>;
  groups?: { name: string }[];
  [key: string]: unknown;
}

export function readTaskJson(name: string, dir = join(azureDevOpsRoot, name)): TaskJson {
  return JSON.parse(readFileSync(join(dir, 'task.json'), 'utf8')) as TaskJson;
}

export interface AzureRmEndpoint {
  id: string;
  scheme: 'WorkloadIdentityFederation' | 'ServicePrincipal' | 'ManagedServiceIdentity';
  /** Lower-case keys as the agent sends them: tenantid, serviceprincipalid, serviceprincipalkey, authenticationType... */
  parameters: Record<string, string>;
  data?: Record<string, string>;
  url?: string;
}

export interface AgentRun {
  /** Folder holding the bundled index.js and task.json. */
  bundleDir: string;
  task: TaskJson;
  inputs: Record<string, string>;
  endpoints?: AzureRmEndpoint[];
  /** Root of the agent's work folder for this job (temp, staging, sources are created under it). */
  workDir: string;
  /** Extra environment (pipeline variables mapped with env:, NODE_EXTRA_CA_CERTS ...). */
  env?: Record<string, string>;
  systemDebug?: boolean;
  /** The job's System.AccessToken (SystemVssConnection). */
  accessToken?: string;
  oidcRequestUri?: string;
}

export interface VsoCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface AgentResult {
  code: number;
  stdout: string;
  stderr: string;
  commands: VsoCommand[];
  /** task.complete result, as the agent would record it. */
  result?: string;
  resultMessage?: string;
  outputs: Record<string, string>;
  errors: string[];
  warnings: string[];
  progress: number[];
  summaries: string[];
  secrets: string[];
  /** Every line that is not a logging command. */
  plainLines: string[];
}

const AGENT_VERSION = '4.260.0';

export function agentEnvironment(run: AgentRun): Record<string, string> {
  const temp = join(run.workDir, '_temp');
  const staging = join(run.workDir, 'a');
  const sources = join(run.workDir, 's');
  for (const d of [temp, staging, sources]) mkdirSync(d, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TF_BUILD: 'True',
    AGENT_VERSION,
    AGENT_NAME: 'Azure Pipelines 3',
    AGENT_OS: 'Linux',
    AGENT_OSARCHITECTURE: 'X64',
    AGENT_JOBNAME: 'Job',
    AGENT_TEMPDIRECTORY: temp,
    AGENT_WORKFOLDER: run.workDir,
    AGENT_ROOTDIRECTORY: run.workDir,
    AGENT_BUILDDIRECTORY: run.workDir,
    BUILD_ARTIFACTSTAGINGDIRECTORY: staging,
    BUILD_STAGINGDIRECTORY: staging,
    BUILD_SOURCESDIRECTORY: sources,
    BUILD_BUILDID: '1234',
    SYSTEM_DEFAULTWORKINGDIRECTORY: sources,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: 'https://dev.azure.com/contoso/',
    SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/',
    SYSTEM_TEAMPROJECT: 'data',
    SYSTEM_TEAMPROJECTID: '6e5a4f0c-1111-4c2b-9d8e-aaaaaaaaaaaa',
    SYSTEM_HOSTTYPE: 'build',
    SYSTEM_PLANID: '0f1e2d3c-2222-4b5a-8c7d-bbbbbbbbbbbb',
    SYSTEM_JOBID: '9a8b7c6d-3333-4e5f-a1b2-cccccccccccc',
    SYSTEM_CULTURE: 'en-US',
    SYSTEM_DEBUG: run.systemDebug ? 'true' : 'false',
    SYSTEM_OIDCREQUESTURI: run.oidcRequestUri ?? 'https://dev.azure.com/contoso/6e5a4f0c-1111-4c2b-9d8e-aaaaaaaaaaaa/_apis/distributedtask/hubs/build/plans/0f1e2d3c-2222-4b5a-8c7d-bbbbbbbbbbbb/jobs/9a8b7c6d-3333-4e5f-a1b2-cccccccccccc/oidctoken',
    ENDPOINT_URL_SYSTEMVSSCONNECTION: 'https://dev.azure.com/contoso/',
    ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: 'OAuth',
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: run.accessToken ?? 'job-access-token-not-a-secret-in-tests',
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: run.accessToken ?? 'job-access-token-not-a-secret-in-tests' }, scheme: 'OAuth' }),
    VSTS_PUBLIC_VARIABLES: JSON.stringify(['Agent.TempDirectory', 'Build.ArtifactStagingDirectory', 'System.DefaultWorkingDirectory', 'System.Debug', 'System.OidcRequestUri']),
    VSTS_SECRET_VARIABLES: JSON.stringify([]),
  };
  // The agent passes every declared input, with the declared default when the author set none.
  for (const input of run.task.inputs) {
    const given = run.inputs[input.name];
    const value = given ?? (input.defaultValue !== undefined ? String(input.defaultValue) : undefined);
    if (value !== undefined) env[`INPUT_${input.name.toUpperCase()}`] = value;
  }
  for (const name of Object.keys(run.inputs)) {
    if (!run.task.inputs.some((i) => i.name === name)) throw new Error(`test bug: ${run.task.name} declares no input "${name}"`);
  }
  for (const ep of run.endpoints ?? []) {
    env[`ENDPOINT_URL_${ep.id}`] = ep.url ?? 'https://management.azure.com/';
    env[`ENDPOINT_AUTH_${ep.id}`] = JSON.stringify({ parameters: ep.parameters, scheme: ep.scheme });
    env[`ENDPOINT_AUTH_SCHEME_${ep.id}`] = ep.scheme;
    for (const [k, v] of Object.entries(ep.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${ep.id}_${k.toUpperCase()}`] = v;
    const data = {
      subscriptionId: '11111111-2222-3333-4444-555555555555',
      subscriptionName: 'Data migration',
      environment: 'AzureCloud',
      scopeLevel: 'Subscription',
      environmentAuthorityUrl: 'https://login.windows.net/',
      activeDirectoryServiceEndpointResourceId: 'https://management.core.windows.net/',
      ...ep.data,
    };
    for (const [k, v] of Object.entries(data)) env[`ENDPOINT_DATA_${ep.id}_${k.toUpperCase()}`] = v;
  }
  return { ...env, ...run.env };
}

export function parseAgentOutput(code: number, stdout: string, stderr: string): AgentResult {
  const commands: VsoCommand[] = [];
  const plainLines: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const at = line.indexOf('##vso[');
    if (at >= 0) {
      const c = commandFromString(line.slice(at));
      commands.push({ command: c.command, properties: c.properties as Record<string, string>, message: String(c.message ?? '') });
    } else if (line.length > 0) {
      plainLines.push(line);
    }
  }
  const of = (name: string) => commands.filter((c) => c.command === name);
  const complete = of('task.complete').at(-1);
  // task-lib 5 writes task.issue; older libraries and the agent docs say task.logissue.
  const issues = [...of('task.issue'), ...of('task.logissue')];
  const outputs: Record<string, string> = {};
  for (const c of of('task.setvariable')) if (c.properties.isOutput === 'true') outputs[c.properties.variable!] = c.message;
  return {
    code,
    stdout,
    stderr,
    commands,
    ...(complete ? { result: complete.properties.result, resultMessage: complete.message } : {}),
    outputs,
    errors: issues.filter((c) => c.properties.type === 'error').map((c) => c.message),
    warnings: issues.filter((c) => c.properties.type === 'warning').map((c) => c.message),
    progress: of('task.setprogress').map((c) => Number(c.properties.value)),
    summaries: of('task.uploadsummary').map((c) => readFileSync(c.message, 'utf8')),
    secrets: of('task.setsecret').map((c) => c.message),
    plainLines,
  };
}

/** Spawns `node <bundle>/index.js` as the agent's Node handler does (cwd: the sources folder). */
export function runAgentTask(run: AgentRun): Promise<AgentResult> {
  const env = agentEnvironment(run);
  const target = run.task.execution.Node20_1?.target ?? 'index.js';
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(run.bundleDir, target)], { cwd: env.SYSTEM_DEFAULTWORKINGDIRECTORY, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolvePromise(parseAgentOutput(code ?? -1, stdout, stderr));
      } catch (err) {
        reject(err);
      }
    });
  });
}
