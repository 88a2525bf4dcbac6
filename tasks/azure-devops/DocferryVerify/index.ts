import { verifyOperation } from '../../common/ops/verify.js';
import { runTask } from '../shared/run-task.js';

void runTask('verify', verifyOperation);
