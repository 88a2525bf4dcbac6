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

/**
 * Walks a stages (or jobs, or steps) template, expanding step templates in place. With `params`,
 * the template as compiled for those parameter values (and their defaults: resolveAdo), else
 * every branch of every insertion.
 */
export function walkAdo(file: string, params?: Record<string, unknown>): AdoWalk {
  const walk: AdoWalk = { stages: [], jobs: [], steps: [], templateCalls: [] };
  const raw = loadYaml(file);
  const doc = params ? (resolveAdo(raw, adoParameterValues(raw, params)) as YMap) : raw;
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
  // Insertions (`- ${{ if ... }}: [A]`) count with every branch.
  return flattenSeq(Array.isArray(d) ? d : [d]).map(String);
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

// ---------------------------------------------------------------------------------------------
// Compile-time expressions for given parameter values

/** A condition that cannot be decided from the parameter values given (e.g. `window.container` in an `each`). */
class Undecided extends Error {}

type ExprValue = string | number | boolean | null | unknown[] | YMap;

/**
 * Evaluates an Azure DevOps template expression (`eq(parameters.shards, 1)`) for the parameter
 * values given. The functions the templates' conditions use, nothing more; anything else (an
 * unknown function, a loop variable, a parameter without a value) is Undecided.
 */
export function evaluateAdoExpression(expr: string, params: Record<string, unknown>): ExprValue {
  const tokens = [...expr.matchAll(/\s*('(?:[^']|'')*'|[A-Za-z_][\w.-]*|-?\d+(?:\.\d+)?|[(),])/gy)].map((m) => m[1]!);
  if (tokens.join('').replace(/\s/g, '') !== expr.replace(/\s/g, '')) throw new Undecided(expr);
  let i = 0;
  const num = (v: ExprValue): number => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v === null ? 0 : Number(v));
  const truthy = exprTruthy;
  const same = (a: ExprValue, b: ExprValue): boolean => {
    if (typeof a === 'number' || typeof b === 'number') return num(a) === num(b);
    if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
    return String(a).toLowerCase() === String(b).toLowerCase();
  };
  const primary = (): ExprValue => {
    const t = tokens[i++];
    if (t === undefined) throw new Undecided(expr);
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^-?\d/.test(t)) return Number(t);
    if (/^true$/i.test(t)) return true;
    if (/^false$/i.test(t)) return false;
    if (tokens[i] === '(') {
      i++;
      const args: ExprValue[] = [];
      while (tokens[i] !== ')') {
        args.push(primary());
        if (tokens[i] === ',') i++;
        else if (tokens[i] !== ')') throw new Undecided(expr);
      }
      i++;
      const [a, b] = args as [ExprValue, ExprValue];
      switch (t.toLowerCase()) {
        case 'eq': return same(a, b);
        case 'ne': return !same(a, b);
        case 'gt': return num(a) > num(b);
        case 'ge': return num(a) >= num(b);
        case 'lt': return num(a) < num(b);
        case 'le': return num(a) <= num(b);
        case 'and': return args.every(truthy);
        case 'or': return args.some(truthy);
        case 'not': return !truthy(a);
        case 'coalesce': return args.find((x) => x !== null && x !== '') ?? null;
        case 'length': return Array.isArray(a) ? a.length : isMap(a) ? Object.keys(a).length : String(a ?? '').length;
        default: throw new Undecided(expr);
      }
    }
    const m = /^parameters\.([\w-]+)$/.exec(t);
    if (m && m[1]! in params) return params[m[1]!] as ExprValue;
    throw new Undecided(expr);
  };
  const value = primary();
  if (i !== tokens.length) throw new Undecided(expr);
  return value;
}

function exprTruthy(v: ExprValue): boolean {
  return !(v === false || v === null || v === 0 || v === '' || (typeof v === 'string' && /^false$/i.test(v)));
}

const CONDITIONAL = /^\s*\$\{\{\s*(if|elseif|else)\b([\s\S]*?)\}\}\s*$/;

/**
 * A template (or part of one) as Azure DevOps compiles it for the parameter values given: a
 * `${{ if }}`/`${{ elseif }}`/`${{ else }}` insertion whose condition can be decided is kept or
 * dropped; one that cannot (a loop variable, a parameter left out) is kept, with its other
 * branches, as the flattening walk keeps every branch. Step templates are not entered.
 */
export function resolveAdo(value: unknown, params: Record<string, unknown>): unknown {
  // The state of an if/elseif/else chain: a branch taken, none yet, or undecidable.
  type Chain = 'taken' | 'open' | 'undecided' | undefined;
  const decide = (kind: string, cond: string, chain: Chain): { insert: boolean; chain: Chain } => {
    if (kind !== 'if' && chain === undefined) throw new Error(`\${{ ${kind} }} without an \${{ if }} before it`);
    if (kind !== 'if' && chain === 'taken') return { insert: false, chain };
    if (kind === 'else') return { insert: true, chain: undefined };
    let result: boolean | 'undecided';
    try {
      result = exprTruthy(evaluateAdoExpression(cond.trim(), params));
    } catch (err) {
      if (!(err instanceof Undecided)) throw err;
      result = 'undecided';
    }
    if (result === 'undecided') return { insert: true, chain: 'undecided' };
    if (result) return { insert: true, chain: 'taken' };
    return { insert: false, chain: chain === 'undecided' ? 'undecided' : 'open' };
  };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    let chain: Chain;
    for (const item of value) {
      const keys = isMap(item) ? Object.keys(item) : [];
      if (isMap(item) && keys.length === 1 && isExpressionKey(keys[0]!)) {
        const m = CONDITIONAL.exec(keys[0]!);
        const body = resolveAdo(item[keys[0]!], params);
        if (!m) {
          chain = undefined;
          out.push(...flattenSeq(body)); // ${{ each }}: its body, once
          continue;
        }
        const d = decide(m[1]!, m[2]!, chain);
        chain = d.chain;
        if (d.insert) out.push(...flattenSeq(body));
        continue;
      }
      chain = undefined;
      out.push(resolveAdo(item, params));
    }
    return out;
  }
  if (isMap(value)) {
    const out: YMap = {};
    let chain: Chain;
    for (const [k, v] of Object.entries(value)) {
      if (isExpressionKey(k)) {
        const m = CONDITIONAL.exec(k);
        const body = resolveAdo(v, params);
        if (!m) {
          chain = undefined;
          if (isMap(body)) Object.assign(out, body);
          continue;
        }
        const d = decide(m[1]!, m[2]!, chain);
        chain = d.chain;
        if (d.insert && isMap(body)) Object.assign(out, body);
        continue;
      }
      chain = undefined;
      out[k] = resolveAdo(v, params);
    }
    return out;
  }
  return value;
}

/** The values a template's parameters take by default, with `given` over them. */
export function adoParameterValues(doc: YMap, given: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const p of adoParameters(doc)) if (p.hasDefault) values[p.name] = p.default;
  return { ...values, ...given };
}

/**
 * A GitHub workflow as it runs for the given `shards` input: the jobs and steps whose `if` says
 * `inputs.shards == 1` or `inputs.shards > 1` and does not hold for that value are left out.
 */
export function ghForShards(doc: YMap, shards: number): YMap {
  const holds = (v: unknown): boolean => {
    const text = String(v ?? '');
    for (const m of text.matchAll(/inputs\.shards\s*(==|>)\s*(\d+)/g)) {
      const n = Number(m[2]);
      if (m[1] === '==' ? shards !== n : !(shards > n)) return false;
    }
    return true;
  };
  const jobs: YMap = {};
  for (const [id, job] of ghJobs(doc)) {
    if (!holds(job.if)) continue;
    jobs[id] = { ...job, ...(Array.isArray(job.steps) ? { steps: (job.steps as YMap[]).filter((s) => holds(s.if)) } : {}) };
  }
  return { ...doc, jobs };
}
