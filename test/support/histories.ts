import path from 'node:path';

/** Where the replay gate's captured histories live (one JSON file per workflow type and branch). */
export const HISTORIES_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

/** `workflow-ids.json`: history file name → the workflow id it ran under (replay needs it). */
export const WORKFLOW_IDS_FILE = path.join(HISTORIES_DIR, 'workflow-ids.json');
