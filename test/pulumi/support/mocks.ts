/**
 * Pulumi mocks for the program tests: every registered resource and every invoke is recorded.
 * Install the mocks before a program module is imported (import it with `await import()`).
 */
import * as pulumi from '@pulumi/pulumi';

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** `urn::id` of the provider the resource was registered with, when one was set. */
  provider?: string;
}

export interface RecordedCall {
  token: string;
  inputs: Record<string, any>;
}

export const recorded: { resources: RecordedResource[]; calls: RecordedCall[] } = { resources: [], calls: [] };

export const MOCK_SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';

function armId(type: string, name: string, inputs: Record<string, any>): string {
  const rg = inputs.resourceGroupName ?? 'rg';
  if (type === 'azure-native:cosmosdb:DatabaseAccount') {
    return `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.DocumentDB/databaseAccounts/${inputs.accountName ?? name}`;
  }
  if (type === 'azure-native:storage:StorageAccount') {
    return `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName ?? name}`;
  }
  if (type === 'azure-native:storage:BlobContainer') {
    return `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default/containers/${inputs.containerName}`;
  }
  return `${name}-id`;
}

let installed: Promise<void> | undefined;

export function installMocks(): Promise<void> {
  installed ??= pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        recorded.resources.push({ type: args.type, name: args.name, inputs: args.inputs, ...(args.provider ? { provider: args.provider } : {}) });
        const id = armId(args.type, args.name, args.inputs);
        const state: Record<string, any> = { ...args.inputs, id };
        if (args.type === 'azure-native:cosmosdb:DatabaseAccount') {
          state.name = args.inputs.accountName ?? `${args.name}abc123`;
          state.documentEndpoint = `https://${state.name}.documents.azure.com:443/`;
        }
        if (args.type === 'azure-native:storage:StorageAccount') {
          state.name = args.inputs.accountName ?? `${args.name}abc123`;
          state.primaryEndpoints = { blob: `https://${state.name}.blob.core.windows.net/` };
        }
        if (args.type === 'azure-native:storage:BlobContainer') state.name = args.inputs.containerName;
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        recorded.calls.push({ token: args.token, inputs: args.inputs });
        if (args.token === 'azure-native:cosmosdb:getDatabaseAccount') {
          return {
            id: `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${args.inputs.resourceGroupName}/providers/Microsoft.DocumentDB/databaseAccounts/${args.inputs.accountName}`,
            name: args.inputs.accountName,
            documentEndpoint: `https://${args.inputs.accountName}.documents.azure.com:443/`,
          };
        }
        return args.inputs;
      },
    },
    'docferry-test',
    'test',
    false,
  );
  return installed;
}

export function resetRecorded(): void {
  recorded.resources.length = 0;
  recorded.calls.length = 0;
}

/** Resolves when every resource has been registered with the (mock) engine. */
export function settled(resources: pulumi.Resource[]): Promise<unknown> {
  return new Promise((resolve) => pulumi.all(resources.map((r) => r.urn)).apply(resolve));
}

/** The value of an output (mock mode is not a preview, so values are known). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

export function ofType(type: string): RecordedResource[] {
  return recorded.resources.filter((r) => r.type === type);
}

/** Waits (up to `ms`) until the recorded resources satisfy `done`: for programs whose resources are not handed back. */
export async function waitFor(done: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What a component passed to registerOutputs, as the (mock) engine received it: the mock monitor
 * keeps each resource's registered state by URN. Undefined when nothing was registered in `ms`.
 */
export async function registeredOutputs(resource: pulumi.Resource, ms = 10_000): Promise<Record<string, unknown> | undefined> {
  const urn = await valueOf(resource.urn);
  // At registration the monitor keeps the mock's plain state; registerOutputs replaces it with a protobuf Struct.
  const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, { state?: { toJavaScript?: () => Record<string, unknown> } }> };
  const end = Date.now() + ms;
  for (;;) {
    const state = monitor.resources.get(urn)?.state;
    if (typeof state?.toJavaScript === 'function') return state.toJavaScript();
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
}
