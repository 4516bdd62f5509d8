/**
 * The non-finite-gradient contract on cpu and wasm: a bad step changes nothing, under 'throw' the first call
 * after it throws (even in a loop that never yields), and what a step reads back is its verdict and nothing else.
 */
import { countTensors, tf, useBackend } from '@opt/tensor';
import { countKernels, useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { made, mlp, read, variable, watchReads } from './guard.test.helpers.js';
import { Adam, NonFiniteGradientError, type Optimizer, RMSprop, SGD } from './index.js';

beforeAll(() => useTestBackend());
afterAll(async () => {
  tf.dispose(made.splice(0));
  await useBackend('cpu');
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });
    afterAll(() => {
      tf.dispose(made.splice(0));
    });

    it("'throw': the bad step keeps the weights and their average; the very next call throws, no await needed", async () => {
      const a = variable([1, 2], 'nf-a');
      const b = variable([3, 4], 'nf-b');
      const opt = new Adam({ learningRate: 0.1, useEma: true });
      const good = () => [tf.tensor1d([1, 1]), tf.tensor1d([1, 1])] as const;
      const [g1, g2] = good();
      opt.applyGradients([
        [g1, a],
        [g2, b],
      ]);
      const before = [read(a), read(b), read(opt.emaOf(a) as tf.Variable), read(opt.emaOf(b) as tf.Variable)];
      opt.applyGradients([
        [tf.tensor1d([1, 1]), a],
        [tf.tensor1d([Number.NaN, 1]), b],
      ]); // step 1: bad
      const valuesNow = () => [read(a), read(b), read(opt.emaOf(a) as tf.Variable), read(opt.emaOf(b) as tf.Variable)];
      expect(valuesNow()).toEqual(before);
      const [g3, g4] = good();
      expect(() =>
        opt.applyGradients([
          [g3, a],
          [g4, b],
        ]),
      ).toThrow(new NonFiniteGradientError(1, b.name).message);
      expect(valuesNow()).toEqual(before);
      const w = tf.variable(tf.scalar(1));
      made.push(w);
      expect(() => opt.minimize(() => tf.square(w) as tf.Scalar, [w])).toThrow(NonFiniteGradientError);
      await expect(opt.getState()).rejects.toThrow(`variable "${b.name}" at step 1`);
      opt.dispose();
    });

    it("'throw': await checkGradients() right after the bad step gives the answer", async () => {
      const a = variable([1, 2], 'nf-c');
      const opt = new SGD();
      opt.applyGradients([[tf.tensor1d([Number.POSITIVE_INFINITY, 0]), a]]);
      await expect(opt.checkGradients()).rejects.toThrow(`variable "${a.name}" at step 0`);
      expect(read(a)).toEqual([1, 2]);
      opt.dispose();
    });

    it("'throw': a good run passes checkGradients, and setState clears a bad step", async () => {
      const a = variable([1, 2], 'nf-d');
      const opt = new SGD({ learningRate: 0.5 });
      opt.applyGradients([[tf.tensor1d([1, 1]), a]]);
      await opt.checkGradients();
      const state = await opt.getState();
      opt.applyGradients([[tf.tensor1d([Number.NaN, 1]), a]]);
      await expect(opt.checkGradients()).rejects.toThrow(NonFiniteGradientError);
      opt.setState(state);
      opt.applyGradients([[tf.tensor1d([1, 1]), a]]);
      expect(read(a)).toEqual([0, 1]);
      opt.dispose();
    });

    it("'skip': a bad step changes nothing (weights, slots, average); training goes on; the count is reported", async () => {
      const a = variable([1, 2], 'nf-e');
      const opt = new SGD({ learningRate: 0.5, momentum: 0.5, nonFiniteGradients: 'skip', useEma: true });
      opt.applyGradients([[tf.tensor1d([Number.NaN, 0]), a]]);
      expect(read(a)).toEqual([1, 2]);
      expect(read(opt.slot(a, 'momentum') as tf.Variable)).toEqual([0, 0]);
      expect(read(opt.emaOf(a) as tf.Variable)).toEqual([1, 2]);
      opt.applyGradients([[tf.tensor1d([1, 1]), a]]);
      expect(read(a)).toEqual([0.5, 1.5]);
      opt.applyGradients([[tf.tensor1d([1, Number.NEGATIVE_INFINITY]), a]]);
      expect(read(a)).toEqual([0.5, 1.5]);
      await opt.checkGradients(); // does not throw under 'skip'
      expect(await opt.nonFiniteReport()).toEqual({ skippedSteps: 2, lastBadStep: 2, variableName: a.name });
      expect(opt.iterations).toBe(3);
      opt.dispose();
    });

    it('a bad gradient in one variable keeps every variable (the step is one unit)', () => {
      const a = variable([1, 2], 'nf-f');
      const b = variable([3, 4], 'nf-g');
      const opt = new RMSprop({ nonFiniteGradients: 'skip' });
      opt.applyGradients([
        [tf.tensor1d([1, 1]), a],
        [tf.tensor1d([1, Number.NaN]), b],
      ]);
      expect([read(a), read(b)]).toEqual([
        [1, 2],
        [3, 4],
      ]);
      opt.dispose();
    });

    it('leaks no tensor over good and bad steps, and dispose frees everything', async () => {
      const base = countTensors();
      for (const policy of ['throw', 'skip'] as const) {
        const a = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
        const opt = new Adam({ nonFiniteGradients: policy, useEma: true });
        const good = tf.tensor1d([1, 1]);
        const bad = tf.tensor1d([Number.NaN, 1]);
        opt.applyGradients([[good, a]]);
        await opt.checkGradients();
        const afterFirst = countTensors();
        opt.applyGradients([[good, a]]);
        opt.applyGradients([[bad, a]]);
        if (policy === 'skip') opt.applyGradients([[good, a]]);
        await opt.checkGradients().catch(() => undefined);
        expect(countTensors()).toBe(afterFirst);
        opt.dispose();
        tf.dispose([a, good, bad]);
      }
      expect(countTensors()).toBe(base);
    });
  });
}

describe('what a step reads back, and its kernels', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`on ${backend}, each checked step reads its verdict and nothing else: one number ('unchecked': nothing)`, async () => {
      await useBackend(backend);
      const { pairs, vars } = mlp();
      for (const policy of ['throw', 'skip', 'unchecked'] as const) {
        const opt = new Adam({ nonFiniteGradients: policy, useEma: true });
        opt.build(vars);
        const reads = watchReads(() => {
          opt.applyGradients(pairs);
          opt.applyGradients(pairs);
        });
        expect(reads).toEqual(policy === 'unchecked' ? [] : [1, 1]);
        opt.dispose();
      }
    });

    it(`on ${backend}, the verdict costs a reshape per matrix, one concat, one product by 0 and one sum`, async () => {
      await useBackend(backend);
      const { pairs, vars } = mlp();
      const n = vars.length;
      const matrices = vars.filter((v) => v.rank === 2).length;
      // every gradient flattened (a reshape per matrix) and joined; * 0; sum
      const verdict = matrices + 1 + 1 + 1;
      expect(count(new Adam({ nonFiniteGradients: 'unchecked' }), pairs)).toBe(12 * n);
      expect(count(new Adam(), pairs)).toBe(12 * n + verdict);
      expect(count(new Adam({ nonFiniteGradients: 'skip' }), pairs)).toBe(12 * n + verdict);
    });

    it(`on ${backend}, a NaN or an infinity anywhere in a gradient of any rank is seen`, async () => {
      await useBackend(backend);
      for (const shape of [[784, 256], [7, 13], [2, 3, 4], [5], []]) {
        const size = shape.reduce((a, d) => a * d, 1);
        const w = tf.tidy(() => tf.variable(tf.zeros(shape)));
        const opt = new SGD({ nonFiniteGradients: 'skip' });
        let steps = 0;
        for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          for (const at of new Set([0, size - 1, Math.floor(size / 2)])) {
            const values = new Float32Array(size).fill(0.5);
            values[at] = value;
            const g = tf.tensor(values, shape);
            opt.applyGradients([[g, w]]);
            steps += 1;
            g.dispose();
          }
        }
        expect(await opt.nonFiniteReport()).toMatchObject({ skippedSteps: steps });
        expect(Array.from(w.dataSync()).every((x) => x === 0)).toBe(true);
        opt.dispose();
        w.dispose();
      }
    });
  }
});

/** Kernels of one step after the first (which builds the slots). */
function count(opt: Optimizer, pairs: ReadonlyArray<readonly [tf.Tensor, tf.Variable]>): number {
  opt.applyGradients(pairs);
  const n = countKernels(() => opt.applyGradients(pairs));
  opt.dispose();
  return n;
}
