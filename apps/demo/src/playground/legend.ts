/** The playground's legend: each optimizer's colour, the loss it reached, its distance to the minimum and status. */
import { formatNumber, h } from '../ui.js';
import type { Race, Runner } from './race.js';

export function lossLegend(): { readonly element: HTMLElement; update(race: Race | null): void } {
  const body = h('tbody');
  const element = h(
    'table',
    { class: 'legend', 'aria-label': 'Loss per optimizer' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'optimizer'),
        h('th', { scope: 'col' }, 'loss'),
        h('th', { scope: 'col' }, 'distance to minimum'),
        h('th', { scope: 'col' }, 'status'),
      ),
    ),
    body,
  );
  return {
    element,
    update(race) {
      body.replaceChildren(...(race?.runners ?? []).map((runner) => row(race, runner)));
    },
  };
}

function row(race: Race | null, runner: Runner): HTMLElement {
  const loss = runner.losses[runner.losses.length - 1] as number;
  const distance = race === null ? Number.NaN : race.distanceToMinimum(runner);
  return h(
    'tr',
    {
      'data-optimizer': runner.id,
      'data-loss': String(loss),
      'data-distance': String(distance),
      'data-status': runner.status,
    },
    h('th', { scope: 'row' }, h('span', { class: 'swatch', style: `background:${runner.color}` }), runner.label),
    h('td', {}, formatNumber(loss)),
    h('td', {}, formatNumber(distance, 3)),
    h('td', { title: runner.reason }, runner.status === 'diverged' ? `diverged: ${runner.reason}` : 'running'),
  );
}
