/** The real management client: DefaultAzureCredential + CosmosDBManagementClient (used by the CLI). */
import { CosmosDBManagementClient } from '@azure/arm-cosmosdb';
import { DefaultAzureCredential } from '@azure/identity';
import { armThroughputClient } from './arm-client.js';
import type { ThroughputManagementClient } from './types.js';

type Credential = ConstructorParameters<typeof CosmosDBManagementClient>[0];

export function createArmThroughputClient(subscriptionId: string, credential: Credential = new DefaultAzureCredential()): ThroughputManagementClient {
  return armThroughputClient(new CosmosDBManagementClient(credential, subscriptionId));
}
