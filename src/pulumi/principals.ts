/** Principal ids and role definition ids, shared by the components (pure, no resources). */
import { UsageError } from '../core/errors.js';

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

/** `/subscriptions/<id>/...` -> the subscription-scoped id of a built-in Azure role definition. */
export function azureRoleDefinitionId(resourceId: string, roleGuid: string): string {
  const m = /^\/subscriptions\/([^/]+)/i.exec(resourceId);
  if (!m) throw new UsageError(`Cannot find the subscription in resource id ${resourceId}.`);
  return `/subscriptions/${m[1]}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}
