/**
 * What an operation gets from the platform it runs on (an Azure DevOps agent or a GitHub runner)
 * and what it hands back. Operations know nothing about either platform.
 */
import type { TokenCredential } from '@azure/identity';
import type { EventSink, RunSummary } from '../../src/engine/events.js';
import type { VerifySummary } from '../../src/engine/verify.js';
import type { Inputs } from './inputs.js';

export interface AzureAuth {
  credential: TokenCredential;
  /** Where it came from, for messages: `service connection "prod" (workload identity federation)`. */
  description: string;
  /** From an Azure DevOps service connection; GitHub has none. */
  subscriptionId?: string;
  /** The management endpoint of the connection's cloud (https://management.azure.com/ in public Azure). */
  resourceManagerUrl?: string;
  /**
   * True when nothing was configured and this is only the ambient login (azure/login's Azure CLI
   * session): used only when the author asked for Entra ID (useRbac), never instead of a key.
   */
  ambient?: boolean;
}

export interface TaskLog {
  info(line: string): void;
  warning(line: string): void;
}

export interface OperationContext {
  inputs: Inputs;
  /** The Azure identity configured for the step, or undefined; created once, on first use. */
  azure(): AzureAuth | undefined;
  /** The input names the platform's Azure identity comes from, for error messages. */
  azureInputHint: string;
  events: EventSink;
  log: TaskLog;
  /**
   * Where an export, migrate's rejects and a verify report go when the author names no path: a
   * directory the job empties and no publish step uploads (Azure DevOps: Agent.TempDirectory).
   */
  defaultExportParent: string;
  /** The directory generic publish steps upload (Azure DevOps: Build.ArtifactStagingDirectory), when the platform has one. */
  publishedDir?: { name: string; path: string };
  /** A directory for files the run leaves behind for the job (state files, reports). */
  tempDir: string;
  /** Told how many collections the run will move, for an overall percentage. */
  expectCollections(n: number): void;
}

/** What an operation reports: the adapter turns it into outputs, a summary page and a result. */
export interface OperationResult {
  title: string;
  /** The engine's summary for a transfer (export, import, migrate). */
  summary?: RunSummary;
  verify?: VerifySummary;
  /** Documents rejected beyond this fail the step; up to it, the step succeeds with issues. */
  allowedRejects?: number;
  /** Output variables (camelCase names; the GitHub adapter kebab-cases them). */
  outputs: Record<string, string>;
  /** Extra markdown for the summary page (archive listings, throughput plans). */
  markdown?: string[];
  /** A failure the operation found without throwing (verify differences), with its message. */
  failure?: string;
}

export type Operation = (ctx: OperationContext) => Promise<OperationResult>;
