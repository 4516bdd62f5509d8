/**
 * ScheduleFreeAdamW and ScheduleFreeSGD against optax's arithmetic (optax/contrib/_schedule_free.py: `schedule_free`
 * around `schedule_free_adamw`'s base `chain(scale_by_rms(b2, eps, eps_in_sqrt=False, bias_correction=True),
 * add_decayed_weights(wd), scale_by_learning_rate(lr))` or `schedule_free_sgd`'s `chain(add_decayed_weights(wd),
 * sgd(lr))`, the warmup `warmup_constant_schedule(0, lr, warmup_steps)`, and `schedule_free_eval_params`)
 * transcribed here on float64 numbers; and, with `weightLrPower` 0, against Keras 3's `ScheduleFreeAdamW.update_step`.
 * Both sides see the same gradients, those of a quadratic at our float32 weights, so the comparison measures the
 * arithmetic alone. Tolerance 5e-6 of the largest element of the tensor compared (float32's unit roundoff is 6e-8;
 * a step is some twenty rounded operations and `x` is recovered from `y` and `z` by a division): a wrong warmup
 * offset, a missing bias correction or the average's weight `1/t` for `maxLr^2 / sum` exceeds it by far.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScheduleFreeAdamW, type ScheduleFreeOptimizer, ScheduleFreeSGD } from '../index.js';

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
      Array.from(w, (wi, i) => (1 + i) * 0.4 * (wi - 0.3 * (i - 2)) + Math.sin(1.7 * (s + 1) * (i + 1) + k) * 0.5),
    ),
  );

interface Oracle {
  /** One step from the gradients; returns the new weights y. */
  step(grads: number[][]): number[][];
  /** optax's schedule_free_eval_params: x = (y - (1 - b1) z) / b1. */
  evalParams(): number[][];
  z: number[][];
  scalars(): { weightSum: number; maxLr: number };
}

/** optax's schedule_free(base, learning_rate, b1, weight_lr_power) with schedule_free_adamw's or _sgd's base. */
function optax(o: {
  lr: number;
  b1: number;
  power: number;
  warmup: number | null;
  wd: number;
  adam: { b2: number; eps: number } | null;
}): Oracle {
  // warmup_constant_schedule(init_value=0, peak_value=lr, warmup_steps): linear_schedule then constant
  const sched = (count: number) =>
    o.warmup === null ? o.lr : count >= o.warmup ? o.lr : (0 - o.lr) * (1 - count / o.warmup) + o.lr;
  let y = W0.map((w) => w.slice());
  const z = W0.map((w) => w.slice());
  const nu = W0.map((w) => w.map(() => 0));
  let weightSum = 0;
  let maxLr = 0;
  let stepCount = 1; // ScheduleFreeState.step_count starts at 1
  let baseCount = 0; // the base's own counts (scale_by_rms, scale_by_learning_rate) start at 0
  return {
    z,
    scalars: () => ({ weightSum, maxLr }),
    evalParams: () => y.map((yk, k) => yk.map((yi, i) => (yi - (1 - o.b1) * (z[k]?.[i] as number)) / o.b1)),
    step(grads) {
      const lr = sched(stepCount);
      maxLr = Math.max(maxLr, lr);
      stepCount += 1;
      const weight = maxLr ** o.power;
      const total = weightSum + weight;
      const ck = total === 0 ? 0 : weight / total; // nan_to_num(0 / 0) = 0
      const baseLr = sched(baseCount);
      baseCount += 1;
      y = y.map((yk, k) =>
        yk.map((yi, i) => {
          const g = grads[k]?.[i] as number;
          let u = g;
          if (o.adam !== null) {
            const n = (1 - o.adam.b2) * g * g + o.adam.b2 * (nu[k]?.[i] as number);
            (nu[k] as number[])[i] = n;
            u = (1 / (Math.sqrt(n / (1 - o.adam.b2 ** baseCount)) + o.adam.eps)) * g;
          }
          u = -baseLr * (u + o.wd * yi); // add_decayed_weights, then the learning rate
          const zOld = z[k]?.[i] as number;
          const zNew = zOld + u;
          (z[k] as number[])[i] = zNew;
          const x = (1 - ck) * ((yi - (1 - o.b1) * zOld) / o.b1) + ck * zNew;
          return o.b1 * x + (1 - o.b1) * zNew;
        }),
      );
      weightSum = total;
      return y;
    },
  };
}

/** Keras 3's ScheduleFreeAdamW.update_step (no warmup): velocity, momentum (z) and the weight 1 / t. */
function keras(o: { lr: number; b1: number; b2: number; eps: number }): Oracle {
  let y = W0.map((w) => w.slice());
  const z = W0.map((w) => w.slice()); // build: momentum = copy of the variable
  const v = W0.map((w) => w.map(() => 0));
  let t = 0;
  return {
    z,
    scalars: () => ({ weightSum: t, maxLr: o.lr }),
    evalParams: () => y.map((yk, k) => yk.map((yi, i) => (yi - (1 - o.b1) * (z[k]?.[i] as number)) / o.b1)),
    step(grads) {
      t += 1;
      y = y.map((yk, k) =>
        yk.map((yOld, i) => {
          const g = grads[k]?.[i] as number;
          const momentumOld = z[k]?.[i] as number;
          const vel = (v[k]?.[i] as number) + (g * g - (v[k]?.[i] as number)) * (1 - o.b2);
          (v[k] as number[])[i] = vel;
          const denom = Math.sqrt(vel / (1 - o.b2 ** t)) + o.eps;
          const momentum = momentumOld - (o.lr * g) / denom;
          (z[k] as number[])[i] = momentum;
          const weight = 1 / t;
          const xOld = (yOld - (1 - o.b1) * momentumOld) / o.b1;
          const xNew = (1 - weight) * xOld + weight * momentum;
          return (1 - o.b1) * momentum + o.b1 * xNew;
        }),
      );
      return y;
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
      throw new Error(
        `${what}[${i}]: got ${got[i]}, the reference's arithmetic ${y} (error ${error.toExponential(2)})`,
      );
    }
  });
}

/** `steps` steps of `opt` and the oracle on the same gradients; compares y, x (evalParams), z and the scalars. */
function replay(opt: ScheduleFreeOptimizer, oracle: Oracle, what: string, steps = 12): void {
  const params = W0.map((w, k) => tf.variable(tf.tensor(w, SHAPES[k])));
  try {
    for (let s = 0; s < steps; s++) {
      const g = params.map((p, k) => gradAt(p.dataSync(), s, k));
      const grads = g.map((values, k) => tf.tensor(values, SHAPES[k]));
      opt.applyGradients(grads.map((t, k) => [t, params[k] as tf.Variable] as const));
      tf.dispose(grads);
      const y = oracle.step(g);
      const x = opt.evalParams();
      const wantX = oracle.evalParams();
      params.forEach((p, k) => {
        const where = `${what}, step ${s + 1}, parameter ${k}`;
        compare(p.dataSync(), y[k] as number[], `${where}: y`);
        compare((x[k] as tf.Tensor).dataSync(), wantX[k] as number[], `${where}: x`);
        compare((opt.slot(p, 'z') as tf.Variable).dataSync(), oracle.z[k] as number[], `${where}: z`);
      });
      tf.dispose(x);
      const { weightSum, maxLr } = oracle.scalars();
      compare((opt.slot(params[1] as tf.Variable, 'weightSum') as tf.Variable).dataSync(), [weightSum], 'weightSum');
      compare((opt.slot(params[0] as tf.Variable, 'maxLr') as tf.Variable).dataSync(), [maxLr], 'maxLr');
    }
    // evaluating at x is not evaluating at y
    const x = opt.evalParams();
    const apart = Math.max(
      ...params.flatMap((p, k) =>
        Array.from(p.dataSync(), (v, i) => Math.abs(v - ((x[k] as tf.Tensor).dataSync()[i] as number))),
      ),
    );
    expect(apart).toBeGreaterThan(1e-3);
    tf.dispose(x);
  } finally {
    opt.dispose();
    tf.dispose(params);
  }
}

describe("ScheduleFreeAdamW: optax's schedule_free_adamw, transcribed in float64", () => {
  it('defaults: lr 0.0025, b1 0.9, b2 0.999, eps 1e-8, no weight decay, weight_lr_power 2, no warmup', () => {
    replay(
      new ScheduleFreeAdamW(),
      optax({ lr: 0.0025, b1: 0.9, power: 2, warmup: null, wd: 0, adam: { b2: 0.999, eps: 1e-8 } }),
      'defaults',
    );
  });

  it('a warmup of 5 steps (passed inside the run), weight decay, other betas and power', () => {
    const options = {
      learningRate: 0.1,
      beta1: 0.8,
      beta2: 0.99,
      epsilon: 1e-3,
      weightDecay: 0.05,
      warmupSteps: 5,
      weightLrPower: 1.5,
    };
    replay(
      new ScheduleFreeAdamW(options),
      optax({ lr: 0.1, b1: 0.8, power: 1.5, warmup: 5, wd: 0.05, adam: { b2: 0.99, eps: 1e-3 } }),
      'warmup',
    );
  });

  it("weightLrPower 0 is Keras 3's ScheduleFreeAdamW (the average's weight 1 / t)", () => {
    const options = { learningRate: 0.05, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightLrPower: 0 };
    replay(new ScheduleFreeAdamW(options), keras({ lr: 0.05, b1: 0.9, b2: 0.95, eps: 1e-8 }), 'Keras');
  });
});

describe("ScheduleFreeSGD: optax's schedule_free_sgd, transcribed in float64", () => {
  it('defaults: lr 1, b1 0.9, weight_lr_power 2, no warmup, no weight decay', () => {
    replay(new ScheduleFreeSGD(), optax({ lr: 1, b1: 0.9, power: 2, warmup: null, wd: 0, adam: null }), 'SGD');
  });

  it('a warmup of 3 steps, weight decay 0.1, b1 0.5, weight_lr_power 0', () => {
    const options = { learningRate: 0.2, beta1: 0.5, weightDecay: 0.1, warmupSteps: 3, weightLrPower: 0 };
    replay(
      new ScheduleFreeSGD(options),
      optax({ lr: 0.2, b1: 0.5, power: 0, warmup: 3, wd: 0.1, adam: null }),
      'SGD warmup',
    );
  });
});

describe('evaluating at the average', () => {
  it('swapToEval writes x (optax eval params), refuses a step, and swapToTrain gives y back bit for bit', () => {
    const params = W0.map((w, k) => tf.variable(tf.tensor(w, SHAPES[k])));
    const start = tf.memory().numTensors;
    const opt = new ScheduleFreeSGD({ learningRate: 0.3 });
    const oracle = optax({ lr: 0.3, b1: 0.9, power: 2, warmup: null, wd: 0, adam: null });
    for (let s = 0; s < 4; s++) {
      const g = params.map((p, k) => gradAt(p.dataSync(), s, k));
      const grads = g.map((values, k) => tf.tensor(values, SHAPES[k]));
      opt.applyGradients(grads.map((t, k) => [t, params[k] as tf.Variable] as const));
      tf.dispose(grads);
      oracle.step(g);
    }
    const y = params.map((p) => Array.from(p.dataSync()));
    opt.swapToEval();
    params.forEach((p, k) => {
      compare(p.dataSync(), oracle.evalParams()[k] as number[], `swapped parameter ${k}`);
    });
    opt.swapToEval(); // a second call changes nothing
    compare(params[0]?.dataSync() as Float32Array, oracle.evalParams()[0] as number[], 'swapped twice');
    const g = tf.zeros(SHAPES[0] as number[]);
    expect(() => opt.applyGradients([[g, params[0] as tf.Variable]])).toThrow(
      'ScheduleFreeSGD.applyGradients: the variables hold the averaged point x (swapToEval() was called); call swapToTrain()',
    );
    expect(() => opt.setState({} as never)).toThrow(
      'ScheduleFreeSGD.setState: the variables hold the averaged point x',
    );
    opt.swapToTrain();
    expect(params.map((p) => Array.from(p.dataSync()))).toEqual(y);
    opt.applyGradients([[g, params[0] as tf.Variable]]); // training goes on
    const before = tf.memory().numTensors;
    opt.swapToEval();
    expect(tf.memory().numTensors).toBe(before + 2); // y kept aside, one per variable
    opt.swapToTrain();
    expect(tf.memory().numTensors).toBe(before);
    opt.swapToEval();
    opt.dispose(); // frees the kept y too
    g.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(params);
  });

  it('reports the worst error seen', () => {
    console.log(`schedule-free transcriptions: worst error ${worst.toExponential(2)} of the tensor's scale (bar 5e-6)`);
    expect(worst).toBeLessThan(5e-6);
  });
});
