/**
 * Prodigy against optax's arithmetic (optax/contrib/_prodigy.py, `prodigy`'s `update_fn`) transcribed here on float64
 * numbers: 16 steps on two parameters, whose sums (`numerator_acum`, the denominator) run over both. At each step
 * both sides see the same inputs, our float32 weights and the gradients of a quadratic there, so the comparison
 * measures the arithmetic alone (the first steps at `d = 1e-6` move the weights by about their float32 spacing, so
 * `params0 - params` is float32's on both sides); the reference's own state (moments, sums, `d`) stays float64.
 * Compared after every step: the weights, to 2e-6 of the tensor's largest element (as optax.test.ts), and, since
 * a step's change can be below the weights' float32 spacing, every slot and `d` itself, to 5e-6 of the tensor's
 * largest element (float32's unit roundoff is 6e-8; `d` is a ratio of two sums over every
 * element accumulated over the steps, and every slot is scaled by it): the old `d` in the epsilon term, a missing
 * bias correction or `dlr` for `d` in the safeguarded sum exceed these by far.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Prodigy } from '../index.js';

beforeAll(() => useTestBackend());

const SHAPES = [[2, 3], [4]];
const W0 = [
  [0.5, -1.25, 2, 0.03, -0.7, 1.5],
  [0.25, -0.5, 1, -2],
].map((w) => Array.from(Float32Array.from(w)));
/** The gradient at `w` (parameter k, step s): a quadratic's pull towards a target plus a fixed wobble; float32. */
const gradAt = (w: ArrayLike<number>, s: number, k: number): number[] =>
  Array.from(
    Float32Array.from(
      Array.from(w, (wi, i) => (1 + i) * 0.4 * (wi - 0.3 * (i - 2)) + Math.sin(1.7 * (s + 1) * (i + 1) + k) * 0.2),
    ),
  );

interface ProdigyReference {
  lr: (count: number) => number;
  betas: [number, number];
  beta3: number | null;
  eps: number;
  estimLr0: number;
  estimLrCoef: number;
  weightDecay: number;
  safeguardWarmup: boolean;
}

/** optax's prodigy: init_fn and update_fn over a list of flat parameters. */
function optax(o: ProdigyReference) {
  const [beta1, beta2] = o.betas;
  const beta3 = o.beta3 ?? beta2 ** 0.5;
  const zeros = () => W0.map((w) => w.map(() => 0));
  const expAvg = zeros();
  const expAvgSq = zeros();
  const gradSum = zeros();
  const params0 = W0.map((w) => w.slice());
  let estimLr = o.estimLr0;
  let numeratorWeighted = 0;
  let count = 0;
  return {
    d: () => estimLr,
    slots: () => ({ expAvg, expAvgSq, gradSum, numeratorWeighted: [numeratorWeighted] }),
    /** One update_fn at `params` (ours, float32), then apply_updates; returns the new params. */
    step(updates: number[][], params: number[][]): number[][] {
      const countInc = count + 1;
      const sched = o.lr(count);
      const bc = (1 - beta2 ** countInc) ** 0.5 / (1 - beta1 ** countInc);
      const dlr = estimLr * sched * bc;
      const dg = updates.map((g) => g.map((x) => estimLr * x));
      let numeratorAcum = 0; // tree_vdot(updates, params0 - params)
      updates.forEach((g, k) => {
        g.forEach((x, i) => {
          numeratorAcum += x * ((params0[k]?.[i] as number) - (params[k]?.[i] as number));
        });
      });
      let denominator = 0;
      dg.forEach((row, k) => {
        row.forEach((x, i) => {
          const ea = expAvg[k] as number[];
          const eas = expAvgSq[k] as number[];
          const s = gradSum[k] as number[];
          ea[i] = beta1 * (ea[i] as number) + (1 - beta1) * x;
          eas[i] = beta2 * (eas[i] as number) + (1 - beta2) * x * x;
          s[i] = beta3 * (s[i] as number) + ((o.safeguardWarmup ? estimLr : dlr) * x) / o.estimLr0;
          denominator += Math.abs(s[i] as number);
        });
      });
      numeratorWeighted = beta3 * numeratorWeighted;
      numeratorWeighted += (estimLr / o.estimLr0) * dlr * numeratorAcum;
      const lrEstimate = (o.estimLrCoef * numeratorWeighted) / denominator;
      estimLr = Math.max(estimLr, lrEstimate);
      const next = params.map((p, k) =>
        p.map((w, i) => {
          const u =
            -o.weightDecay * dlr * w -
            (dlr * (expAvg[k]?.[i] as number)) / (Math.sqrt(expAvgSq[k]?.[i] as number) + estimLr * o.eps);
          return w + u; // apply_updates
        }),
      );
      count = countInc;
      return next;
    },
  };
}

let worst = 0;

function compare(got: ArrayLike<number>, want: number[], what: string, tolerance = 5e-6): void {
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  want.forEach((y, i) => {
    const error = Math.abs((got[i] as number) - y) / scale;
    worst = Math.max(worst, error);
    if (!(error <= tolerance)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, optax's arithmetic ${y} (error ${error.toExponential(2)})`);
    }
  });
}

/** `steps` steps of `opt` and of the transcription on the same gradients; compares weights, slots and `d`. */
function replay(opt: Prodigy, reference: ReturnType<typeof optax>, what: string, steps = 16): number {
  const params = W0.map((w, k) => tf.variable(tf.tensor(w, SHAPES[k])));
  try {
    for (let s = 0; s < steps; s++) {
      const w = params.map((p) => Array.from(p.dataSync()));
      const g = w.map((values, k) => gradAt(values, s, k));
      const grads = g.map((values, k) => tf.tensor(values, SHAPES[k]));
      opt.applyGradients(grads.map((t, k) => [t, params[k] as tf.Variable] as const));
      tf.dispose(grads);
      const want = reference.step(g, w);
      const slots = reference.slots();
      params.forEach((p, k) => {
        const where = `${what}, step ${s + 1}, parameter ${k}`;
        compare(p.dataSync(), want[k] as number[], `${where}: weights`, 2e-6);
        for (const name of ['expAvg', 'expAvgSq', 'gradSum'] as const) {
          compare((opt.slot(p, name) as tf.Variable).dataSync(), slots[name][k] as number[], `${where}: ${name}`);
        }
        // d and the numerator's sum are global: every variable's copy holds them
        compare((opt.slot(p, 'estimLr') as tf.Variable).dataSync(), [reference.d()], `${where}: d`);
        const numerator = (opt.slot(p, 'numeratorWeighted') as tf.Variable).dataSync();
        compare(numerator, slots.numeratorWeighted, `${where}: numeratorWeighted`);
      });
    }
    return reference.d();
  } finally {
    opt.dispose();
    tf.dispose(params);
  }
}

const DEFAULTS: ProdigyReference = {
  lr: () => 1,
  betas: [0.9, 0.999],
  beta3: null,
  eps: 1e-8,
  estimLr0: 1e-6,
  estimLrCoef: 1,
  weightDecay: 0,
  safeguardWarmup: false,
};

describe("Prodigy: optax's contrib.prodigy, transcribed in float64", () => {
  it('defaults: lr 1, betas 0.9 / 0.999, beta3 sqrt(beta2), eps 1e-8, estim_lr0 1e-6; d grows from 1e-6', () => {
    const d = replay(new Prodigy(), optax(DEFAULTS), 'defaults');
    expect(d).toBeGreaterThan(1e-4); // d adapted, by orders of magnitude
  });

  it('weight decay 0.1, beta3 0.9, eps 1e-3, estim_lr_coef 0.5, estim_lr0 1e-3, betas 0.8 / 0.99', () => {
    const options = {
      beta1: 0.8,
      beta2: 0.99,
      beta3: 0.9,
      epsilon: 1e-3,
      estimLr0: 1e-3,
      estimLrCoef: 0.5,
      weightDecay: 0.1,
    };
    const reference = { ...DEFAULTS, betas: [0.8, 0.99] as [number, number], beta3: 0.9, eps: 1e-3 };
    replay(new Prodigy(options), optax({ ...reference, estimLr0: 1e-3, estimLrCoef: 0.5, weightDecay: 0.1 }), 'decay');
  });

  it('safeguardWarmup under a warmup schedule (read at the step, as optax reads it at count)', () => {
    const warmup = (step: number) => Math.min(1, (step + 1) / 5);
    replay(
      new Prodigy({ learningRate: warmup, safeguardWarmup: true }),
      optax({ ...DEFAULTS, lr: warmup, safeguardWarmup: true }),
      'safeguard',
    );
  });

  it('reports the worst error seen', () => {
    console.log(`Prodigy transcription: worst error ${worst.toExponential(2)} of the tensor's scale (bar 5e-6)`);
    expect(worst).toBeLessThan(5e-6);
  });
});
