/**
 * Secret-bearing variables as the agent passed them, captured before azure-pipelines-task-lib
 * loads: task-lib moves INPUT_* and ENDPOINT_AUTH_* into its vault, deletes them from the
 * environment, and its getInput / getEndpointAuthorizationParameter write every value they return
 * into a ##vso[task.debug] line. Secrets are read from here instead, so they are never printed.
 * Only tl.ts imports this, and it does so before task-lib (ESM evaluates imports in order).
 */
const captured = new Map<string, string>();

for (const [name, value] of Object.entries(process.env)) {
  if (value !== undefined && (name.startsWith('INPUT_') || name.startsWith('ENDPOINT_AUTH_'))) captured.set(name.toUpperCase(), value);
}

/** task-lib's variable key: dots and spaces become underscores, upper case. */
export function variableKey(name: string): string {
  return name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase();
}

export function snapshotInput(name: string): string | undefined {
  return captured.get(`INPUT_${variableKey(name)}`);
}

export function snapshotEndpointAuthParameter(endpointId: string, key: string): string | undefined {
  return captured.get(`ENDPOINT_AUTH_PARAMETER_${endpointId}_${key}`.toUpperCase());
}

export function snapshotEndpointAuthScheme(endpointId: string): string | undefined {
  return captured.get(`ENDPOINT_AUTH_SCHEME_${endpointId}`.toUpperCase());
}
