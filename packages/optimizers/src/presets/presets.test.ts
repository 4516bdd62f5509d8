/**
 * Every preset against Keras 3's update rules written out on plain float64
 * numbers here (the oracle), and against TensorFlow.js's own tf.train
 * optimizers where their arithmetic coincides with Keras's.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop, SGD } from './index.js';

beforeAll(() => useTestBackend());

const W0 = [0.5, -1.25, 2, 0.03, -0.7];
/** Gradient of step s (0-based): deterministic, mixed signs and sizes. */
const grad = (s: number): number[] => W0.map((_, i) => Math.sin(1.3 * (s + 1) * (i + 1)) * (1 + i) * 0.8);

type Ref = (w: number[], g: number[], t: number, lr: number) => number[];

/** Keras 3's arithmetic per element; `t` is the 1-based step (local_step), state kept in closures. */
const keras = {
  sgd(momentum: number, nesterov: boolean): Ref {
    const v = W0.map(() => 0);
    return (w, g, _t, lr) =>
      w.map((wi, i) => {
        if (momentum === 0) return wi - (g[i] as number) * lr;
        v[i] = (v[i] as number) * momentum - (g[i] as number) * lr;
        return nesterov ? wi + ((v[i] as number) * momentum - (g[i] as number) * lr) : wi + (v[i] as number);
      });
  },
  rmsprop(rho: number, momentum: number, eps: number, centered: boolean): Ref {
    const vel = W0.map(() => 0);
    const avg = W0.map(() => 0);
    const mom = W0.map(() => 0);
    return (w, g, _t, lr) =>
      w.map((wi, i) => {
        const gi = g[i] as number;
        vel[i] = rho * (vel[i] as number) + (1 - rho) * gi * gi;
        let den: number;
        if (centered) {
          avg[i] = rho * (avg[i] as number) + (1 - rho) * gi;
          den = (vel[i] as number) - (avg[i] as number) ** 2 + eps;
        } else den = (vel[i] as number) + eps;
        const inc = (lr * gi) / Math.sqrt(den);
        if (momentum > 0) {
          mom[i] = momentum * (mom[i] as number) + inc;
          return wi - (mom[i] as number);
        }
        return wi - inc;
      });
  },
  adam(b1: number, b2: number, eps: number, amsgrad: boolean, wd = 0): Ref {
    const m = W0.map(() => 0);
    const v = W0.map(() => 0);
    const vh = W0.map(() => 0);
    return (w, g, t, lr) =>
      w.map((wi0, i) => {
        const wi = wi0 - wi0 * wd * lr; // Keras _apply_weight_decay, before the update
        const gi = g[i] as number;
        const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        m[i] = (m[i] as number) + (gi - (m[i] as number)) * (1 - b1);
        v[i] = (v[i] as number) + (gi * gi - (v[i] as number)) * (1 - b2);
        let vv = v[i] as number;
        if (amsgrad) {
          vh[i] = Math.max(vh[i] as number, vv);
          vv = vh[i] as number;
        }
        return wi - ((m[i] as number) * alpha) / (Math.sqrt(vv) + eps);
      });
  },
  adagrad(init: number, eps: number): Ref {
    const acc = W0.map(() => init);
    return (w, g, _t, lr) =>
      w.map((wi, i) => {
        const gi = g[i] as number;
        acc[i] = (acc[i] as number) + gi * gi;
        return wi - (lr * gi) / Math.sqrt((acc[i] as number) + eps);
      });
  },
  adamax(b1: number, b2: number, eps: number): Ref {
    const m = W0.map(() => 0);
    const u = W0.map(() => 0);
    return (w, g, t, lr) =>
      w.map((wi, i) => {
        const gi = g[i] as number;
        m[i] = (m[i] as number) + (gi - (m[i] as number)) * (1 - b1);
        u[i] = Math.max(b2 * (u[i] as number), Math.abs(gi));
        return wi - (lr * (m[i] as number)) / ((1 - b1 ** t) * ((u[i] as number) + eps));
      });
  },
  nadam(b1: number, b2: number, eps: number): Ref {
    const m = W0.map(() => 0);
    const v = W0.map(() => 0);
    let uProduct = 1; // Keras's _u_product, updated once per step before the variables
    let lastT = 0;
    return (w, g, t, lr) => {
      if (t !== lastT) {
        uProduct = uProduct * b1 * (1 - 0.5 * 0.96 ** t);
        lastT = t;
      }
      const uT = b1 * (1 - 0.5 * 0.96 ** t);
      const uT1 = b1 * (1 - 0.5 * 0.96 ** (t + 1));
      const uProductT1 = uProduct * uT1;
      return w.map((wi, i) => {
        const gi = g[i] as number;
        m[i] = (m[i] as number) + (gi - (m[i] as number)) * (1 - b1);
        v[i] = (v[i] as number) + (gi * gi - (v[i] as number)) * (1 - b2);
        const mHat = (uT1 * (m[i] as number)) / (1 - uProductT1) + ((1 - uT) * gi) / (1 - uProduct);
        const vHat = (v[i] as number) / (1 - b2 ** t);
        return wi - (mHat * lr) / (Math.sqrt(vHat) + eps);
      });
    };
  },
};

/** Runs `steps` steps of `opt` on W0 with grad(s), and the reference alongside; returns both trajectories. */
function run(
  opt: { applyGradients(p: Array<[tf.Tensor, tf.Variable]>): void; dispose(): void },
  ref: Ref,
  steps: number,
  lrAt: (step: number) => number,
): { got: number[][]; want: number[][] } {
  const v = tf.variable(tf.tensor1d(W0));
  let w = W0.slice();
  const got: number[][] = [];
  const want: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const g = tf.tensor1d(grad(s));
    opt.applyGradients([[g, v]]);
    g.dispose();
    w = ref(w, grad(s), s + 1, lrAt(s));
    got.push(Array.from(v.dataSync()));
    want.push(w.slice());
  }
  opt.dispose();
  v.dispose();
  return { got, want };
}

function expectClose(got: number[][], want: number[][], tol = 1e-6): void {
  got.forEach((row, s) => {
    row.forEach((x, i) => {
      const y = (want[s] as number[])[i] as number;
      if (!(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)))) {
        throw new Error(`step ${s} element ${i}: got ${x}, Keras arithmetic gives ${y} (|diff| ${Math.abs(x - y)})`);
      }
    });
  });
}

const cases: Array<[string, () => ReturnType<typeof run>]> = [
  ['SGD', () => run(new SGD({ learningRate: 0.1 }), keras.sgd(0, false), 5, () => 0.1)],
  ['SGD momentum', () => run(new SGD({ learningRate: 0.1, momentum: 0.9 }), keras.sgd(0.9, false), 5, () => 0.1)],
  [
    'SGD nesterov',
    () => run(new SGD({ learningRate: 0.1, momentum: 0.8, nesterov: true }), keras.sgd(0.8, true), 5, () => 0.1),
  ],
  ['RMSprop', () => run(new RMSprop({ learningRate: 0.01 }), keras.rmsprop(0.9, 0, 1e-7, false), 5, () => 0.01)],
  [
    'RMSprop centered momentum',
    () =>
      run(
        new RMSprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, centered: true, epsilon: 1e-3 }),
        keras.rmsprop(0.8, 0.5, 1e-3, true),
        5,
        () => 0.01,
      ),
  ],
  ['Adam', () => run(new Adam({ learningRate: 0.05 }), keras.adam(0.9, 0.999, 1e-7, false), 5, () => 0.05)],
  [
    'Adam amsgrad',
    () =>
      run(
        new Adam({ learningRate: 0.05, beta1: 0.8, beta2: 0.9, amsgrad: true }),
        keras.adam(0.8, 0.9, 1e-7, true),
        6,
        () => 0.05,
      ),
  ],
  ['AdamW', () => run(new AdamW({ learningRate: 0.05 }), keras.adam(0.9, 0.999, 1e-7, false, 0.004), 5, () => 0.05)],
  [
    'AdamW weightDecay 0.1',
    () =>
      run(new AdamW({ learningRate: 0.05, weightDecay: 0.1 }), keras.adam(0.9, 0.999, 1e-7, false, 0.1), 5, () => 0.05),
  ],
  ['Adagrad', () => run(new Adagrad({ learningRate: 0.1 }), keras.adagrad(0.1, 1e-7), 5, () => 0.1)],
  ['Adamax', () => run(new Adamax({ learningRate: 0.05 }), keras.adamax(0.9, 0.999, 1e-7), 5, () => 0.05)],
  ['Nadam', () => run(new Nadam({ learningRate: 0.05 }), keras.nadam(0.9, 0.999, 1e-7), 5, () => 0.05)],
];

describe('presets match Keras 3 arithmetic (float64 oracle, 1e-6)', () => {
  for (const [name, fn] of cases) {
    it(`${name}: one step and five`, () => {
      const { got, want } = fn();
      expectClose(got.slice(0, 1), want.slice(0, 1));
      expectClose(got, want);
    });
  }

  it('a schedule is read at iterations (0 on the first step)', () => {
    const seen: number[] = [];
    const schedule = (step: number) => {
      seen.push(step);
      return 0.1 / (1 + step);
    };
    const { got, want } = run(new Adam({ learningRate: schedule }), keras.adam(0.9, 0.999, 1e-7, false), 4, (s) =>
      schedule(s),
    );
    expectClose(got, want);
    expect(seen.filter((_, i) => i % 2 === 0)).toEqual([0, 1, 2, 3]);
  });

  it('learningRate set mid-run: Keras velocity keeps the old lr inside v', () => {
    const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const ref = keras.sgd(0.9, false);
    const v = tf.variable(tf.tensor1d(W0));
    let w = W0.slice();
    for (let s = 0; s < 4; s++) {
      if (s === 2) opt.learningRate = 0.02;
      const lr = s < 2 ? 0.1 : 0.02;
      expect(opt.learningRate).toBe(lr);
      const g = tf.tensor1d(grad(s));
      opt.applyGradients([[g, v]]);
      g.dispose();
      w = ref(w, grad(s), s + 1, lr);
    }
    expectClose([Array.from(v.dataSync())], [w]);
    opt.dispose();
    v.dispose();
  });

  it('weightDecay on SGD and each clipping mode', () => {
    const norm = (g: number[]) => Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    // clipnorm per variable: g * c / max(||g||, c)
    const clipnorm = (c: number): Ref => {
      const inner = keras.sgd(0, false);
      return (w, g, t, lr) =>
        inner(
          w,
          g.map((x) => (x * c) / Math.max(norm(g), c)),
          t,
          lr,
        );
    };
    let r = run(new SGD({ learningRate: 0.1, clipnorm: 0.5 }), clipnorm(0.5), 3, () => 0.1);
    expectClose(r.got, r.want);
    const clipvalue: Ref = (w, g, t, lr) =>
      keras.sgd(0, false)(
        w,
        g.map((x) => Math.min(0.3, Math.max(-0.3, x))),
        t,
        lr,
      );
    r = run(new SGD({ learningRate: 0.1, clipvalue: 0.3 }), clipvalue, 3, () => 0.1);
    expectClose(r.got, r.want);
    const decay: Ref = (w, g, t, lr) =>
      keras.sgd(0, false)(
        w.map((x) => x - x * 0.05 * lr),
        g,
        t,
        lr,
      );
    r = run(new SGD({ learningRate: 0.1, weightDecay: 0.05 }), decay, 3, () => 0.1);
    expectClose(r.got, r.want);
  });

  it('globalClipnorm scales all gradients by c / max(global norm, c)', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor2d([[3], [4]]));
    const opt = new SGD({ learningRate: 1, globalClipnorm: 2 });
    const ga = [3, 0];
    const gb = [0, 4]; // global norm 5
    opt.applyGradients([
      [tf.tensor1d(ga), a],
      [tf.tensor2d(gb, [2, 1]), b],
    ]);
    const s = 2 / 5;
    expectClose(
      [Array.from(a.dataSync()), Array.from(b.dataSync())],
      [
        [1 - 3 * s, 2],
        [3, 4 - 4 * s],
      ],
    );
    opt.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('presets match TensorFlow.js tf.train where the arithmetic coincides', () => {
  /** Runs ours and tfjs's on twin variables for `steps` steps and returns both. */
  function twin(ours: { applyGradients(p: Array<[tf.Tensor, tf.Variable]>): void }, theirs: tf.Optimizer, steps = 5) {
    const a = tf.variable(tf.tensor1d(W0));
    const b = tf.variable(tf.tensor1d(W0));
    for (let s = 0; s < steps; s++) {
      const g = tf.tensor1d(grad(s));
      ours.applyGradients([[g, a]]);
      theirs.applyGradients([{ name: b.name, tensor: g }]);
      g.dispose();
    }
    const out = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    a.dispose();
    b.dispose();
    theirs.dispose();
    return out as [number[], number[]];
  }

  it('SGD = tf.train.sgd', () => {
    const [x, y] = twin(new SGD({ learningRate: 0.1 }), tf.train.sgd(0.1));
    expectClose([x], [y], 1e-6);
  });

  it('SGD momentum at a constant learning rate = tf.train.momentum (accum = m accum + g; w -= lr accum)', () => {
    const [x, y] = twin(new SGD({ learningRate: 0.1, momentum: 0.9 }), tf.train.momentum(0.1, 0.9));
    expectClose([x], [y], 1e-6);
  });

  it('RMSprop (not centered, with and without momentum) = tf.train.rmsprop', () => {
    let [x, y] = twin(new RMSprop({ learningRate: 0.01 }), tf.train.rmsprop(0.01, 0.9, 0, 1e-7));
    expectClose([x], [y], 1e-6);
    [x, y] = twin(new RMSprop({ learningRate: 0.01, momentum: 0.5 }), tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7));
    expectClose([x], [y], 1e-6);
  });

  it('momentum after a learning-rate change: tfjs rescales the history, Keras does not', () => {
    const ours = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const theirs = tf.train.momentum(0.1, 0.9);
    const a = tf.variable(tf.tensor1d(W0));
    const b = tf.variable(tf.tensor1d(W0));
    const accum = W0.map(() => 0);
    let wTfjs = W0.slice();
    for (let s = 0; s < 4; s++) {
      const lr = s < 2 ? 0.1 : 0.02;
      if (s === 2) {
        ours.learningRate = 0.02;
        theirs.setLearningRate(0.02);
      }
      const g = tf.tensor1d(grad(s));
      ours.applyGradients([[g, a]]);
      theirs.applyGradients([{ name: b.name, tensor: g }]);
      g.dispose();
      // tfjs (and PyTorch): accum = m accum + g; w -= lr accum
      wTfjs = wTfjs.map((w, i) => {
        accum[i] = 0.9 * (accum[i] as number) + (grad(s)[i] as number);
        return w - lr * (accum[i] as number);
      });
    }
    expectClose([Array.from(b.dataSync())], [wTfjs]);
    const diff = Math.max(...Array.from(a.dataSync()).map((x, i) => Math.abs(x - (wTfjs[i] as number))));
    expect(diff).toBeGreaterThan(1e-3);
    theirs.dispose();
    ours.dispose();
    tf.dispose([a, b]);
  });

  it("Adam differs from tf.train.adam by epsilon's place (bias-corrected v under the root there)", () => {
    const eps = 1e-3; // large, so that the two forms visibly differ
    const [x, y] = twin(new Adam({ learningRate: 0.05, epsilon: eps }), tf.train.adam(0.05, 0.9, 0.999, eps), 1);
    // tfjs: w -= lr * mHat / (sqrt(vHat) + eps); Keras: w -= lr * mHat / (sqrt(vHat) + eps / sqrt(1 - beta2^t))
    const g = grad(0);
    const tfjsForm = W0.map((w, i) => w - (0.05 * (g[i] as number)) / (Math.abs(g[i] as number) + eps));
    const kerasForm = W0.map(
      (w, i) => w - (0.05 * (g[i] as number)) / (Math.abs(g[i] as number) + eps / Math.sqrt(0.001)),
    );
    expectClose([y], [tfjsForm]);
    expectClose([x], [kerasForm]);
  });
});
