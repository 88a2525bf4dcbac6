/**
 * The logical stages of docferry's two release flows, in order. This is the one list that the
 * Azure DevOps templates (a step `name:`), the GitHub workflows (a step `id:`) and `npm run drill`
 * follow; test/pipelines/templates.test.ts checks the YAML against it.
 */
export type StageId = 'export' | 'push' | 'provision' | 'schema' | 'raise' | 'pull' | 'import' | 'verify' | 'restore' | 'teardown' | 'report';

export interface StageDef {
  id: StageId;
  title: string;
  /** Runs also after an earlier stage failed or was cancelled: it closes or cleans up what the others opened. */
  always: boolean;
}

/** Environment promotion: source environment -> archive -> target environment. */
export const PROMOTION_STAGES: readonly StageDef[] = [
  { id: 'export', title: 'Export from the source environment', always: false },
  { id: 'push', title: 'Push the export to the archive', always: false },
  { id: 'provision', title: 'Provision or check the target containers', always: false },
  { id: 'schema', title: "Check the live target's schema against the layout (docferry layout diff)", always: false },
  { id: 'raise', title: 'Open the RU/s window', always: false },
  { id: 'pull', title: 'Pull the export from the archive', always: false },
  { id: 'import', title: 'Import into the target', always: false },
  { id: 'verify', title: 'Verify the target against the export', always: false },
  { id: 'restore', title: 'Close the RU/s window', always: true },
  { id: 'report', title: 'Publish the report', always: true },
];

/** Disaster-recovery drill: restore the newest archive into a throw-away target and prove it is whole. */
export const DR_DRILL_STAGES: readonly StageDef[] = [
  { id: 'pull', title: 'Pull the newest complete archive', always: false },
  { id: 'provision', title: 'Provision an ephemeral target from the layout', always: false },
  { id: 'schema', title: "Check the live target's schema against the layout (docferry layout diff)", always: false },
  { id: 'import', title: 'Import into the ephemeral target', always: false },
  { id: 'verify', title: "Verify the target against the archive's manifest and files", always: false },
  { id: 'teardown', title: 'Tear the ephemeral target down', always: true },
  { id: 'report', title: 'Publish the report', always: true },
];

export type FlowName = 'promotion' | 'dr-drill';

export interface FlowDef {
  stages: readonly StageDef[];
  /** Repository-relative paths of the YAML that implements the flow. */
  azureDevOps: string;
  github: string;
}

export const FLOWS: Record<FlowName, FlowDef> = {
  promotion: { stages: PROMOTION_STAGES, azureDevOps: 'pipelines/azure-devops/promote.yml', github: 'pipelines/github/promote.yml' },
  'dr-drill': { stages: DR_DRILL_STAGES, azureDevOps: 'pipelines/azure-devops/dr-drill.yml', github: 'pipelines/github/dr-drill.yml' },
};

export const STAGE_IDS: ReadonlySet<string> = new Set<StageId>(['export', 'push', 'provision', 'schema', 'raise', 'pull', 'import', 'verify', 'restore', 'teardown', 'report']);
