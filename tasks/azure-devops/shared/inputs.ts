import { createInputs, type Inputs } from '../../common/inputs.js';
import { snapshotInput } from './env-snapshot.js';
import { tl } from './tl.js';

/** Task inputs: plain ones through task-lib, secret ones from the snapshot (never debug-logged). */
export function taskInputs(): Inputs {
  return createInputs({
    read: (name) => tl.getInput(name, false),
    readSecret: (name) => snapshotInput(name),
    mask: (value) => tl.setSecret(value),
    label: (name) => name,
  });
}
