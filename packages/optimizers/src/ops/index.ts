/**
 * The ops the optimizers compute with. Each is written once in tfjs ops (the reference, on every backend); where a
 * backend has a faster kernel (WebGL's programs in `webgl-programs.ts`) the op chooses it itself, so the code that
 * calls an op never asks which backend runs.
 */
export { type AdamConstants, adamDirection, adamUpdate, adamUpdateReference, emaIncrement } from './adam.js';
export { applyUpdates, applyUpdatesReference, keepWhenShut } from './apply-updates.js';
export {
  finiteRows,
  finiteSum,
  finiteVerdict,
  finiteVerdictReference,
  initialRecord,
  KeptZeros,
  NO_BAD_STEP,
  type RecordPolicy,
  type RowRange,
} from './finite-verdict.js';
export { readsStall } from './reads.js';
