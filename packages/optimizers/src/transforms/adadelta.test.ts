/**
 * Adadelta against values worked out by hand from Keras 3's formulas (keras/src/optimizers/adadelta.py), an oracle
 * that shares no code with the implementation: with rho = 1/2, epsilon = 1 and a constant gradient the square roots
 * come out in closed form.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adadelta,
  chain,
  fromTransformation,
  optimizerFromConfig,
  scaleByAdadelta,
  scaleByLearningRate,
} from '../index.js';

beforeAll(() => useTestBackend());

function steps(opt: Adadelta, w0: number[], g: number[], n: number): { w: number[][]; slots: number[][][] } {
  const w = tf.variable(tf.tensor1d(w0));
  const grad = tf.tensor1d(g);
  const seen: number[][] = [];
  const slots: number[][][] = [];
  for (let t = 0; t < n; t++) {
    opt.applyGradients([[grad, w]]);
    seen.push(Array.from(w.dataSync()));
    slots.push(['accumulatedGrad', 'accumulatedDeltaVar'].map((s) => Array.from(opt.slot(w, s)?.dataSync() ?? [])));
  }
  opt.dispose();
  tf.dispose([w, grad]);
  return { w: seen, slots };
}

function close(got: number, want: number, tolerance = 1e-6): void {
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThan(tolerance * Math.max(1, Math.abs(want)));
}

describe('Adadelta (Keras 3)', () => {
  it('rho 1/2, epsilon 1, lr 1, g = 2: three steps by hand', () => {
    // ag: 0.5 * 0 + 0.5 * 4 = 2;   delta = sqrt(0 + 1) * 2 / sqrt(2 + 1) = 2 / sqrt(3);       ad = 0.5 * 4/3 = 2/3
    // ag: 0.5 * 2 + 2 = 3;         delta = sqrt(2/3 + 1) * 2 / sqrt(4) = sqrt(5/3);           ad = 1/3 + 5/6 = 7/6
    // ag: 0.5 * 3 + 2 = 3.5;       delta = sqrt(13/6) * 2 / sqrt(9/2) = (2/3) sqrt(13/3);     ad = 7/12 + 26/27 = 167/108
    const deltas = [2 / Math.sqrt(3), Math.sqrt(5 / 3), (2 / 3) * Math.sqrt(13 / 3)];
    const { w, slots } = steps(new Adadelta({ learningRate: 1, rho: 0.5, epsilon: 1 }), [0.5], [2], 3);
    let want = 0.5;
    deltas.forEach((d, t) => {
      want -= d;
      close(w[t]?.[0] as number, want);
    });
    [2, 3, 3.5].forEach((ag, t) => {
      close(slots[t]?.[0]?.[0] as number, ag);
    });
    [2 / 3, 7 / 6, 167 / 108].forEach((ad, t) => {
      close(slots[t]?.[1]?.[0] as number, ad);
    });
  });

  it("Keras's defaults: learningRate 0.001, rho 0.95, epsilon 1e-7; the first step is -lr sqrt(eps / (0.05 g^2 + eps)) g", () => {
    const opt = new Adadelta();
    expect(opt.getConfig().config).toMatchObject({ learningRate: 0.001, rho: 0.95, epsilon: 1e-7 });
    const g = [1, -4, 0.01];
    const { w } = steps(opt, [0, 0, 0], g, 1);
    g.forEach((gi, i) => {
      close(w[0]?.[i] as number, -0.001 * Math.sqrt(1e-7 / (0.05 * gi * gi + 1e-7)) * gi, 1e-5);
    });
  });

  it('is chain(scaleByAdadelta(), scaleByLearningRate()), rebuilds from its config, and checks its arguments', () => {
    const a = steps(new Adadelta({ learningRate: 0.5, rho: 0.9 }), [1, 2], [0.3, -0.7], 4).w;
    const custom = fromTransformation(chain(scaleByAdadelta({ rho: 0.9 }), scaleByLearningRate()), {
      learningRate: 0.5,
    });
    const b = steps(custom as Adadelta, [1, 2], [0.3, -0.7], 4).w;
    expect(b).toEqual(a);
    const rebuilt = optimizerFromConfig(new Adadelta({ rho: 0.9, epsilon: 1e-6 }).getConfig());
    expect(rebuilt).toBeInstanceOf(Adadelta);
    expect(rebuilt.getConfig().config).toMatchObject({ rho: 0.9, epsilon: 1e-6 });
    rebuilt.dispose();
    expect(() => new Adadelta({ rho: 1.5 })).toThrow('rho');
    expect(() => new Adadelta({ beta1: 0.9 } as never)).toThrow('unknown option `beta1`');
  });
});
