import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

/**
 * A full garbage collection, run before each measured side of a comparison so that neither side
 * pays for the other's garbage or an earlier phase's: without it, the 20,000 Hash objects of a
 * raw SHA-256 round were collected during the verify-bundle round after it (that round's CPU per
 * line up to 2.4x the same round's after a collection).
 */
export const collectGarbage = runInNewContext('gc') as () => void;
