/**
 * Lamb against Keras 3's own test goldens (keras/src/optimizers/lamb_test.py) and its update rule
 * (keras/src/optimizers/lamb.py) transcribed on float64 numbers here.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  fromTransformation,
  Lamb,
  optimizerFromConfig,
  scaleByLamb,
  scaleByLearningRate,
  scaleByTrustRatio,
} from '../index.js';
import {
  expectKerasGolden,
  expectKerasSingleStep,
  expectKerasWeightDecay,
  expectReference,
  norm,
  type RefStep,
  zerosLike,
} from '../presets/reference.test.helpers.js';

beforeAll(() => useTestBackend());

/**
 * Keras's update_step, after the base optimizer's `w -= w * wd * lr`: `m += (g - m)(1 - b1)`;
 * `v += (g^2 - v)(1 - b2)`; `u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`;
 * `ratio = ‖w‖ / ‖u‖` (1 if either is 0); `w -= ratio * lr * u`.
 */
function kerasLamb(b1: number, b2: number, eps: number, wd = 0): RefStep {
  let m: number[][] | null = null;
  let v: number[][] | null = null;
  return (vars, grads, t, lr) => {
    m ??= zerosLike(vars);
    v ??= zerosLike(vars);
    vars.forEach((variable, k) => {
      const mk = m?.[k] as number[];
      const vk = v?.[k] as number[];
      const w = variable.values.map((x) => x - x * wd * lr);
      const u = w.map((_, i) => {
        const g = grads[k]?.[i] as number;
        mk[i] = (mk[i] as number) + (g - (mk[i] as number)) * (1 - b1);
        vk[i] = (vk[i] as number) + (g * g - (vk[i] as number)) * (1 - b2);
        return (mk[i] as number) / (1 - b1 ** t) / (Math.sqrt((vk[i] as number) / (1 - b2 ** t)) + eps);
      });
      const wNorm = norm(w);
      const uNorm = norm(u);
      const ratio = wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1;
      variable.values = w.map((x, i) => x - ratio * lr * (u[i] as number));
    });
  };
}

describe('Lamb (Keras 3)', () => {
  it("Keras's goldens: single step, the five-step golden, weight decay with exclusions", () => {
    expectKerasSingleStep(
      new Lamb({ learningRate: 0.5 }),
      [1, 2, 3, 4],
      [1, 6, 7, 2],
      [-0.3693, 0.6306, 1.6306, 2.6306],
    );
    expectKerasGolden(new Lamb(), [[0.999], [0.9982], [0.9974], [0.9965], [0.9955]]);
    expectKerasWeightDecay((o) => new Lamb(o));
  });

  it('matches the float64 transcription over 6 steps (defaults, other arguments, weight decay, a schedule)', () => {
    expectReference(new Lamb(), kerasLamb(0.9, 0.999, 1e-7));
    expectReference(
      new Lamb({ learningRate: 0.05, beta1: 0.5, beta2: 0.8, epsilon: 1e-3 }),
      kerasLamb(0.5, 0.8, 1e-3),
      { learningRate: () => 0.05 },
    );
    // Keras decays first, so the trust ratio sees the decayed weights
    expectReference(new Lamb({ learningRate: 0.05, weightDecay: 0.5 }), kerasLamb(0.9, 0.999, 1e-7, 0.5), {
      learningRate: () => 0.05,
    });
    const schedule = (step: number) => 0.05 / (1 + step);
    expectReference(new Lamb({ learningRate: schedule }), kerasLamb(0.9, 0.999, 1e-7), { learningRate: schedule });
  });

  it('the trust ratio is 1 when the weights are all zero', () => {
    const w = tf.variable(tf.zeros([3]));
    const opt = new Lamb({ learningRate: 0.1 });
    const g = tf.tensor1d([1, -2, 0]);
    opt.applyGradients([[g, w]]);
    // u = mHat / (|g| + eps) = sign(g) (to 1e-7); ratio 1
    expect(Array.from(w.dataSync()).map((x) => Number(x.toFixed(6)))).toEqual([-0.1, 0.1, 0]);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it("Keras's defaults; is chain(scaleByLamb(), scaleByTrustRatio(), scaleByLearningRate()); rebuilds from its config", () => {
    const opt = new Lamb();
    expect(opt.getConfig().config).toMatchObject({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    opt.dispose();
    const custom = fromTransformation(chain(scaleByLamb({ beta2: 0.9 }), scaleByTrustRatio(), scaleByLearningRate()), {
      learningRate: 0.05,
    });
    expectReference(custom, kerasLamb(0.9, 0.9, 1e-7), { learningRate: () => 0.05 });
    const rebuilt = optimizerFromConfig(new Lamb({ beta1: 0.8, epsilon: 1e-6 }).getConfig());
    expect(rebuilt).toBeInstanceOf(Lamb);
    expect(rebuilt.getConfig().config).toMatchObject({ beta1: 0.8, epsilon: 1e-6 });
    rebuilt.dispose();
  });

  it('refuses bad arguments and unknown options, naming them', () => {
    expect(() => new Lamb({ beta1: 1 })).toThrow('Lamb: `beta1` must be a number in [0, 1), got 1. Pass e.g. 0.9.');
    expect(() => scaleByLamb({ beta1: 1 })).toThrow(/^scaleByLamb: `beta1`/);
    expect(() => new Lamb({ epsilon: 0 })).toThrow('`epsilon` must be a number > 0, got 0');
    expect(() => new Lamb({ amsgrad: true } as never)).toThrow(/unknown option `amsgrad` \(an option of Adam, AdamW/);
  });
});
