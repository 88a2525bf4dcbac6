/**
 * Typed reading of task inputs, shared by the Azure DevOps tasks and the GitHub Action.
 * Operations read every input through these methods with a literal camelCase name, so a static
 * scan (test/tasks/inputs-declared.test.ts) can prove each name is declared in task.json / action.yml.
 * The platform supplies only how a raw value is fetched and how a name is spelled to its users.
 */
import { UsageError } from '../../src/core/errors.js';
import { registerSecret } from '../../src/core/secrets.js';

export interface RawInputSource {
  /** A plain input; may log its value (task-lib does), so never used for secrets. */
  read(name: string): string | undefined;
  /** A secret input, fetched through a path that prints nothing. */
  readSecret(name: string): string | undefined;
  /** Mask a value in the platform's log (##vso[task.setsecret] / ::add-mask::). */
  mask(value: string): void;
  /** The name as the pipeline author writes it: `cosmosEndpoint` or `cosmos-endpoint`. */
  label(name: string): string;
}

export interface Inputs {
  label(name: string): string;
  getInput(name: string): string | undefined;
  getRequiredInput(name: string, why?: string): string;
  getSecretInput(name: string): string | undefined;
  /**
   * A plain input that may carry a secret part (a SAS query in a URL): read without logging, not
   * masked as a whole; the caller masks the secret part.
   */
  getQuietInput(name: string): string | undefined;
  getBoolInput(name: string): boolean;
  getChoiceInput<T extends string>(name: string, choices: readonly T[], fallback?: T): T | undefined;
  getRequiredChoiceInput<T extends string>(name: string, choices: readonly T[]): T;
  getIntInput(name: string, min: number): number | undefined;
  getListInput(name: string): string[] | undefined;
  /** Registers a secret the task derived or fetched (a token, a URI password) with both maskers. */
  mask(value: string | undefined): void;
}

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/** Each line of a multi-line secret (a PEM certificate) is masked on its own: log masks work per line. */
function maskAll(source: RawInputSource, value: string | undefined): void {
  if (!value) return;
  registerSecret(value);
  const lines = value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 8 && !/^-----(BEGIN|END) /.test(l));
  if (lines.length > 1 || /\r|\n/.test(value)) {
    for (const line of lines) {
      registerSecret(line);
      source.mask(line);
    }
  } else {
    source.mask(value);
  }
}

export function createInputs(source: RawInputSource): Inputs {
  const clean = (v: string | undefined) => {
    const t = v?.trim();
    return t ? t : undefined;
  };
  const inputs: Inputs = {
    label: (name) => source.label(name),
    getInput: (name) => clean(source.read(name)),
    getRequiredInput(name, why) {
      const v = clean(source.read(name));
      if (v === undefined) throw new UsageError(`Input "${source.label(name)}" is required${why ? ` ${why}` : ''}.`);
      return v;
    },
    getSecretInput(name) {
      // Masked before it is trimmed or looked at: whatever the author typed is the secret.
      const raw = source.readSecret(name);
      maskAll(source, raw);
      const v = clean(raw);
      if (v !== raw) maskAll(source, v);
      return v;
    },
    getQuietInput: (name) => clean(source.readSecret(name)),
    getBoolInput(name) {
      const v = clean(source.read(name))?.toLowerCase();
      if (v === undefined || FALSE.has(v)) return false;
      if (TRUE.has(v)) return true;
      throw new UsageError(`Input "${source.label(name)}" takes true or false, not "${v}".`);
    },
    getChoiceInput<T extends string>(name: string, choices: readonly T[], fallback?: T): T | undefined {
      const v = clean(source.read(name));
      if (v === undefined) return fallback;
      const hit = choices.find((c) => c.toLowerCase() === v.toLowerCase());
      if (!hit) throw new UsageError(`Input "${source.label(name)}" must be one of ${choices.join(', ')}, not "${v}".`);
      return hit;
    },
    getRequiredChoiceInput<T extends string>(name: string, choices: readonly T[]): T {
      const v = inputs.getChoiceInput(name, choices);
      if (v === undefined) throw new UsageError(`Input "${source.label(name)}" is required: one of ${choices.join(', ')}.`);
      return v;
    },
    getIntInput(name, min) {
      const v = clean(source.read(name));
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
        throw new UsageError(`Input "${source.label(name)}" takes a whole number of at least ${min}, not "${v}".`);
      }
      return n;
    },
    getListInput(name) {
      const v = clean(source.read(name));
      if (v === undefined) return undefined;
      const items = v.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
      return items.length > 0 ? items : undefined;
    },
    mask: (value) => maskAll(source, value),
  };
  return inputs;
}

/** `cosmosEndpoint` -> `cosmos-endpoint` (GitHub's spelling of the same input). */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
