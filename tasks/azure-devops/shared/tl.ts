/** The one door to azure-pipelines-task-lib: the secret snapshot is taken before it loads. */
import './env-snapshot.js';
import * as tl from 'azure-pipelines-task-lib/task.js';

export { tl };
