/**
 * Every preset of the catalog on every surface at the rate a newly picked racer gets (the README's table), on the cpu
 * backend. A measurement, not a claim: it runs only when asked, `OPT_RACE_CATALOG=1 vitest run
 * src/playground/catalog-race.test.ts`, and prints each preset's distance to the minimum (DIV: diverged).
 */
import { CATALOG, type OptimizerName } from '@opt/optimizers/catalog';
import { tf, useBackend } from '@opt/tensor';
import { expect, it } from 'vitest';
import { Race } from './race.js';
import { MAX_RACERS, newRacer } from './racers.js';
import { makeSurfaces, SURFACE_IDS } from './surfaces.js';

it.runIf(import.meta.env.OPT_RACE_CATALOG === '1')('every preset on every surface at its picked rate', async () => {
  tf.enableProdMode();
  await useBackend('cpu');
  const surfaces = makeSurfaces();
  const lines: string[] = [];
  for (const id of SURFACE_IDS) {
    const surface = surfaces[id];
    const racers = CATALOG.map((e) => newRacer(e.name as OptimizerName, surface));
    const results: string[] = [];
    for (let k = 0; k < racers.length; k += MAX_RACERS) {
      const schedule = { kind: 'constant', decaySteps: 50, decayRate: 0.5, alpha: 0 } as const;
      const group = racers.slice(k, k + MAX_RACERS);
      const race = new Race({ surface, start: surface.start, racers: group, schedule, batchSize: 8 });
      for (let i = 0; i < surface.steps; i++) await race.advance();
      for (const [j, r] of race.runners.entries()) {
        const where = r.status === 'diverged' ? 'DIV' : race.distanceToMinimum(r).toFixed(2);
        results.push(`${r.id} (lr ${group[j]?.learningRate}): ${where}`);
      }
      race.dispose();
    }
    lines.push(`${id} (${surface.steps} steps): ${results.join(', ')}`);
  }
  console.log(lines.join('\n'));
  expect(lines).toHaveLength(SURFACE_IDS.length);
});
