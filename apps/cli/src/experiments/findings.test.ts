/**
 * The verdicts are comparisons in code: given runs where a claim holds they say so, and given runs where it does
 * not (the numbers swapped) they say that, with the numbers. The runs here are made-up run views with round
 * numbers so that each expected sentence can be checked by hand; the real run directories go through the same
 * functions in experiments.test.ts (quick) and in `pnpm experiments`.
 */
import { describe, expect, it } from 'vitest';
import type { EpochEntry } from '../run/train-run.js';
import { accuracyAt, FINDINGS, mean, sd } from './findings.js';
import { CLAIMS, type Claim } from './plan.js';
import type { RunView } from './runs.js';

interface Spec {
  test?: number | null;
  diverged?: boolean;
  /** val_accuracy per epoch. */
  val?: number[];
  /** training loss per epoch (default falling from 1). */
  loss?: number[];
  seconds?: number;
  lr?: number;
  steps?: number;
  seed?: number;
}

function view(claim: Claim, name: string, spec: Spec): RunView {
  const row = claim.rows.find((r) => r.name === name);
  if (row === undefined) throw new Error(`no row ${name}`);
  const n = spec.val?.length ?? spec.loss?.length ?? 3;
  const val = spec.val ?? Array.from({ length: n }, (_, i) => 0.8 + 0.05 * Math.min(i, 1) + 0.02 * Math.max(0, i - 1));
  const epochs: EpochEntry[] = val.map((v, i) => ({
    epoch: i + 1,
    loss: spec.loss?.[i] ?? 1 / (i + 1),
    accuracy: v,
    val_loss: spec.loss?.[i] ?? 1 / (i + 1),
    val_accuracy: v,
    learning_rate: spec.lr ?? 0.001,
    seconds: spec.seconds ?? 10,
    steps: spec.steps ?? 430,
  }));
  const history = {
    initial: { val_loss: 2.3, val_accuracy: 0.1 },
    epochs,
    advice: spec.diverged === true ? [{ id: 'diverged', message: 'the loss diverged' }] : [],
    firstEpoch: { window: 1, points: [{ step: 1, loss: epochs[0]?.loss ?? 1, samples: 128, seconds: 1 }] },
  };
  const best = Math.max(...val);
  return {
    row,
    seed: spec.seed ?? null,
    label: spec.seed === undefined ? name : `${name}, seed ${spec.seed}`,
    dir: `runs/x/${name}`,
    command: 'opt train',
    state: spec.diverged === true ? 'diverged' : 'complete',
    summary: {
      bestValAccuracy: best,
      bestEpoch: val.indexOf(best) + 1,
      config: { learningRate: spec.lr ?? 0.001 },
      stepsPerSecond: (spec.steps ?? 430) / (spec.seconds ?? 10),
      history,
      backend: 'wasm',
    } as unknown as RunView['summary'],
    result: {
      test: spec.diverged === true || spec.test === null ? null : { loss: 0.3, accuracy: spec.test ?? 0.88 },
      stepsPerEpoch: spec.steps ?? 430,
      timings: { wallSeconds: 100, trainSeconds: 90, testSeconds: 1, stepsPerSecond: 43 },
    } as unknown as RunView['result'],
    history: history as unknown as RunView['history'],
    epochs,
  };
}

const claim = (id: number) => CLAIMS.find((c) => c.id === id) as Claim;
const verdict = (id: number, runs: RunView[]) => FINDINGS[id]?.({ claim: claim(id), runs, lrFinds: [] }).verdict;

describe('the numbers', () => {
  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(sd([1, 2, 3])).toBe(1);
    expect(sd([5])).toBe(0);
  });

  it('accuracy after a time budget: the best of the epochs that ended by then, else the initial weights', () => {
    const r = view(claim(2), 'mini-batch (128)', { val: [0.5, 0.7, 0.6], seconds: 10 });
    expect(accuracyAt(r, 5)).toBe(0.1);
    expect(accuracyAt(r, 10)).toBe(0.5);
    expect(accuracyAt(r, 29.9)).toBe(0.7);
    expect(accuracyAt(r, 100)).toBe(0.7);
  });
});

describe('1. input normalization', () => {
  const c = claim(1);
  const runs = (adamRaw: Spec) => [
    view(c, 'adam, raw pixels', adamRaw),
    view(c, 'adam, rescaled', { loss: [0.5], test: 0.885 }),
    view(c, 'adam, standardized', { loss: [0.47], test: 0.889 }),
    view(c, 'sgd, raw pixels', { diverged: true, loss: [Number.NaN], val: [0.1] }),
    view(c, 'sgd, rescaled', { loss: [0.8], test: 0.82 }),
    view(c, 'sgd, standardized', { loss: [0.7], test: 0.86 }),
  ];

  it('held: lower first-epoch loss and higher test accuracy than raw pixels, a diverged raw run counting as worst', () => {
    const v = verdict(1, runs({ loss: [2.9], test: 0.84 }));
    expect(v?.status).toBe('held');
    expect(v?.sentence).toContain('Adam had a first-epoch loss of 2.9 on raw pixels and ended at 84.00%');
    expect(v?.sentence).toContain('(standardizing: +4.90 points of test accuracy)');
    expect(v?.sentence).toContain('basic SGD diverged on raw pixels in epoch 1');
  });

  it('partly held when raw pixels beat one of the normalizations', () => {
    const v = verdict(1, runs({ loss: [0.45], test: 0.887 }));
    expect(v?.status).toBe('partly held');
    expect(v?.sentence).toMatch(/^Partly held: normalized inputs beat raw pixels in 2 of 4 comparisons/);
  });

  it('not measured while a run is missing', () => {
    const r = runs({ loss: [2.9], test: 0.84 });
    r[0] = { ...(r[0] as RunView), state: 'not run' };
    expect(verdict(1, r)?.status).toBe('not measured');
    expect(verdict(1, r)?.sentence).toContain('1 of 6 runs have not finished (not run)');
  });
});

describe('2. batch sizes', () => {
  const c = claim(2);
  it('held when mini-batches reach the highest validation accuracy within the shortest run', () => {
    const v = verdict(2, [
      view(c, 'batch (55,000)', { val: [0.3, 0.4, 0.5, 0.55], seconds: 5, steps: 1 }),
      view(c, 'mini-batch (128)', { val: [0.8, 0.83], seconds: 10, steps: 430 }),
      view(c, 'stochastic (1)', { val: [0.82], seconds: 300, steps: 55000 }),
    ]);
    expect(v?.status).toBe('held');
    // The budget is the shortest run: 20 s (mini-batch, 2 epochs of 10 s).
    expect(v?.sentence).toMatch(/^Held: within the same 20\.0 s of training, mini-batches of 128 reached 83\.00%/);
    expect(v?.sentence).toContain('full-batch gradient descent 55.00% and batches of one 10.00%; mini-batches (430');
    expect(v?.sentence).toContain('full batch (1 update per epoch, 0.2 per second, 5.0 s per epoch; 55.00% at best');
    expect(v?.sentence).toContain('batches of one (55000 updates per epoch');
    // The report's summary keeps the text up to the first "; ": its parentheses must all be closed there.
    const first = v?.sentence.split('; ')[0] ?? '';
    expect(first.split('(').length).toBe(first.split(')').length);
    expect(first).toBe(
      'Held: within the same 20.0 s of training, mini-batches of 128 reached 83.00%, full-batch gradient descent 55.00% and batches of one 10.00%',
    );
  });

  it('did not hold when another batch size is ahead at that budget', () => {
    const v = verdict(2, [
      view(c, 'batch (55,000)', { val: [0.9, 0.9], seconds: 5, steps: 1 }),
      view(c, 'mini-batch (128)', { val: [0.8, 0.83], seconds: 10 }),
      view(c, 'stochastic (1)', { val: [0.82], seconds: 300 }),
    ]);
    expect(v?.status).toBe('did not hold');
  });
});

describe('3. optimizers over seeds', () => {
  const c = claim(3);
  const runs = (sgdLoss: number, sgdTest: number) =>
    ['sgd', 'momentum', 'rmsprop', 'adam'].flatMap((name, k) =>
      [1, 2, 3].map((seed) =>
        view(c, name, {
          seed,
          loss: [name === 'sgd' ? sgdLoss : 0.6 - 0.05 * k],
          test: name === 'sgd' ? sgdTest : 0.87 + 0.005 * k + 0.001 * seed,
        }),
      ),
    );

  it('held when each beats basic SGD and Adam falls fastest, with means, spreads and the gap', () => {
    const v = verdict(3, runs(0.8, 0.86));
    expect(v?.status).toBe('held');
    expect(v?.sentence).toContain(
      'First-epoch training loss (mean over seeds): adam 0.45, rmsprop 0.5, momentum 0.55, sgd 0.8.',
    );
    expect(v?.sentence).toContain('adam 88.70 ± 0.10%');
    expect(v?.sentence).toContain('adam leads SGD by +2.70 points, more than twice the spread over seeds');
  });

  it('did not hold when basic SGD is best', () => {
    expect(verdict(3, runs(0.3, 0.9))?.status).toBe('did not hold');
  });
});

describe('4. learning rates too high and too low', () => {
  const c = claim(4);
  const runs = (highDiverges: boolean) =>
    (['sgd', 'adam'] as const).flatMap((o) => {
      const [chapter, high, low] =
        o === 'sgd'
          ? ['sgd 0.01 (chapter)', 'sgd 1 (100x)', 'sgd 0.0001 (1/100)']
          : ['adam 0.001 (chapter)', 'adam 0.1 (100x)', 'adam 0.00001 (1/100)'];
      return [
        view(c, chapter, { loss: [0.5, 0.3], test: 0.87 }),
        view(
          c,
          high,
          highDiverges
            ? { diverged: true, loss: [50], val: [0.1], lr: o === 'sgd' ? 1 : 0.1 }
            : { loss: [0.5, 0.35], test: 0.86 },
        ),
        view(c, low, { loss: [2.2, 1.2], test: 0.6 }),
        view(c, `${o}, lr-find`, { loss: [0.4, 0.25], test: 0.88, lr: 0.02 }),
      ];
    });

  it('held when both rates 100x too high diverge and both 100x too low stay above one good epoch', () => {
    const v = verdict(4, runs(true));
    expect(v?.status).toBe('held');
    expect(v?.sentence).toContain('SGD at 100 times its rate (1) diverged in epoch 1');
    expect(v?.sentence).toContain('its training loss after 2 epochs was 1.2, against 0.5 after one epoch');
  });

  it('partly held when a rate 100x too high trains fine', () => {
    const v = verdict(4, runs(false));
    expect(v?.status).toBe('partly held');
    expect(v?.sentence).toContain('the rate 100 times too high failed for 0 of 2 optimizers');
  });
});

describe('5. decay', () => {
  const c = claim(5);
  const steady = [0.88, 0.885, 0.886, 0.887, 0.888];
  const bumpy = [0.87, 0.89, 0.86, 0.88, 0.875];
  it('held when every schedule ends higher and steadier', () => {
    const v = verdict(5, [
      view(c, 'constant', { val: bumpy, test: 0.87 }),
      view(c, 'inverse time, r = 1', { val: steady, test: 0.88 }),
      view(c, 'inverse time, r = 0.5', { val: steady, test: 0.885 }),
      view(c, 'cosine with warmup', { val: steady, test: 0.89 }),
    ]);
    expect(v?.status).toBe('held');
    expect(v?.sentence).toContain('Constant rate: 87.00% test accuracy, last-5-epoch validation range 3.00 points');
    expect(v?.sentence).toContain('cosine with warmup 89.00% (+2.00 points; last-5-epoch range 0.80 points)');
  });

  it('partly held when one schedule ends lower', () => {
    const v = verdict(5, [
      view(c, 'constant', { val: bumpy, test: 0.87 }),
      view(c, 'inverse time, r = 1', { val: steady, test: 0.86 }),
      view(c, 'inverse time, r = 0.5', { val: steady, test: 0.885 }),
      view(c, 'cosine with warmup', { val: steady, test: 0.89 }),
    ]);
    expect(v?.status).toBe('partly held');
    expect(v?.sentence).toMatch(/^Partly held: inverse time, r = 0.5 and cosine with warmup ended higher/);
  });
});

describe('6. batch normalization', () => {
  const c = claim(6);
  const runs = (bnDiverges: boolean) =>
    c.rows.map((row) => {
      const high = row.name.startsWith('sgd 1');
      const bn = row.name.endsWith('batch norm');
      if (high && !bn) return view(c, row.name, { diverged: true, val: [0.1] });
      if (high && bn && bnDiverges) return view(c, row.name, { diverged: true, val: [0.1] });
      return view(c, row.name, { test: bn ? 0.885 : 0.88, val: bn ? [0.86, 0.885] : [0.85, 0.87, 0.88] });
    });

  it('held when BatchNorm trains at the rate where the plain MLP diverges', () => {
    const v = verdict(6, runs(false));
    expect(v?.status).toBe('held');
    expect(v?.sentence).toMatch(
      /^Held: at the highest rate \(sgd 1\) the MLP diverged without BatchNormalization and reached 88\.50% with it/,
    );
    expect(v?.sentence).toContain('reached 88% validation accuracy in fewer epochs in 4 of 4 pairs');
  });

  it('did not hold when it diverges there too', () => {
    expect(verdict(6, runs(true))?.status).toBe('did not hold');
  });
});

describe('7. the EMA of the weights', () => {
  const c = claim(7);
  const runs = (withEma: number[]) => [
    ...[1, 2, 3].map((seed) => view(c, 'best, no EMA', { seed, test: 0.9 })),
    ...[1, 2, 3].map((seed, i) => view(c, 'best, EMA 0.99', { seed, test: withEma[i] as number })),
  ];

  it('held when the averaged weights test better, paired by seed; the curves are the same', () => {
    const v = verdict(7, runs([0.901, 0.902, 0.9]));
    expect(v?.status).toBe('held');
    expect(v?.sentence).toContain(
      'by +0.10 points on average (+0.10 points, +0.20 points, +0.00 points for seeds 1, 2, 3)',
    );
    expect(v?.sentence).toContain('the training curves with and without it are identical');
  });

  it('did not hold when they test worse', () => {
    expect(verdict(7, runs([0.899, 0.898, 0.9]))?.status).toBe('did not hold');
  });

  it('measures the EMAs on the stream row: a noisy ramp is smoothed more and followed later as beta grows', () => {
    let seed = 7;
    // a falling ramp plus uniform noise from an LCG: 8 epochs of 430 steps
    const stepLosses = Array.from({ length: 3440 }, (_, t) => {
      seed = (1664525 * seed + 1013904223) % 2 ** 32;
      return 1 - 0.0002 * t + 0.2 * (seed / 2 ** 32 - 0.5);
    });
    const stream = view(c, 'loss stream, 8 epochs', {});
    (stream.history as { stepLosses?: number[] }).stepLosses = stepLosses;
    const all = [...runs([0.901, 0.902, 0.9]), stream];
    const [table] = FINDINGS[7]?.({ claim: c, runs: all, lrFinds: [] }).tables ?? [];
    expect(table?.lead).toMatch(/^\*\*The smoothing, on a real stream: held\.\*\*/);
    // beta 0.99 with bias correction: the ramp's lag is the mean delay, 99 steps
    expect(table?.rows[3]?.slice(0, 2)).toEqual(['0.99', 'yes']);
    expect(table?.rows[3]?.[4]).toBe('99 steps');
    const [none] = FINDINGS[7]?.({ claim: c, runs: runs([0.9, 0.9, 0.9]), lrFinds: [] }).tables ?? [];
    expect(none?.lead).toContain('not measured yet');
  });
});

it('every claim of the plan has its findings, and every row name a verdict looks up exists in the plan', () => {
  for (const c of CLAIMS) expect(FINDINGS[c.id]).toBeDefined();
  const names = (id: number) => claim(id).rows.map((r) => r.name);
  expect(names(2)).toEqual(['batch (55,000)', 'mini-batch (128)', 'stochastic (1)']);
  expect(names(4)).toEqual(
    expect.arrayContaining(['sgd 1 (100x)', 'sgd 0.0001 (1/100)', 'adam 0.1 (100x)', 'adam 0.00001 (1/100)']),
  );
});
