import * as core from '@actions/core';
import { createInputs, kebabCase, type Inputs } from '../../common/inputs.js';

/**
 * Action inputs: the operations ask in camelCase (`cosmosEndpoint`), action.yml declares kebab-case
 * (`cosmos-endpoint`). core.getInput never logs; secrets are masked (::add-mask::) as they are read.
 */
export function actionInputs(): Inputs {
  return createInputs({
    read: (name) => core.getInput(kebabCase(name)),
    readSecret: (name) => core.getInput(kebabCase(name), { trimWhitespace: false }),
    mask: (value) => core.setSecret(value),
    label: (name) => kebabCase(name),
  });
}
