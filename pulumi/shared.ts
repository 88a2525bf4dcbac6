/** Small helpers shared by the Pulumi programs (pure, no resources). */
import { UsageError } from '../src/core/errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Entra object ids, deduplicated, lower-cased; anything that is not a GUID is a configuration error. */
export function principalIdList(values: readonly string[] | undefined, key: string): string[] {
  const out: string[] = [];
  for (const raw of values ?? []) {
    const v = String(raw).trim().toLowerCase();
    if (!GUID.test(v)) throw new UsageError(`${key}: "${raw}" is not a principal (object) id; expected a GUID such as 00000000-0000-0000-0000-000000000000.`);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

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

/** `/subscriptions/<id>/...` -> the subscription-scoped id of a built-in Azure role definition. */
export function azureRoleDefinitionId(resourceId: string, roleGuid: string): string {
  const m = /^\/subscriptions\/([^/]+)/i.exec(resourceId);
  if (!m) throw new UsageError(`Cannot find the subscription in resource id ${resourceId}.`);
  return `/subscriptions/${m[1]}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}
