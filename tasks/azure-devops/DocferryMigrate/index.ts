import { migrateOperation } from '../../common/ops/migrate.js';
import { runTask } from '../shared/run-task.js';

void runTask('migrate', migrateOperation);
