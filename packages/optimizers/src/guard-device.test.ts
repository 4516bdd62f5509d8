/**
 * The verdict kept on the device, as on WebGL and WebGPU, run here on cpu and wasm (forced): no read during a step,
 * a bad step writes nothing through the gate, the error comes up once the record is read back.
 */
import { countTensors, tf, useBackend } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceVerdictMode } from './guard.js';
import { made, mlp, read, variable, watchReads } from './guard.test.helpers.js';
import { Adam, NonFiniteGradientError, SGD } from './index.js';

beforeAll(() => useTestBackend());
afterAll(async () => {
  tf.dispose(made.splice(0));
  await useBackend('cpu');
});

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
