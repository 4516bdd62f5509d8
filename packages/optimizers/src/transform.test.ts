/**
 * The composable core: each transformation does one thing, the learning rate is applied once and last, and a
 * chain that would apply it twice, or never, is refused with a message that says how to fix it.
 */
import { tf } from '@opt/tensor';
import { countKernels, useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addDecayedWeights,
  chain,
  clipByGlobalNorm,
  clipByNorm,
  fromTransformation,
  type GradientTransformationOptimizer,
  momentum,
  SGD,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  stateless,
  trace,
} from './index.js';

beforeAll(() => useTestBackend());

/** Loss 0.5 * sum(w^2) (gradient w) from w0, `steps` steps of `opt`; the losses after each step. */
function descend(opt: GradientTransformationOptimizer, steps = 20): number[] {
  const w = tf.variable(tf.tensor1d([2, -3, 0.5]));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const g = tf.clone(w);
    opt.applyGradients([[g, w]]);
    g.dispose();
    losses.push(0.5 * Array.from(w.dataSync()).reduce((a, x) => a + x * x, 0));
  }
  opt.dispose();
  w.dispose();
  return losses;
}

describe('the learning rate is applied once, last', () => {
  it('chain(momentum(0.9), scaleByLearningRate(lr)) is refused: momentum() already applied it (it used to climb)', () => {
    expect(() => chain(momentum(0.9), scaleByLearningRate(0.1))).toThrow(
      /scaleByLearningRate \(part 2\) comes after momentum \(part 1\), which already applied the learning rate.*use trace\(momentum\) before scaleByLearningRate\(\)/,
    );
  });

  it('chain(trace(0.9), scaleByLearningRate(lr)) descends, and equals tf.train.momentum', () => {
    const losses = descend(fromTransformation(chain(trace(0.9), scaleByLearningRate(0.05))), 30);
    expect(losses[29]).toBeLessThan(0.5 * (losses[0] as number));
    expect(losses.every((l) => Number.isFinite(l))).toBe(true);
    // tf.train.momentum: accum = m accum + g; w -= lr accum (PyTorch's SGD too)
    const a = tf.variable(tf.tensor1d([2, -3, 0.5]));
    const b = tf.variable(tf.tensor1d([2, -3, 0.5]));
    const ours = fromTransformation(chain(trace(0.9), scaleByLearningRate(0.05)));
    const theirs = tf.train.momentum(0.05, 0.9);
    for (let s = 0; s < 10; s++) {
      const g = tf.clone(a);
      const h = tf.clone(b);
      ours.applyGradients([[g, a]]);
      theirs.applyGradients([{ name: b.name, tensor: h }]);
      tf.dispose([g, h]);
    }
    Array.from(a.dataSync()).forEach((x, i) => {
      expect(x).toBeCloseTo(b.dataSync()[i] as number, 6);
    });
    ours.dispose();
    theirs.dispose();
    tf.dispose([a, b]);
  });

  it('trace at a constant learning rate is Keras SGD momentum (velocity form) up to rounding', () => {
    const composed = descend(fromTransformation(chain(trace(0.9), scaleByLearningRate(0.05))));
    const keras = descend(new SGD({ learningRate: 0.05, momentum: 0.9 }));
    composed.forEach((l, s) => {
      expect(Math.abs(l - (keras[s] as number))).toBeLessThan(1e-5 * Math.max(1, keras[s] as number));
    });
  });

  it('refuses a second learning rate, and a gradient transformation after it', () => {
    expect(() => chain(scaleByLearningRate(), scaleByLearningRate(0.1))).toThrow(
      'scaleByLearningRate (part 2) comes after scaleByLearningRate (part 1), which already applied the learning rate: scaleByLearningRate would apply it a second time',
    );
    expect(() => chain(scaleByLearningRate(), clipByNorm(1))).toThrow(
      'clipByNorm (part 2) comes after scaleByLearningRate (part 1), which already applied the learning rate: clipByNorm would transform weight updates, not gradients',
    );
    // nested chains count as the parts they hold
    expect(() => chain(chain(scaleByAdam(), scaleByLearningRate()), scaleByLearningRate())).toThrow(
      'which already applied the learning rate',
    );
  });

  it('decoupled weight decay changes the weights, not the updates: it fits anywhere', () => {
    const a = chain(scaleByAdam(), scaleByLearningRate(), addDecayedWeights(0.01));
    const b = chain(addDecayedWeights(0.01), scaleByAdam(), scaleByLearningRate());
    expect([a.role, b.role]).toEqual(['learningRate', 'learningRate']);
  });

  it('an optimizer refuses a transformation that never applies the learning rate (it would climb the loss)', () => {
    expect(() => fromTransformation(scaleByAdam())).toThrow(
      'GradientTransformationOptimizer: the transformation scaleByAdam never applies the learning rate',
    );
    expect(() => fromTransformation(chain(clipByGlobalNorm(1), scaleByRms()))).toThrow(
      'End it with scaleByLearningRate()',
    );
    const custom = stateless('mySign', {}, (grads) => ({ updates: grads.map((g) => tf.sign(g)) }));
    expect(() => fromTransformation(custom)).toThrow('never applies the learning rate');
    expect(() => fromTransformation(chain(custom, scaleByLearningRate(0.01)))).not.toThrow();
  });

  it("a block given its own learningRate multiplies it where Keras does: Keras's op order, one kernel fewer", () => {
    const w = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 3));
    const g = tf.randomNormal([4, 3], 0, 1, 'float32', 4);
    const count = (opt: GradientTransformationOptimizer) => {
      opt.applyGradients([[g, w]]);
      const n = countKernels(() => opt.applyGradients([[g, w]]));
      opt.dispose();
      return n;
    };
    const options = { nonFiniteGradients: 'unchecked' } as const;
    const keras = scaleByAdam({ learningRate: 'optimizer' });
    expect(keras.role).toBe('learningRate');
    // Keras's Adam: 7 kernels for the moments, 5 for the weight (m * alpha, sqrt, + eps, divide, add)
    expect(count(fromTransformation(keras, options))).toBe(12);
    // optax's recipe multiplies the rate on its own, last
    expect(count(fromTransformation(chain(scaleByAdam(), scaleByLearningRate()), options))).toBe(13);
    expect(() => chain(keras, scaleByLearningRate())).toThrow('which already applied the learning rate');
    tf.dispose([w, g]);
  });
});
