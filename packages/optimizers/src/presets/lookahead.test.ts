/**
 * The `Lookahead` class against optax's `lookahead(sgd(lr, momentum), sync_period, slow_step_size)`
 * (optax/_src/lookahead.py), transcribed here on float64 numbers: Keras's SGD momentum equals optax's `sgd` at a
 * constant rate. Also its config, exact resume and refusals.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, getOptimizer, Lookahead, optimizerFromConfig, SGD } from '../index.js';
import { expectClose } from './reference.test.helpers.js';

beforeAll(() => useTestBackend());

const W0 = [0.5, -1.25, 2, 0.03, -0.7, 1.5];
/** A quadratic's gradient at `w` plus a wobble of step `s`. */
const gradAt = (w: ArrayLike<number>, s: number): number[] =>
  Array.from(Float32Array.from(Array.from(w, (wi, i) => (1 + i) * 0.4 * wi + Math.sin(1.7 * (s + 1) * (i + 1)) * 0.5)));

/** optax: `trace = g + momentum trace`, `u = -lr trace`; the lookahead sync of `_lookahead_update`. */
function optax(lr: number, momentum: number, syncPeriod: number, alpha: number) {
  let trace = W0.map(() => 0);
  const slow = W0.map((x) => Math.fround(x));
  let since = 0;
  return {
    slow,
    step(g: number[], fast: number[]): number[] {
      trace = trace.map((t, i) => (g[i] as number) + momentum * t);
      const sync = since === syncPeriod - 1 ? 1 : 0;
      const next = fast.map((f, i) => {
        const u = -lr * (trace[i] as number);
        const d = f + u - (slow[i] as number);
        slow[i] = (slow[i] as number) + alpha * sync * d;
        return f + u - sync * (1 - alpha) * d;
      });
      since = (since + 1) % syncPeriod;
      return next;
    },
  };
}

function step(opt: Lookahead, w: tf.Variable, s: number): void {
  const g = tf.tensor1d(gradAt(w.dataSync(), s));
  opt.applyGradients([[g, w]]);
  g.dispose();
}

describe("Lookahead (optax's lookahead as a class)", () => {
  it("follows optax's lookahead around sgd with momentum: fast and slow weights for 10 steps", () => {
    const opt = new Lookahead(new SGD({ learningRate: 0.05, momentum: 0.9 }), { syncPeriod: 3, slowStepSize: 0.5 });
    const reference = optax(0.05, 0.9, 3, 0.5);
    const w = tf.variable(tf.tensor1d(W0));
    for (let s = 0; s < 10; s++) {
      const fast = Array.from(w.dataSync());
      const want = reference.step(gradAt(fast, s), fast);
      step(opt, w, s);
      expectClose(w.dataSync(), want, 2e-6, `step ${s + 1}: fast`);
      expectClose(opt.slot(w, 'slow')?.dataSync() ?? [], reference.slow, 2e-6, `step ${s + 1}: slow`);
    }
    expect(opt.iterations).toBe(10);
    opt.dispose();
    w.dispose();
  });

  it("takes the inner optimizer's rate and options, and round-trips its config through optimizerFromConfig", () => {
    const opt = new Lookahead(new Adam({ learningRate: 0.02, clipnorm: 1, useEma: true }), { syncPeriod: 4 });
    expect(opt.learningRate).toBe(0.02);
    expect(opt.transform.slotNames).toEqual(['momentum', 'velocity', 'slow']);
    const config = opt.getConfig();
    expect(config).toEqual({
      className: 'Lookahead',
      config: {
        innerOptimizer: new Adam({ learningRate: 0.02, clipnorm: 1, useEma: true }).getConfig(),
        syncPeriod: 4,
        slowStepSize: 0.5,
        resetState: false,
      },
    });
    expect(getOptimizer(JSON.parse(JSON.stringify(config))).getConfig()).toEqual(config);
    const back = optimizerFromConfig(config);
    expect(back.constructor).toBe(Lookahead);
    expect(back.getConfig()).toEqual(config);
    for (const o of [opt, back]) o.dispose();
  });

  it('resumes exactly: 4 steps, getState, 5 more equal 9 uninterrupted bit for bit (slow weights included)', async () => {
    const make = () => new Lookahead(new Adam({ learningRate: 0.05 }), { syncPeriod: 3, resetState: true });
    const straight = make();
    const w1 = tf.variable(tf.tensor1d(W0));
    for (let s = 0; s < 9; s++) step(straight, w1, s);
    const first = make();
    const w2 = tf.variable(tf.tensor1d(W0));
    for (let s = 0; s < 4; s++) step(first, w2, s);
    const second = make();
    second.setState(await first.getState());
    for (let s = 4; s < 9; s++) step(second, w2, s);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w1.dataSync()));
    expect(Array.from(second.slot(w2, 'slow')?.dataSync() ?? [])).toEqual(
      Array.from(straight.slot(w1, 'slow')?.dataSync() ?? []),
    );
    for (const o of [straight, first, second]) o.dispose();
    tf.dispose([w1, w2]);
  });

  it("keeps the inner optimizer's non-finite policy: a NaN step writes no weight and no slow weight", async () => {
    for (const policy of ['throw', 'skip'] as const) {
      const opt = new Lookahead(new Adam({ nonFiniteGradients: policy }), { syncPeriod: 1 });
      const w = tf.variable(tf.tensor1d(W0));
      step(opt, w, 0);
      const before = [Array.from(w.dataSync()), Array.from(opt.slot(w, 'slow')?.dataSync() ?? [])];
      const bad = tf.tensor1d(W0.map((_, i) => (i === 2 ? Number.NaN : 1)));
      opt.applyGradients([[bad, w]]);
      expect([Array.from(w.dataSync()), Array.from(opt.slot(w, 'slow')?.dataSync() ?? [])]).toEqual(before);
      if (policy === 'throw') await expect(opt.checkGradients()).rejects.toThrow(/non-finite/i);
      else expect((await opt.nonFiniteReport()).skippedSteps).toBe(1);
      opt.dispose();
      tf.dispose([w, bad]);
    }
  });

  it('refuses bad arguments by name', () => {
    expect(() => new Lookahead(new SGD(), { syncPeriod: 0 })).toThrow(
      'Lookahead: `syncPeriod` must be a whole number >= 1, got 0',
    );
    expect(() => new Lookahead(new SGD(), { sync_period: 5 } as never)).toThrow(
      'Lookahead: unknown option `sync_period` (did you mean `syncPeriod`?)',
    );
    expect(() => new Lookahead(tf.train.sgd(0.1) as never)).toThrow(/`innerOptimizer` must be an optimizer of @opt/);
    expect(() => new Lookahead(new SGD({ gradientAccumulationSteps: 2 }))).toThrow(/accumulates gradients/);
  });
});
