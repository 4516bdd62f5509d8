/**
 * The non-finite-gradient contract on cpu and wasm: a bad step changes nothing, under 'throw' the first call
 * after it throws (even in a loop that never yields), and what a step reads back is its verdict and nothing else.
 */
import { countTensors, tf, useBackend } from '@opt/tensor';
import { countKernels, useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceVerdictMode } from './guard.js';
import { Adam, NonFiniteGradientError, type Optimizer, RMSprop, SGD } from './index.js';

const made: tf.Tensor[] = [];
beforeAll(() => useTestBackend());
afterAll(async () => {
  tf.dispose(made.splice(0));
  await useBackend('cpu');
});

const variable = (values: number[], name: string) => {
  const v = tf.variable(tf.tensor1d(values), true, `${name}-${tf.getBackend()}-${made.length}`);
  made.push(v);
  return v;
};
const read = (v: tf.Tensor) => Array.from(v.dataSync());

/**
 * Makes every read-back path throw while `run` runs, except `dataSync`, whose reads it returns (tensor sizes), and,
 * with `asyncReads`, the asynchronous `data()` (which waits for nothing), whose sizes it adds there.
 */
function watchReads(run: () => void, asyncReads?: number[]): number[] {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const targets: Array<[Record<string, unknown>, string]> = [
    [proto, 'dataSync'],
    [proto, 'data'],
    [proto, 'arraySync'],
    [proto, 'array'],
    [proto, 'bufferSync'],
    [engine, 'readSync'],
    [engine, 'read'],
  ];
  const saved = targets.map(([o, k]) => o[k]);
  const reads: number[] = [];
  let counted = false; // inside a counted dataSync, which reads through the engine's readSync
  targets.forEach(([o, k], i) => {
    o[k] = function (this: unknown, ...args: unknown[]) {
      if (counted && k === 'readSync') return (saved[i] as (...a: unknown[]) => unknown).apply(this, args);
      throw new Error(`read back with ${k} during a step`);
    };
  });
  if (asyncReads !== undefined) {
    const data = saved[1] as (this: tf.Tensor) => unknown;
    const read = saved[6] as (...a: unknown[]) => unknown;
    proto.data = function (this: tf.Tensor) {
      asyncReads.push(this.size);
      return data.call(this);
    };
    engine.read = read;
  }
  const dataSync = saved[0] as (this: tf.Tensor) => unknown;
  proto.dataSync = function (this: tf.Tensor) {
    reads.push(this.size);
    counted = true;
    try {
      return dataSync.call(this);
    } finally {
      counted = false;
    }
  };
  try {
    run();
  } finally {
    targets.forEach(([o, k], i) => {
      o[k] = saved[i];
    });
  }
  return reads;
}

/** Variables of a 784-256-128-10 MLP and gradients for them. */
function mlp(): { vars: tf.Variable[]; pairs: Array<readonly [tf.Tensor, tf.Variable]> } {
  const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', 11 + i)));
  const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 31 + i));
  made.push(...vars, ...grads);
  return { vars, pairs: grads.map((g, i) => [g, vars[i] as tf.Variable] as const) };
}

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

    it(`on ${backend}, the verdict costs a matrix product per matrix, one product for the vectors together, a concat and a sum`, async () => {
      await useBackend(backend);
      const { pairs, vars } = mlp();
      const n = vars.length;
      const matrices = vars.filter((v) => v.rank === 2).length;
      // g x zeros(c, 1) per matrix; concat, * 0 and reshape for the vectors; concat of the columns; sum
      const verdict = matrices + 3 + 1 + 1;
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

/**
 * The verdict kept on the device, as on WebGL and WebGPU, run here on cpu and wasm (forced): no read during a step,
 * a bad step writes nothing through the gate, the error comes up once the record is read back.
 */
describe('verdict on the device (the WebGL and WebGPU path, forced on cpu and wasm)', () => {
  beforeAll(() => forceVerdictMode('device'));
  afterAll(() => forceVerdictMode(null));

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`on ${backend}: a step reads nothing back; Adam with the gate open equals the read path`, async () => {
      await useBackend(backend);
      const { pairs, vars } = mlp();
      const start = vars.map((v) => tf.clone(v));
      made.push(...start);
      const results: number[][][] = [];
      for (const mode of ['device', 'read'] as const) {
        forceVerdictMode(mode);
        vars.forEach((v, i) => {
          v.assign(start[i] as tf.Tensor);
        });
        const opt = new Adam({ learningRate: 0.01 });
        const background: number[] = [];
        const reads = watchReads(() => {
          opt.applyGradients(pairs);
          opt.applyGradients(pairs);
        }, background);
        expect(reads).toEqual(mode === 'device' ? [] : [1, 1]);
        // device: the first step starts one read of the record [badStep, skipped, badRow, open], and nothing waits for it
        expect(background).toEqual(mode === 'device' ? [4] : []);
        await opt.checkGradients();
        results.push(vars.map(read));
        opt.dispose();
      }
      forceVerdictMode('device');
      expect(results[0]).toEqual(results[1]);
    });

    it(`on ${backend}, 'throw': the bad step and those after it write nothing; the error names it once read back`, async () => {
      await useBackend(backend);
      const a = variable([1, 2], 'dv-a');
      const b = variable([3, 4], 'dv-b');
      const opt = new Adam({ learningRate: 0.1, useEma: true });
      const step = (bad: boolean) =>
        opt.applyGradients([
          [tf.tensor1d([1, 1]), a],
          [tf.tensor1d([bad ? Number.NaN : 1, 1]), b],
        ]);
      step(false);
      await opt.checkGradients();
      const state = () => [
        read(a),
        read(b),
        read(opt.emaOf(b) as tf.Variable),
        read(opt.slot(b, 'velocity') as tf.Variable),
      ];
      const before = state();
      step(true); // step 1: bad
      step(false); // returns: the verdict has not been read back yet; the gate stays shut
      step(false);
      expect(state()).toEqual(before);
      await expect(opt.checkGradients()).rejects.toThrow(new NonFiniteGradientError(1, b.name).message);
      expect(opt.iterations).toBe(2); // as if the calls after the bad step had thrown
      expect(() => step(false)).toThrow(NonFiniteGradientError);
      expect(state()).toEqual(before);
      opt.dispose();
    });

    it(`on ${backend}, 'throw': a loop that yields gets the error at its next call`, async () => {
      await useBackend(backend);
      const a = variable([1, 2], 'dv-c');
      const opt = new SGD({ learningRate: 0.5 });
      opt.applyGradients([[tf.tensor1d([Number.POSITIVE_INFINITY, 0]), a]]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(() => opt.applyGradients([[tf.tensor1d([1, 1]), a]])).toThrow(`variable "${a.name}" at step 0`);
      expect(read(a)).toEqual([1, 2]);
      opt.dispose();
    });

    it(`on ${backend}, 'throw': a loop that yields gets the error within 16 steps of a later bad step`, async () => {
      await useBackend(backend);
      const a = variable([1, 2], 'dv-f');
      const opt = new SGD({ learningRate: 0.5 });
      const step = (g: number) => opt.applyGradients([[tf.tensor1d([g, 0]), a]]);
      step(1); // step 0 starts a read
      await new Promise((resolve) => setTimeout(resolve, 20));
      step(Number.NaN); // step 1: bad, no read started (one read per 16 steps or per second)
      let calls = 0;
      let error: unknown = null;
      while (error === null && calls < 40) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        calls += 1;
        try {
          step(1);
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(NonFiniteGradientError);
      expect((error as Error).message).toContain(`variable "${a.name}" at step 1`);
      expect(calls).toBeLessThanOrEqual(17);
      expect(read(a)).toEqual([0.5, 2]);
      opt.dispose();
    });

    it(`on ${backend}, 'skip': bad steps write nothing, good ones go on; the report counts and names them`, async () => {
      await useBackend(backend);
      const a = variable([1, 2], 'dv-d');
      const b = variable([5], 'dv-e');
      const opt = new SGD({ learningRate: 0.5, momentum: 0.5, nonFiniteGradients: 'skip', useEma: true });
      const step = (ga: number[], gb: number[]) =>
        opt.applyGradients([
          [tf.tensor1d(ga), a],
          [tf.tensor1d(gb), b],
        ]);
      step([1, Number.NaN], [0]);
      expect([read(a), read(opt.slot(a, 'momentum') as tf.Variable), read(opt.emaOf(a) as tf.Variable)]).toEqual([
        [1, 2],
        [0, 0],
        [1, 2],
      ]);
      step([1, 1], [0]);
      expect(read(a)).toEqual([0.5, 1.5]);
      step([1, 1], [Number.NEGATIVE_INFINITY]);
      expect(read(a)).toEqual([0.5, 1.5]);
      await opt.checkGradients();
      expect(await opt.nonFiniteReport()).toEqual({ skippedSteps: 2, lastBadStep: 2, variableName: b.name });
      expect(opt.iterations).toBe(3);
      const saved = await opt.getState();
      opt.setState(saved);
      expect(await opt.nonFiniteReport()).toMatchObject({ skippedSteps: 2 });
      opt.dispose();
    });

    it(`on ${backend}: no tensor leaks over good and bad steps, reads in flight and dispose`, async () => {
      await useBackend(backend);
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
        opt.applyGradients([[good, a]]);
        await opt.checkGradients().catch(() => undefined);
        expect(countTensors()).toBe(afterFirst);
        opt.dispose();
        tf.dispose([a, good, bad]);
      }
      expect(countTensors()).toBe(base);
    });
  }
});
