/**
 * Claim 7, the moving average (EMA) of the weights on the best configuration: it tests better, paired by seed. And
 * the chapter's claim itself on a real stream: EMAs of a run's per-step training loss (ema-stream.ts).
 */
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { perEpoch } from './charts.js';
import { noiseAutocorrelation, type Smoothing, smoothing, windowSteps } from './ema-stream.js';
import { pctSpread, points, secs } from './format.js';
import { missing, secondsPerEpoch, testAccuracy } from './measures.js';
import { mean } from './stats.js';
import type { Column, Finding, Verdict } from './types.js';

export function ema(c: ClaimRuns): Finding {
  // The stream's run is measured apart (ema-stream.ts): it compares no configuration.
  const compared = c.claim.rows.filter((row) => row.stream !== true);
  const [off, on] = compared.map((row) => rowRuns(c, row.name).filter(finished)) as [RunView[], RunView[]];
  const columns: Column[] = [];
  const summary = {
    headers: [
      'configuration',
      'runs',
      'test accuracy',
      'best validation accuracy',
      'time per epoch',
      'wall time per run',
    ],
    rows: compared.map((row) => {
      const runs = rowRuns(c, row.name).filter(finished);
      return [
        row.name,
        String(runs.length),
        pctSpread(runs.map(testAccuracy).filter((x): x is number => x !== null)),
        pctSpread(runs.map((r) => r.summary?.bestValAccuracy ?? Number.NaN)),
        secs(runs.length > 0 ? mean(runs.map((r) => secondsPerEpoch(r) ?? 0)) : null),
        secs(runs.length > 0 ? mean(runs.map((r) => r.result?.timings.wallSeconds ?? 0)) : null),
      ];
    }),
  };
  const charts = [
    {
      name: 'val-accuracy',
      chart: perEpoch(
        off,
        'the best configuration: validation accuracy per epoch, each seed',
        'validation accuracy',
        (e) => e.val_accuracy,
        { name: (r) => `seed ${r.seed}` },
      ),
    },
  ];
  const verdict = missing({ ...c, runs: c.runs.filter((r) => r.row.stream !== true) }) ?? emaVerdict(off, on);
  return {
    columns,
    summary,
    charts,
    notes: [
      'The EMA is a shadow copy of the weights: training (and the validation accuracy measured during it) is the same with and without it; only the weights the run ends with, and so the test accuracy, differ.',
    ],
    tables: [streamTable(c)],
    verdict,
  };
}

function emaVerdict(off: RunView[], on: RunView[]): Verdict {
  const diffs = off.map((r, i) => (testAccuracy(on[i] as RunView) ?? 0) - (testAccuracy(r) ?? 0));
  const same = off.every((r, i) =>
    r.epochs.every((e, k) => e.val_accuracy === (on[i] as RunView).epochs[k]?.val_accuracy),
  );
  const m = mean(diffs);
  const curves = same
    ? '; the training curves with and without it are identical, as they should be'
    : '; the training curves differ, which they should not';
  return {
    status: m > 0 ? 'held' : 'did not hold',
    sentence: `${m > 0 ? 'Held' : 'Did not hold'}: finishing with the moving average of the weights changed the test accuracy by ${points(m)} on average (${diffs.map(points).join(', ')} for seeds ${off.map((r) => r.seed).join(', ')}), ${pctSpread(on.map((r) => testAccuracy(r) ?? 0))} with it against ${pctSpread(off.map((r) => testAccuracy(r) ?? 0))} without${curves}.`,
  };
}

/** The trend is the stream's centered mean over one epoch of steps; delays up to 1500 steps are searched. */
const STREAM_WINDOW = { trendHalfWidth: 215, maxLag: 1500 } as const;
const BETAS = [0.9, 0.99, 0.999] as const;

/** 5.3% with two significant digits. */
const share = (x: number) => `${Number((100 * x).toPrecision(2))}%`;

/** EMAs of the stream row's step losses: the noise variance each leaves and how late each follows the trend. */
function streamTable(c: ClaimRuns): NonNullable<Finding['tables']>[number] {
  const headers = [
    'beta',
    'bias correction',
    'noise variance left',
    'white noise, closed form',
    'lag measured',
    'mean delay, closed form',
  ];
  const run = c.runs.find((r) => r.row.stream === true && finished(r));
  const xs = run?.history?.stepLosses;
  const steps = xs === undefined ? [] : windowSteps(xs.length, STREAM_WINDOW);
  if (run === undefined || xs === undefined || xs.some((x) => x === null) || steps.length === 0) {
    return {
      lead: '**The smoothing, on a real stream: not measured yet** (the stream row has not been trained with `--step-losses`).',
      headers,
      rows: [],
    };
  }
  const stream = xs as number[];
  const all: Smoothing[] = BETAS.flatMap((beta) =>
    [false, true].map((bc) => smoothing(stream, beta, bc, STREAM_WINDOW)),
  );
  const corrected = all.filter((s) => s.biasCorrection);
  const smoother = corrected.every(
    (s, i) => i === 0 || s.varianceRatio < (corrected[i - 1] as Smoothing).varianceRatio,
  );
  const later = corrected.every((s, i) => i === 0 || s.lag > (corrected[i - 1] as Smoothing).lag);
  const held = smoother && later ? 'held' : smoother || later ? 'partly held' : 'did not hold';
  const list = (f: (s: Smoothing) => string) => corrected.map((s) => `${f(s)} (${s.beta})`).join(', ');
  const first = (steps[0] as number) + 1;
  const last = (steps.at(-1) as number) + 1;
  return {
    lead: [
      `**The smoothing, on a real stream: ${held}.** With bias correction, the noise variance an EMA leaves fell ${list((s) => share(s.varianceRatio))} as beta grew, while its lag behind the trend grew ${list((s) => `${s.lag} steps`)}.`,
      `The stream is the training loss of each of the ${stream.length} steps of "${run.label}" (\`history.json\`'s \`stepLosses\`, recorded with \`--step-losses\`). Its trend is its centered mean over ${2 * STREAM_WINDOW.trendHalfWidth + 1} steps (one epoch; no lag for a locally linear trend), its noise the rest (lag-1 autocorrelation ${noiseAutocorrelation(stream, STREAM_WINDOW).toFixed(2)}). An EMA is linear, so it smooths the two apart: *noise variance left* is the variance of the EMA of the noise over the noise's own; *lag measured* is the delay k (0 to ${STREAM_WINDOW.maxLag}) at which the trend k steps earlier is closest to the smoothed stream, by mean squared difference. Both over steps ${first} to ${last}. The closed forms: white noise keeps (1 - beta)(1 - beta^2t)/(1 + beta) of its variance at step t (divided by (1 - beta^t)^2 with bias correction; (1 - beta)/(1 + beta) once beta^t is negligible), and the EMA's weights have the mean delay beta/(1 - beta) - t beta^t/(1 - beta^t) steps (beta/(1 - beta): 9, 99 and 999 steps); both averaged over the same steps. Without bias correction the average starts at 0 and falls short of the stream by the fraction beta^t (${share(0.999 ** first)} at step ${first} for beta 0.999), so its lag there measures that shortfall, not a delay. The lag equals the mean delay for a locally linear trend; over the 999-step memory of beta 0.999 the loss curve bends (it falls ever more slowly), and the delay at which it best matches departs from the mean delay.`,
    ].join('\n\n'),
    headers,
    rows: all.map((s) => [
      String(s.beta),
      s.biasCorrection ? 'yes' : 'no',
      share(s.varianceRatio),
      share(s.whiteNoiseRatio),
      `${s.lag} steps`,
      `${s.meanDelay.toFixed(1)} steps`,
    ]),
  };
}
