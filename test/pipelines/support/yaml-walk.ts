/**
 * Reads the pipeline YAML the way the consistency test needs it: Azure DevOps template
 * expressions (`${{ if }}`, `${{ else }}`, `${{ each }}` insertions) are flattened so every branch
 * is checked, step templates are expanded in place, and every step keeps its stage and job.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';

export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

export type YMap = Record<string, unknown>;

export function isMap(v: unknown): v is YMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function loadYaml(path: string): YMap {
  const value: unknown = parse(readFileSync(path, 'utf8'));
  if (!isMap(value)) throw new Error(`${rel(path)}: expected a YAML mapping at the top`);
  return value;
}

export function rel(path: string): string {
  return relative(repoRoot, path);
}

const EXPR_KEY = /^\s*\$\{\{[\s\S]*\}\}\s*$/;

export function isExpressionKey(key: string): boolean {
  return EXPR_KEY.test(key);
}

/** A sequence with conditional/each insertions replaced by all the items they can insert. */
export function flattenSeq(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [value];
  const out: unknown[] = [];
  for (const item of value) {
    if (isMap(item)) {
      const keys = Object.keys(item);
      if (keys.length === 1 && isExpressionKey(keys[0]!)) {
        out.push(...flattenSeq(item[keys[0]!]));
        continue;
      }
    }
    out.push(item);
  }
  return out;
}

/** A mapping with the keys of every conditional branch merged in (for "does this input exist" checks). */
export function flattenMap(value: unknown): YMap {
  if (!isMap(value)) return {};
  const out: YMap = {};
  for (const [k, v] of Object.entries(value)) {
    if (isExpressionKey(k) && isMap(v)) Object.assign(out, flattenMap(v));
    else out[k] = v;
  }
  return out;
}

/** Every `${{ ... }}` expression in a text (keys and values alike). */
export function expressions(text: string): string[] {
  return [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!);
}

/** Names used as `<prefix>.<name>` inside the text's `${{ }}` expressions. */
export function referencedNames(text: string, prefix: string, namePattern = '[A-Za-z_][A-Za-z0-9_]*'): Set<string> {
  const re = new RegExp(`(?<![A-Za-z0-9_.-])${prefix}\\.(${namePattern})`, 'g');
  const names = new Set<string>();
  for (const e of expressions(text)) for (const m of e.matchAll(re)) names.add(m[1]!);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Azure DevOps

export interface AdoParameter {
  name: string;
  type?: string;
  default?: unknown;
  hasDefault: boolean;
  values?: unknown[];
}

export function adoParameters(doc: YMap): AdoParameter[] {
  const raw = doc.parameters;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Error('parameters must be a list of { name, type, default }');
  return raw.map((p) => {
    if (!isMap(p) || typeof p.name !== 'string') throw new Error(`a parameter without a name: ${JSON.stringify(p)}`);
    return {
      name: p.name,
      ...(typeof p.type === 'string' ? { type: p.type } : {}),
      default: p.default,
      hasDefault: 'default' in p,
      ...(Array.isArray(p.values) ? { values: p.values } : {}),
    };
  });
}

export interface AdoStep {
  /** The file the step is written in (a step template for expanded steps). */
  file: string;
  /** The top-level template the step was reached from. */
  root: string;
  stage?: YMap;
  job?: YMap;
  step: YMap;
}

export interface AdoTemplateCall {
  caller: string;
  callee: string;
  parameters: YMap;
  job?: YMap;
}

export interface AdoWalk {
  stages: YMap[];
  jobs: { stage?: YMap; job: YMap }[];
  steps: AdoStep[];
  templateCalls: AdoTemplateCall[];
}

export function jobName(job: YMap): string {
  return String(job.deployment ?? job.job ?? '?');
}

export function jobSteps(job: YMap): unknown[] {
  if (job.steps !== undefined) return flattenSeq(job.steps);
  const strategy = isMap(job.strategy) ? job.strategy : undefined;
  const runOnce = strategy && isMap(strategy.runOnce) ? strategy.runOnce : undefined;
  const deploy = runOnce && isMap(runOnce.deploy) ? runOnce.deploy : undefined;
  return flattenSeq(deploy?.steps);
}

/** Walks a stages (or jobs, or steps) template, expanding step templates in place. */
export function walkAdo(file: string): AdoWalk {
  const walk: AdoWalk = { stages: [], jobs: [], steps: [], templateCalls: [] };
  const doc = loadYaml(file);
  const visitSteps = (steps: unknown[], where: string, stage?: YMap, job?: YMap, depth = 0) => {
    for (const s of steps) {
      if (!isMap(s)) throw new Error(`${rel(where)}: a step that is not a mapping: ${JSON.stringify(s)}`);
      if (typeof s.template === 'string') {
        const callee = resolve(dirname(where), s.template.split('@')[0]!);
        walk.templateCalls.push({ caller: where, callee, parameters: flattenMap(s.parameters), ...(job ? { job } : {}) });
        if (depth > 5) throw new Error(`${rel(where)}: step templates nested too deep`);
        visitSteps(flattenSeq(loadYaml(callee).steps), callee, stage, job, depth + 1);
        continue;
      }
      walk.steps.push({ file: where, root: file, ...(stage ? { stage } : {}), ...(job ? { job } : {}), step: s });
    }
  };
  const visitJobs = (jobs: unknown[], stage?: YMap) => {
    for (const j of jobs) {
      if (!isMap(j)) continue;
      walk.jobs.push({ ...(stage ? { stage } : {}), job: j });
      visitSteps(jobSteps(j), file, stage, j);
    }
  };
  for (const st of flattenSeq(doc.stages)) {
    if (!isMap(st)) continue;
    walk.stages.push(st);
    visitJobs(flattenSeq(st.jobs), st);
  }
  if (doc.jobs !== undefined) visitJobs(flattenSeq(doc.jobs));
  if (doc.steps !== undefined) visitSteps(flattenSeq(doc.steps), file);
  return walk;
}

export function condition(v: YMap | undefined): string {
  return typeof v?.condition === 'string' ? v.condition : '';
}

export function dependsOn(v: YMap | undefined): string[] {
  const d = v?.dependsOn;
  if (d === undefined) return [];
  return (Array.isArray(d) ? d : [d]).map(String);
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

export interface GhStep {
  jobId: string;
  job: YMap;
  step: YMap;
  index: number;
}

export function ghJobs(doc: YMap): [string, YMap][] {
  if (!isMap(doc.jobs)) throw new Error('a workflow without jobs');
  return Object.entries(doc.jobs).map(([id, j]) => {
    if (!isMap(j)) throw new Error(`job ${id} is not a mapping`);
    return [id, j];
  });
}

export function ghSteps(doc: YMap): GhStep[] {
  const out: GhStep[] = [];
  for (const [jobId, job] of ghJobs(doc)) {
    const steps = Array.isArray(job.steps) ? job.steps : [];
    steps.forEach((s, index) => {
      if (!isMap(s)) throw new Error(`job ${jobId}: a step that is not a mapping`);
      out.push({ jobId, job, step: s, index });
    });
  }
  return out;
}

export function needsOf(job: YMap): string[] {
  const n = job.needs;
  if (n === undefined) return [];
  return (Array.isArray(n) ? n : [n]).map(String);
}
