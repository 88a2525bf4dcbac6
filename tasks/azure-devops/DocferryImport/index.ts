import { importOperation } from '../../common/ops/import.js';
import { runTask } from '../shared/run-task.js';

void runTask('import', importOperation);
