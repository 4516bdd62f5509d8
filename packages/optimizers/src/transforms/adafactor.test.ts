/**
 * Adafactor against Keras 3's own test goldens (keras/src/optimizers/adafactor_test.py) and its update rule
 * (keras/src/optimizers/adafactor.py) transcribed on float64 numbers here, vectors and factored matrices.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adafactor, fromTransformation, optimizerFromConfig, scaleByAdafactor } from '../index.js';
import {
  expectKerasGolden,
  expectKerasSingleStep,
  expectKerasWeightDecay,
  expectReference,
  type RefStep,
  rms,
} from '../presets/reference.test.helpers.js';

beforeAll(() => useTestBackend());

interface AdafactorArgs {
  decay: number;
  eps1: number;
  eps2: number;
  clip: number;
  wd?: number;
}

/**
 * Keras's update_step, after the base optimizer's `w -= w * wd * lr`: `rho = min(lr, 1 / sqrt(t))`,
 * `alpha = max(eps2, rms(w)) * rho`, `q = g^2 + eps1`, `b = 1 - t^decay`; a matrix keeps `r` (row means of q) and
 * `c` (column means), `v = (r / mean(r)) c`; a vector `v = b v + (1 - b) q`; `u = g / sqrt(v)`,
 * `w -= alpha * u / max(1, rms(u) / clip)`.
 */
function kerasAdafactor(a: AdafactorArgs): RefStep {
  const v: number[][] = [];
  const r: number[][] = [];
  const c: number[][] = [];
  return (vars, grads, t, lr) => {
    const b = 1 - t ** a.decay;
    vars.forEach((variable, k) => {
      const w = variable.values.map((x) => x - x * (a.wd ?? 0) * lr);
      const g = grads[k] as number[];
      const q = g.map((x) => x * x + a.eps1);
      const alpha = Math.max(a.eps2, rms(w)) * Math.min(lr, 1 / Math.sqrt(t));
      let vk: number[];
      if (variable.shape.length >= 2) {
        const [rows, cols] = variable.shape as [number, number];
        const at = (i: number, j: number) => q[i * cols + j] as number;
        const rowMeans = Array.from(
          { length: rows },
          (_, i) => Array.from({ length: cols }, (_, j) => at(i, j)).reduce((x, y) => x + y) / cols,
        );
        const colMeans = Array.from(
          { length: cols },
          (_, j) => Array.from({ length: rows }, (_, i) => at(i, j)).reduce((x, y) => x + y) / rows,
        );
        r[k] = (r[k] ?? rowMeans.map(() => 0)).map((x, i) => b * x + (1 - b) * (rowMeans[i] as number));
        c[k] = (c[k] ?? colMeans.map(() => 0)).map((x, j) => b * x + (1 - b) * (colMeans[j] as number));
        const rk = r[k] as number[];
        const meanR = rk.reduce((x, y) => x + y) / rows;
        vk = q.map((_, n) => ((rk[Math.floor(n / cols)] as number) / meanR) * ((c[k] as number[])[n % cols] as number));
      } else {
        vk = (v[k] ?? q.map(() => 0)).map((x, i) => b * x + (1 - b) * (q[i] as number));
        v[k] = vk;
      }
      const u = g.map((x, i) => x / Math.sqrt(vk[i] as number));
      const scale = Math.max(1, rms(u) / a.clip);
      variable.values = w.map((x, i) => x - alpha * ((u[i] as number) / scale));
    });
  };
}

const DEFAULTS = { decay: -0.8, eps1: 1e-30, eps2: 1e-3, clip: 1 };

describe('Adafactor (Keras 3)', () => {
  it("Keras's goldens: single step of a vector and of a matrix, the five-step golden, weight decay", () => {
    expectKerasSingleStep(
      new Adafactor({ learningRate: 0.5 }),
      [1, 2, 3, 4],
      [1, 6, 7, 2],
      [-0.3693, 0.6307, 1.6307, 2.6307],
    );
    expectKerasSingleStep(
      new Adafactor({ learningRate: 0.5 }),
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 6],
        [7, 2],
      ],
      [
        [0.7007, -0.0081],
        [1.2492, 3.4407],
      ],
    );
    const golden = {
      learningRate: 0.5,
      beta2Decay: -0.65,
      epsilon1: 1e-15,
      epsilon2: 1e-4,
      clipThreshold: 0.9,
      relativeStep: false,
    };
    // biome-ignore format: Keras's table
    expectKerasGolden(new Adafactor(golden), [
      [0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55],
      [0.3031, 0.3026, 0.3025, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024],
      [0.1671, 0.1665, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663],
      [0.0923, 0.0916, 0.0915, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914],
      [0.0554, 0.0548, 0.0546, 0.0546, 0.0546, 0.0546, 0.0546, 0.0545, 0.0545, 0.0545],
    ]);
    expectKerasWeightDecay((o) => new Adafactor(o));
  });

  it('matches the float64 transcription over 6 steps (defaults, other arguments, weight decay, clipping active)', () => {
    expectReference(new Adafactor(), kerasAdafactor(DEFAULTS));
    expectReference(
      new Adafactor({ learningRate: 0.5, beta2Decay: -0.5, epsilon1: 1e-10, epsilon2: 1e-2, clipThreshold: 0.5 }),
      kerasAdafactor({ decay: -0.5, eps1: 1e-10, eps2: 1e-2, clip: 0.5 }),
      { learningRate: () => 0.5 },
    );
    expectReference(new Adafactor({ learningRate: 0.1, weightDecay: 0.3 }), kerasAdafactor({ ...DEFAULTS, wd: 0.3 }), {
      learningRate: () => 0.1,
    });
    // relativeStep changes nothing in Keras 3 (the cap min(lr, 1/sqrt(t)) is applied either way)
    expectReference(new Adafactor({ learningRate: 0.8, relativeStep: false }), kerasAdafactor(DEFAULTS), {
      learningRate: () => 0.8,
    });
  });

  it('keeps a row and a column per matrix, no full-size second moment; a vector keeps one per element', () => {
    const m = tf.variable(tf.ones([3, 4]));
    const b = tf.variable(tf.ones([4]));
    const opt = new Adafactor();
    opt.build([m, b]);
    const shapes = (v: tf.Variable) =>
      ['velocityRows', 'velocityColumns', 'velocity'].map((s) => opt.slot(v, s)?.shape);
    expect(shapes(m)).toEqual([[3], [4], []]);
    expect(shapes(b)).toEqual([[], [], [4]]);
    opt.dispose();
    tf.dispose([m, b]);
  });

  it("Keras's defaults; rebuilds from its config; the block stands alone", () => {
    const opt = new Adafactor();
    expect(opt.getConfig().config).toMatchObject({
      learningRate: 0.001,
      beta2Decay: -0.8,
      epsilon1: 1e-30,
      epsilon2: 1e-3,
      clipThreshold: 1,
      relativeStep: true,
    });
    opt.dispose();
    const rebuilt = optimizerFromConfig(JSON.parse(JSON.stringify(new Adafactor({ clipThreshold: 0.5 }).getConfig())));
    expect(rebuilt).toBeInstanceOf(Adafactor);
    expect(rebuilt.getConfig().config).toMatchObject({ clipThreshold: 0.5, epsilon1: 1e-30 });
    rebuilt.dispose();
    expectReference(fromTransformation(scaleByAdafactor(), { learningRate: 0.3 }), kerasAdafactor(DEFAULTS), {
      learningRate: () => 0.3,
    });
  });

  it('refuses bad arguments and unknown options, naming them', () => {
    expect(() => new Adafactor({ beta2Decay: 0.5 })).toThrow('`beta2Decay` must be a number <= 0, got 0.5');
    expect(() => new Adafactor({ clipThreshold: 0 })).toThrow('`clipThreshold` must be a number > 0, got 0');
    expect(() => new Adafactor({ relativeStep: 1 } as never)).toThrow('`relativeStep` must be true or false, got 1');
    expect(() => new Adafactor({ epsilon: 1e-7 } as never)).toThrow('Adafactor: unknown option `epsilon`');
  });
});
