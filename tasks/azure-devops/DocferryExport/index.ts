import { exportOperation } from '../../common/ops/export.js';
import { runTask } from '../shared/run-task.js';

void runTask('export', exportOperation);
