/**
 * Every preset against values derived by hand. With a constant gradient g and zero-initialized slots, Keras 3's
 * recurrences have closed forms (a geometric sum for momentum, `(1 - rho^t) g^2` for a moving average of g^2),
 * so the weights after t steps are known without running any update rule: an oracle that shares no code, and
 * no recurrence, with the implementation or with the step-by-step float64 oracle of presets.test.ts.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam, Adamax, AdamW, Nadam, type Optimizer, optimizerFromConfig, RMSprop, SGD } from './index.js';

beforeAll(() => useTestBackend());

const W0 = [1, -2, 0.25];
/** The same gradient every step: mixed signs and magnitudes. */
const G = [0.5, -3, 0.02];
const STEPS = 4;
/** The bar: Keras 3 to 1e-6 (weights are O(1), float32 carries about 7 digits). */
const TOLERANCE = 1e-6;

/** Runs `steps` updates with the constant gradient; the weights after each step. */
function run(optimizer: Optimizer, steps = STEPS): number[][] {
  const w = tf.variable(tf.tensor1d(W0));
  const g = tf.tensor1d(G);
  const seen: number[][] = [];
  for (let t = 0; t < steps; t++) {
    optimizer.applyGradients([[g, w]]);
    seen.push(Array.from(w.dataSync()));
  }
  tf.dispose([w, g]);
  return seen;
}

/** Weights after steps 1..STEPS from a per-step displacement `delta(s, g, w)` subtracted from each element. */
function expected(delta: (s: number, g: number, wBefore: number) => number): number[][] {
  const out: number[][] = [];
  let w = [...W0];
  for (let s = 1; s <= STEPS; s++) {
    w = w.map((wi, i) => wi - delta(s, G[i] as number, wi));
    out.push(w);
  }
  return out;
}

function expectClose(actual: number[][], wanted: number[][]): void {
  expect(actual.length).toBe(wanted.length);
  for (const [s, row] of actual.entries()) {
    for (const [i, value] of row.entries()) {
      const want = wanted[s]?.[i] as number;
      if (Math.abs(value - want) > TOLERANCE) {
        throw new Error(`step ${s + 1}, element ${i}: got ${value}, closed form ${want}`);
      }
    }
  }
}

const sumPowers = (m: number, s: number) => (1 - m ** s) / (1 - m); // 1 + m + ... + m^(s-1)

describe('presets against closed forms for a constant gradient (Keras 3 arithmetic)', () => {
  it('SGD: w_t = w0 - t lr g', () => {
    expectClose(
      run(new SGD({ learningRate: 0.1 })),
      expected((_s, g) => 0.1 * g),
    );
  });

  it('SGD momentum: v_s = -lr g (1 - m^s) / (1 - m), w += v', () => {
    const lr = 0.1;
    const m = 0.9;
    expectClose(
      run(new SGD({ learningRate: lr, momentum: m })),
      expected((s, g) => lr * g * sumPowers(m, s)),
    );
  });

  it('SGD Nesterov: w += m v_s - lr g', () => {
    const lr = 0.1;
    const m = 0.9;
    expectClose(
      run(new SGD({ learningRate: lr, momentum: m, nesterov: true })),
      expected((s, g) => m * lr * g * sumPowers(m, s) + lr * g),
    );
  });

  it('SGD with decoupled weight decay: w <- w - lr wd w, then the step', () => {
    const lr = 0.1;
    const wd = 0.5;
    expectClose(
      run(new SGD({ learningRate: lr, weightDecay: wd })),
      expected((_s, g, w) => lr * wd * w + lr * g),
    );
  });

  it('RMSprop: the average of g^2 is (1 - rho^s) g^2, epsilon inside the root', () => {
    const lr = 0.01;
    const rho = 0.9;
    const eps = 1e-7;
    expectClose(
      run(new RMSprop({ learningRate: lr, rho })),
      expected((s, g) => (lr * g) / Math.sqrt((1 - rho ** s) * g * g + eps)),
    );
  });

  it('RMSprop centered: denominator (1 - rho^s) rho^s g^2, the variance of a constant seen through the EMA', () => {
    const lr = 0.01;
    const rho = 0.9;
    const eps = 1e-7;
    expectClose(
      run(new RMSprop({ learningRate: lr, rho, centered: true })),
      expected((s, g) => (lr * g) / Math.sqrt((1 - rho ** s) * rho ** s * g * g + eps)),
    );
  });

  it('RMSprop momentum: the increments accumulate geometrically', () => {
    const lr = 0.01;
    const rho = 0.9;
    const m = 0.5;
    const eps = 1e-7;
    const increment = (s: number, g: number) => (lr * g) / Math.sqrt((1 - rho ** s) * g * g + eps);
    expectClose(
      run(new RMSprop({ learningRate: lr, rho, momentum: m })),
      expected((s, g) => {
        let total = 0;
        for (let k = 1; k <= s; k++) total += m ** (s - k) * increment(k, g);
        return total;
      }),
    );
  });

  it('Adam: step s moves lr g sqrt(1 - b2^s) / (sqrt(1 - b2^s) |g| + eps) ("epsilon hat")', () => {
    const lr = 0.01;
    const b2 = 0.999;
    const eps = 1e-3; // large enough that its place (Keras's epsilon hat) shows in the digits compared
    const delta = (s: number, g: number) =>
      (lr * g * Math.sqrt(1 - b2 ** s)) / (Math.sqrt(1 - b2 ** s) * Math.abs(g) + eps);
    expectClose(run(new Adam({ learningRate: lr, epsilon: eps })), expected(delta));
    // amsgrad keeps max(v_hat, v); with a constant gradient v only grows, so it is the same run.
    expectClose(run(new Adam({ learningRate: lr, epsilon: eps, amsgrad: true })), expected(delta));
  });

  it('AdamW: w <- w (1 - lr wd), then the Adam step', () => {
    const lr = 0.01;
    const wd = 0.004;
    const b2 = 0.999;
    const eps = 1e-7;
    expectClose(
      run(new AdamW({ learningRate: lr, weightDecay: wd })),
      expected(
        (s, g, w) => lr * wd * w + (lr * g * Math.sqrt(1 - b2 ** s)) / (Math.sqrt(1 - b2 ** s) * Math.abs(g) + eps),
      ),
    );
  });

  it('Adagrad: the accumulator is 0.1 + s g^2', () => {
    const lr = 0.1;
    const eps = 1e-7;
    expectClose(
      run(new Adagrad({ learningRate: lr })),
      expected((s, g) => (lr * g) / Math.sqrt(0.1 + s * g * g + eps)),
    );
  });

  it('Adamax: u = max(b2 u, |g|) = |g|, so every step is lr g / (|g| + eps)', () => {
    const lr = 0.01;
    const eps = 1e-3;
    expectClose(
      run(new Adamax({ learningRate: lr, epsilon: eps })),
      expected((_s, g) => (lr * g) / (Math.abs(g) + eps)),
    );
  });

  it("Nadam: Dozat's momentum cache u_s = b1 (1 - 0.5 * 0.96^s), with m_s = (1 - b1^s) g and v_hat = g^2", () => {
    const lr = 0.01;
    const b1 = 0.9;
    const eps = 1e-3;
    const u = (s: number) => b1 * (1 - 0.5 * 0.96 ** s);
    const product = (s: number) => {
      let p = 1;
      for (let k = 1; k <= s; k++) p *= u(k);
      return p;
    };
    expectClose(
      run(new Nadam({ learningRate: lr, epsilon: eps })),
      expected((s, g) => {
        const mHat = (u(s + 1) * (1 - b1 ** s) * g) / (1 - product(s + 1)) + ((1 - u(s)) * g) / (1 - product(s));
        return (lr * mHat) / (Math.abs(g) + eps);
      }),
    );
  });

  it('clipnorm: a gradient longer than c is scaled to length c before the step', () => {
    const lr = 0.1;
    const c = 1;
    const norm = Math.hypot(...G);
    expectClose(
      run(new SGD({ learningRate: lr, clipnorm: c })),
      expected((_s, g) => (lr * g * c) / norm),
    );
  });

  it('clipvalue: each element is clipped to [-c, c] before the step', () => {
    const lr = 0.1;
    const c = 0.4;
    expectClose(
      run(new SGD({ learningRate: lr, clipvalue: c })),
      expected((_s, g) => lr * Math.min(c, Math.max(-c, g))),
    );
  });
});

describe('excludeFromWeightDecay (Keras exclude_from_weight_decay)', () => {
  const lr = 0.1;
  const wd = 0.5;
  /** SGD with decay, one step on a kernel and a bias: the kernel decays, the bias only takes its gradient step. */
  function stepKernelAndBias(make: (kernel: tf.Variable, bias: tf.Variable) => Optimizer): [number, number] {
    const kernel = tf.variable(tf.tensor1d([2]), true, `dense_x${Math.random()}/kernel`);
    const bias = tf.variable(tf.tensor1d([2]), true, `dense_x${Math.random()}/bias`);
    const g = tf.tensor1d([1]);
    make(kernel, bias).applyGradients([
      [g, kernel],
      [g, bias],
    ]);
    const out: [number, number] = [kernel.dataSync()[0] as number, bias.dataSync()[0] as number];
    tf.dispose([kernel, bias, g]);
    return out;
  }
  const decayed = 2 - lr * wd * 2 - lr * 1;
  const undecayed = 2 - lr * 1;

  it('by name pattern, kept through clipping and through getConfig / optimizerFromConfig', () => {
    const options = { learningRate: lr, weightDecay: wd, excludeFromWeightDecay: ['bias$'], clipnorm: 10 };
    const [k, b] = stepKernelAndBias(() => new SGD(options));
    expect(k).toBeCloseTo(decayed, 6);
    expect(b).toBeCloseTo(undecayed, 6);
    const config = new SGD(options).getConfig();
    expect(config.config.excludeFromWeightDecay).toEqual(['bias$']);
    const [k2, b2] = stepKernelAndBias(() => optimizerFromConfig(JSON.parse(JSON.stringify(config))));
    expect([k2, b2]).toEqual([k, b]);
  });

  it('by variable or name through the method, before the first step only', () => {
    const [k, b] = stepKernelAndBias((_kernel, bias) => {
      const opt = new AdamW({ learningRate: lr, weightDecay: wd });
      opt.excludeFromWeightDecay({ variables: [bias] });
      return opt;
    });
    // AdamW's first step moves each element by about lr (sign of g); only the kernel also decays.
    expect(k).toBeCloseTo(2 - lr * wd * 2 - lr, 5);
    expect(b).toBeCloseTo(2 - lr, 5);

    const opt = new AdamW({ learningRate: lr, weightDecay: wd });
    opt.excludeFromWeightDecay({ varNames: ['gamma', 'beta'] });
    expect(opt.getConfig().config.excludeFromWeightDecay).toEqual(['gamma', 'beta']);
    const w = tf.variable(tf.zeros([1]));
    const g = tf.ones([1]);
    opt.applyGradients([[g, w]]);
    expect(() => opt.excludeFromWeightDecay({ varNames: ['bias'] })).toThrow(
      /AdamW\.excludeFromWeightDecay must be called before the optimizer is built/,
    );
    tf.dispose([w, g]);
    opt.dispose();
  });

  it('names a pattern that is not a regular expression, and a list that is not a list', () => {
    expect(() => new AdamW({ excludeFromWeightDecay: ['bias('] })).toThrow(
      /AdamW: `excludeFromWeightDecay` pattern "bias\(" is not a valid regular expression/,
    );
    expect(() => new AdamW({ excludeFromWeightDecay: 'bias' as never })).toThrow(
      /`excludeFromWeightDecay` must be an array of variable-name patterns/,
    );
  });
});
