/**
 * The optimizers on WebGL (SwiftShader in headless Chromium): Adam against the same step on cpu, and the non-finite
 * guard with its verdict on the device: no read during a step, a bad step writes nothing. The kernels themselves are
 * tested against the portable ops in `ops/webgl.browser.test.ts`.
 */
import { tf, useBackend } from '@opt/tensor';
import { countKernels } from '@opt/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { verdictMode } from './guard.js';
import { Adam, AdamW, NonFiniteGradientError, SGD } from './index.js';
import { expectCloseToCpu } from './webgl.test.helpers.js';

const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10], [3, 5, 7]];

/** Three Adam (or AdamW) steps from the same weights and gradients; the weights and slots after them. */
async function adamSteps(
  backend: 'cpu' | 'webgl',
  nonFiniteGradients: 'throw' | 'unchecked',
  decoupled = false,
): Promise<Float32Array[]> {
  await useBackend(backend);
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', 11 + i)));
  const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 31 + i));
  const opt = decoupled
    ? new AdamW({ learningRate: 0.01, weightDecay: 0.05, nonFiniteGradients })
    : new Adam({ learningRate: 0.01, nonFiniteGradients });
  for (let k = 0; k < 3; k++) opt.applyGradients(grads.map((g, i) => [g, vars[i] as tf.Variable] as const));
  await opt.checkGradients();
  const out = [
    ...vars.map((v) => v.dataSync() as Float32Array),
    ...vars.map((v) => opt.slot(v, 'velocity')?.dataSync() as Float32Array),
  ];
  opt.dispose();
  tf.dispose([...vars, ...grads]);
  return out;
}

describe('Adam on WebGL', () => {
  afterAll(() => useBackend('cpu'));

  it('keeps its verdict on the device, and its fused programs compute the step of the cpu backend (Adam, AdamW)', async () => {
    for (const [policy, decoupled] of [
      ['throw', false],
      ['unchecked', false],
      ['throw', true],
    ] as const) {
      const cpu = await adamSteps('cpu', 'unchecked', decoupled);
      const webgl = await adamSteps('webgl', policy, decoupled);
      expect(verdictMode()).toBe('device');
      expectCloseToCpu(webgl, cpu, 1e-5, `${policy}${decoupled ? ', AdamW' : ''}`);
    }
  });

  it('runs four programs per variable, and the guard adds three, not a dozen', async () => {
    await useBackend('webgl');
    const vars = shapes.slice(0, 6).map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', 11 + i)));
    // The gradients as the layers hand them over on WebGL: made by packed programs.
    const pairs = shapes
      .slice(0, 6)
      .map((s, i) => [tf.mul(tf.randomNormal(s, 0, 1, 'float32', 31 + i), 1), vars[i] as tf.Variable] as const);
    // Every program the backend runs, the packs and unpacks it inserts between kernels included.
    const backend = tf.backend() as unknown as { runWebGLProgram: (...args: unknown[]) => unknown };
    const run = backend.runWebGLProgram;
    let programs = 0;
    backend.runWebGLProgram = function (this: unknown, ...args: unknown[]) {
      programs += 1;
      return run.apply(this, args);
    };
    const counts: Record<string, { kernels: number; programs: number }> = {};
    try {
      for (const policy of ['throw', 'skip', 'unchecked'] as const) {
        const opt = new Adam({ nonFiniteGradients: policy });
        opt.applyGradients(pairs);
        await opt.checkGradients();
        programs = 0;
        const kernels = countKernels(() => opt.applyGradients(pairs));
        counts[policy] = { kernels, programs };
        await opt.checkGradients();
        opt.dispose();
      }
    } finally {
      backend.runWebGLProgram = run;
    }
    // Adam: three programs per variable and the write (applyUpdates), nothing packed or unpacked between them
    expect(counts.unchecked).toEqual({ kernels: 4 * 6, programs: 4 * 6 });
    for (const policy of ['throw', 'skip']) {
      // The guard: one program for the rows of every gradient, the record and the gate (reshapes are free), and
      // the decode of the record's read back if one starts in that step (every 16 steps, or after a second)
      const added = (counts[policy]?.programs as number) - 4 * 6;
      expect(added === 1 + 2 || added === 1 + 2 + 1, `${policy}: ${added} programs`).toBe(true);
    }
    tf.dispose([...vars, ...pairs.map((p) => p[0])]);
  });

  it("'throw': a bad step and the calls after it write nothing; the error names the step and the variable", async () => {
    await useBackend('webgl');
    const a = tf.variable(tf.tensor2d([[1, 2]]));
    const b = tf.variable(tf.tensor1d([3, 4]));
    const opt = new Adam({ learningRate: 0.1 });
    const step = (bad: boolean) =>
      opt.applyGradients([
        [tf.tensor2d([[1, 1]]), a],
        [tf.tensor1d([1, bad ? Number.POSITIVE_INFINITY : 1]), b],
      ]);
    step(false);
    await opt.checkGradients();
    const before = [Array.from(await a.data()), Array.from(await b.data())];
    step(true);
    step(false);
    await expect(opt.checkGradients()).rejects.toThrow(new NonFiniteGradientError(1, b.name).message);
    expect(opt.iterations).toBe(2);
    expect([Array.from(await a.data()), Array.from(await b.data())]).toEqual(before);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it("'skip' with Adam: the record programs find a bad element in any row of a matrix, and name its variable", async () => {
    await useBackend('webgl');
    const a = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [5, 3]));
    const b = tf.variable(tf.tensor1d([1, 2]));
    const opt = new Adam({ learningRate: 0.1, nonFiniteGradients: 'skip' });
    const clean = () =>
      opt.applyGradients([
        [tf.ones([5, 3]), a],
        [tf.ones([2]), b],
      ]);
    clean();
    await opt.nonFiniteReport();
    const before = [Array.from(await a.data()), Array.from(await b.data())];
    // Rows 0 to 4 of a packed [5, 1] column sit in three texels: x and z of the first two, x of the last.
    for (const [k, bad] of [
      [1, 'a'],
      [4, 'a'],
      [0, 'a'],
      [7, 'b'],
    ] as const) {
      const ga = Array.from({ length: 15 }, (_, i) => (bad === 'a' && i === 3 * k + 2 ? Number.NaN : 1));
      const gb = [1, bad === 'b' ? Number.NEGATIVE_INFINITY : 1];
      const step = opt.iterations;
      opt.applyGradients([
        [tf.tensor2d(ga, [5, 3]), a],
        [tf.tensor1d(gb), b],
      ]);
      const report = await opt.nonFiniteReport();
      expect(report.lastBadStep).toBe(step);
      expect(report.variableName).toBe(bad === 'a' ? a.name : b.name);
    }
    expect((await opt.nonFiniteReport()).skippedSteps).toBe(4);
    expect([Array.from(await a.data()), Array.from(await b.data())]).toEqual(before);
    clean();
    expect(Array.from(await b.data())).not.toEqual(before[1]);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it("more gradients than one program samples (joined first): 'throw' names the right one of 15", async () => {
    await useBackend('webgl');
    const vars = Array.from({ length: 15 }, (_, i) =>
      tf.variable(i % 2 === 0 ? tf.ones([3 + i, 2]) : tf.ones([1 + i]), true, `many-${i}`),
    );
    const opt = new Adam({ learningRate: 0.1 });
    const grads = (bad: number) =>
      vars.map((v, i) => {
        const values = new Float32Array(v.size).fill(1);
        if (i === bad) values[values.length - 1] = Number.NaN;
        return [tf.tensor(values, v.shape), v] as const;
      });
    opt.applyGradients(grads(-1));
    await opt.checkGradients();
    const before = await Promise.all(vars.map((v) => v.data()));
    opt.applyGradients(grads(13));
    await expect(opt.checkGradients()).rejects.toThrow(new NonFiniteGradientError(1, 'many-13').message);
    expect(await Promise.all(vars.map((v) => v.data()))).toEqual(before);
    opt.dispose();
    tf.dispose(vars);
  });

  it("'skip' with SGD (no fused programs: the where gate)", async () => {
    await useBackend('webgl');
    const a = tf.variable(tf.tensor1d([1, 2]));
    const opt = new SGD({ learningRate: 0.5, momentum: 0.5, nonFiniteGradients: 'skip' });
    opt.applyGradients([[tf.tensor1d([Number.NaN, 0]), a]]);
    opt.applyGradients([[tf.tensor1d([1, 1]), a]]);
    expect(Array.from(await a.data())).toEqual([0.5, 1.5]);
    expect(await opt.nonFiniteReport()).toEqual({ skippedSteps: 1, lastBadStep: 0, variableName: a.name });
    opt.dispose();
    a.dispose();
  });
});
