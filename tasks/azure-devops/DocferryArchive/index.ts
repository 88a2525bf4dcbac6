import { ARCHIVE_COMMANDS, archiveOperation } from '../../common/ops/archive.js';
import { runTask } from '../shared/run-task.js';

void runTask('archive', (ctx) => archiveOperation(ctx, ctx.inputs.getRequiredChoiceInput('command', ARCHIVE_COMMANDS)));
