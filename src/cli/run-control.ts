/** The flags export, import and migrate share for checkpoints and verification. */
export interface RunControlFlags {
  resume?: boolean;
  checkpoint?: string;
  verify?: boolean;
  report?: string;
}

/** Only the flags that were given, as engine options, so engine defaults apply to the rest. */
export function runControlFrom(flags: RunControlFlags): { resume?: true; checkpointDir?: string; verify?: true; reportFile?: string } {
  return {
    ...(flags.resume ? { resume: true as const } : {}),
    ...(flags.checkpoint ? { checkpointDir: flags.checkpoint } : {}),
    ...(flags.verify ? { verify: true as const } : {}),
    ...(flags.report ? { reportFile: flags.report } : {}),
  };
}
