import type { TrainingSnapshot } from '../src/training/protocol.js';

declare global {
  interface Window {
    /** What the page exposes for automation (see src/main.ts). */
    optDemo?: { training(): TrainingSnapshot | null };
  }
}
