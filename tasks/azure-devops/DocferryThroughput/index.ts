import { THROUGHPUT_COMMANDS, throughputOperation } from '../../common/ops/throughput.js';
import { runTask } from '../shared/run-task.js';

void runTask('throughput', (ctx) => throughputOperation(ctx, ctx.inputs.getRequiredChoiceInput('command', THROUGHPUT_COMMANDS)));
