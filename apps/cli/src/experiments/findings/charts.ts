/** The claims' line charts: a value per epoch per run, its mean over seeds, and the first epoch's loss curve. */
import type { LineChart } from '../../run/charts.js';
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { finite, mean } from './stats.js';

/** One series per row: a value per epoch (epoch 0 is the initial weights where `initial` gives it). */
export function perEpoch(
  runs: readonly RunView[],
  title: string,
  y: string,
  value: (e: RunView['epochs'][number]) => number,
  options: { initial?: (r: RunView) => number | undefined; log?: boolean; name?: (r: RunView) => string } = {},
): LineChart {
  const name = options.name ?? ((r: RunView) => r.label);
  return {
    title,
    values: runs.flatMap((r) => [
      ...(options.initial !== undefined ? [{ epoch: 0, run: name(r), value: finite(options.initial(r)) }] : []),
      ...r.epochs.map((e) => ({ epoch: e.epoch, run: name(r), value: finite(value(e)) })),
    ]),
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: y, ...(options.log === true ? { log: true } : {}) },
    series: { field: 'run', title: '' },
    points: true,
  };
}

/** The mean over a row's seeds, per epoch, as a run-like series. */
export function meanPerEpoch(
  c: ClaimRuns,
  names: readonly string[],
  title: string,
  y: string,
  value: (e: RunView['epochs'][number]) => number,
): LineChart {
  const values = names.flatMap((name) => {
    const runs = rowRuns(c, name).filter(finished);
    const epochs = Math.max(0, ...runs.map((r) => r.epochs.length));
    return Array.from({ length: epochs }, (_, i) => {
      const xs = runs
        .map((r) => r.epochs[i])
        .filter((e) => e !== undefined)
        .map(value);
      return { epoch: i + 1, run: name, value: xs.length > 0 ? finite(mean(xs)) : null };
    });
  });
  return {
    title,
    values,
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: y },
    series: { field: 'run', title: '' },
    points: true,
  };
}

/** The first epoch's loss curve per run, or its mean over each row's seeds. */
export function firstEpochChart(c: ClaimRuns, names: readonly string[], title: string, log: boolean): LineChart {
  const values = names.flatMap((name) => {
    const runs = rowRuns(c, name).filter((r) => (r.history?.firstEpoch?.points.length ?? 0) > 0);
    const first = runs[0]?.history?.firstEpoch?.points ?? [];
    return first.map((p, i) => {
      const xs = runs.map((r) => r.history?.firstEpoch?.points[i]?.loss ?? Number.NaN);
      return { step: p.step, run: name, loss: xs.every(Number.isFinite) ? finite(mean(xs)) : null };
    });
  });
  return {
    title,
    values,
    x: { field: 'step', title: 'optimizer step in the first epoch' },
    y: { field: 'loss', title: 'training loss (mean over a window of steps)', ...(log ? { log: true } : {}) },
    series: { field: 'run', title: '' },
  };
}
