/** `opt sweep status SWEEP` and `opt sweep results SWEEP`: a sweep named by its id or by its sweep file. */
import { existsSync } from 'node:fs';
import { UsageError } from '../cli/errors.js';
import type { SweepQueue, SweepRecord } from './queue.js';
import { readSweep } from './spec.js';

/** A sweep named by its id or its file, as stored in the queue. */
export async function findSweep(queue: SweepQueue, given: string): Promise<SweepRecord> {
  const byId = /^[0-9a-f]{12}$/.test(given) && !existsSync(given) ? await queue.sweep(given) : null;
  if (byId !== null) return byId;
  if (!existsSync(given))
    throw new UsageError(
      `${given}: no sweep with this id in the queue at ${queue.url.redacted}, and no such file; \`opt sweep status --queue\` lists the sweeps there.`,
      'SWEEP',
      given,
    );
  const sweep = readSweep(given);
  const record = await queue.sweep(sweep.id);
  if (record === null)
    throw new UsageError(
      `${given}: this sweep (${sweep.id}) is not in the queue at ${queue.url.redacted}; add it with \`opt sweep ${given} --queue\`.`,
      'SWEEP',
      given,
    );
  return record;
}
