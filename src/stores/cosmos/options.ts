/** A Cosmos DB spec from its connection group and RU budget (src/options/catalogue.ts), whichever front door read them. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { connectTimeoutOf, type ConnectionValues } from '../descriptor.js';
import type { CosmosSpec } from './descriptor.js';
import { validateEndpoint } from './endpoint.js';
import type { CosmosRuOptions } from './ru-budget.js';

function caCertificate(values: ConnectionValues): { caCertificate?: string } {
  const path = values.path('cosmosCaFile');
  if (!path) return {};
  try {
    return { caCertificate: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new UsageError(`Cannot read ${values.how('cosmosCaFile')} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}.`);
  }
}

function ruBudget(values: ConnectionValues): { ru?: CosmosRuOptions } {
  const ru: CosmosRuOptions = {};
  const maxRu = values.value('maxRu');
  const ruShare = values.value('ruShare');
  const priority = values.value('priority');
  if (maxRu !== undefined) ru.maxRu = maxRu as number;
  if (ruShare !== undefined) ru.ruShare = ruShare as number;
  if (priority) ru.priority = priority as 'low' | 'high';
  if (maxRu !== undefined || ruShare !== undefined) ru.names = { maxRu: values.how('maxRu'), ruShare: values.how('ruShare') };
  return Object.keys(ru).length > 0 ? { ru } : {};
}

export function cosmosSpecFromOptions(values: ConnectionValues): CosmosSpec {
  const endpoint = validateEndpoint(values.value('cosmosEndpoint') as string | undefined, values.how('cosmosEndpoint'));
  const ca = caCertificate(values);
  const ru = ruBudget(values);
  const auth = values.azureCredential({ service: 'Cosmos DB', resource: endpoint, keyKey: 'cosmosKey', entraKey: 'useRbac' });
  const pageSize = values.value('pageSize');
  return {
    type: 'cosmos',
    connection: { endpoint, ...auth, ...ca, ...connectTimeoutOf(values) },
    ...(typeof pageSize === 'number' ? { pageSize } : {}),
    ...ru,
  };
}
