/** Helpers shared by the three stacks (config reading and state continuity; no resources). */
import * as pulumi from '@pulumi/pulumi';
import { UsageError } from '../src/core/errors.js';

/** A list from stack config: a YAML list, a JSON array string, or a comma-separated string. */
export function listFromConfig(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  const s = String(value).trim();
  if (s.startsWith('[')) {
    const parsed: unknown = JSON.parse(s);
    if (!Array.isArray(parsed)) throw new UsageError(`Expected a list, got ${s}`);
    return parsed.map(String);
  }
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/**
 * Up to version 0.1 the stacks registered their resources at the stack root under short names
 * (`db-copilot`, `window-copilot-messages`); now the components own them as
 * `<component>-db-copilot` etc. Without aliases, `pulumi up` on an existing stack would replace
 * everything (and fail on the protected databases, or restore and raise the RU/s window again).
 * The aliases name the old URN both ways a child may have been called: as it is now, and
 * without the `<component>-` prefix. An alias that matches nothing is ignored.
 */
export function aliasesToStackRoot(componentName: string): pulumi.ResourceTransformation {
  const prefix = `${componentName}-`;
  return ({ type, name, props, opts }) => {
    if (type.startsWith('docferry:index:')) return undefined;
    const old = name.startsWith(prefix) ? [name, name.slice(prefix.length)] : [name];
    const aliases: pulumi.Input<pulumi.Alias | string>[] = old.map((n) => ({ name: n, parent: pulumi.rootStackResource }));
    return { props, opts: pulumi.mergeOptions(opts, { aliases }) };
  };
}
