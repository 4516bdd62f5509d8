/**
 * `lookahead` against optax's `lookahead` (optax/_src/lookahead.py: `update_fn` and `_lookahead_update`) around
 * optax's `sgd(lr, momentum)` (`chain(trace(momentum), scale_by_learning_rate(lr))`), transcribed here on float64
 * numbers, with and without `reset_state`. At each step both sides see the same inputs, our float32 fast weights and
 * a quadratic's gradients there, so the comparison measures the arithmetic alone. Tolerance 2e-6 of the largest
 * element of the tensor compared (a few rounded operations a step): a sync one step early or late, or the fast
 * weights left where they were instead of jumping to the slow ones, exceeds it by far.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, chain, fromTransformation, lookahead, scaleByLearningRate, trace } from '../index.js';

beforeAll(() => useTestBackend());

const SHAPES = [[2, 3], [4]];
const W0 = [
  [0.5, -1.25, 2, 0.03, -0.7, 1.5],
  [0.25, -0.5, 1, -2],
].map((w) => Array.from(Float32Array.from(w)));
const gradAt = (w: ArrayLike<number>, s: number, k: number): number[] =>
  Array.from(
    Float32Array.from(
      Array.from(w, (wi, i) => (1 + i) * 0.4 * (wi - 0.3 * (i - 2)) + Math.sin(1.7 * (s + 1) * (i + 1) + k) * 0.5),
    ),
  );

/** optax.lookahead(optax.sgd(lr, momentum), sync_period, slow_step_size, reset_state) on flat parameters. */
function optax(o: { lr: number; momentum: number; syncPeriod: number; slowStepSize: number; resetState: boolean }) {
  let traces = W0.map((w) => w.map(() => 0));
  const slow = W0.map((w) => w.slice()); // LookaheadParams.init_synced
  let stepsSinceSync = 0;
  return {
    slow,
    /** Returns the new fast params from `fast` (ours) and the gradients. */
    step(grads: number[][], fast: number[][]): number[][] {
      traces = traces.map((t, k) => t.map((ti, i) => (grads[k]?.[i] as number) + o.momentum * ti));
      const updates = traces.map((t) => t.map((ti) => -o.lr * ti));
      const syncNext = stepsSinceSync === o.syncPeriod - 1 ? 1 : 0;
      const next = fast.map((f, k) =>
        f.map((fi, i) => {
          const u = updates[k]?.[i] as number;
          const lastDifference = fi + u - (slow[k]?.[i] as number);
          (slow[k] as number[])[i] = (slow[k]?.[i] as number) + o.slowStepSize * syncNext * lastDifference;
          return fi + (u - syncNext * (1 - o.slowStepSize) * lastDifference);
        }),
      );
      if (o.resetState && syncNext === 1) traces = traces.map((t) => t.map(() => 0)); // init_fn's zeros
      stepsSinceSync = (stepsSinceSync + 1) % o.syncPeriod;
      return next;
    },
  };
}

function compare(got: ArrayLike<number>, want: number[], what: string): void {
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  want.forEach((y, i) => {
    const error = Math.abs((got[i] as number) - y) / scale;
    if (!(error <= 2e-6)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, optax's arithmetic ${y} (error ${error.toExponential(2)})`);
    }
  });
}

describe("lookahead: optax's lookahead around sgd with momentum, transcribed in float64", () => {
  for (const resetState of [false, true]) {
    it(`sync every 3 steps, slow step 0.5, resetState ${resetState}: fast and slow weights for 10 steps`, () => {
      const o = { lr: 0.05, momentum: 0.9, syncPeriod: 3, slowStepSize: 0.5, resetState };
      const transform = lookahead(chain(trace(0.9), scaleByLearningRate()), {
        syncPeriod: 3,
        slowStepSize: 0.5,
        resetState,
      });
      const opt = fromTransformation(transform, { learningRate: 0.05 });
      const reference = optax(o);
      const params = W0.map((w, k) => tf.variable(tf.tensor(w, SHAPES[k])));
      for (let s = 0; s < 10; s++) {
        const w = params.map((p) => Array.from(p.dataSync()));
        const g = w.map((values, k) => gradAt(values, s, k));
        const grads = g.map((values, k) => tf.tensor(values, SHAPES[k]));
        opt.applyGradients(grads.map((t, k) => [t, params[k] as tf.Variable] as const));
        tf.dispose(grads);
        const want = reference.step(g, w);
        params.forEach((p, k) => {
          compare(p.dataSync(), want[k] as number[], `step ${s + 1}, parameter ${k}: fast`);
          compare(
            (opt.slot(p, 'slow') as tf.Variable).dataSync(),
            reference.slow[k] as number[],
            `step ${s + 1}: slow`,
          );
        });
        if ((s + 1) % 3 === 0) {
          // synchronized: the fast weights are the slow ones (up to rounding: optax adds `u - (1 - a) d` to them)
          const slow = Array.from((opt.slot(params[0] as tf.Variable, 'slow') as tf.Variable).dataSync());
          compare(params[0]?.dataSync() as Float32Array, slow, `step ${s + 1}: synchronized`);
        }
      }
      opt.dispose();
      tf.dispose(params);
    });
  }

  it("wraps a preset's whole step (new Adam({ clipnorm }).transform) and refuses what it cannot wrap", () => {
    const opt = fromTransformation(lookahead(new Adam({ clipnorm: 1 }).transform, { syncPeriod: 2 }), {
      learningRate: 0.01,
    });
    const v = tf.variable(tf.tensor1d([1, -1]));
    const g = tf.tensor1d([0.5, 2]);
    opt.applyGradients([[g, v]]);
    opt.applyGradients([[g, v]]);
    compare(v.dataSync(), Array.from((opt.slot(v, 'slow') as tf.Variable).dataSync()), 'synchronized');
    expect(opt.transform.slotNames).toEqual(['momentum', 'velocity', 'slow']);
    opt.dispose();
    tf.dispose([v, g]);
    expect(() => lookahead(trace(0.9))).toThrow('lookahead: the fast optimizer trace must apply the learning rate');
    expect(() => lookahead(scaleByLearningRate(), { syncPeriod: 0 })).toThrow(
      'lookahead: `syncPeriod` must be a whole number >= 1, got 0',
    );
    expect(() => lookahead(scaleByLearningRate(), { slowStepSize: 1.5 })).toThrow(
      'lookahead: `slowStepSize` must be in [0, 1], got 1.5',
    );
    expect(() => lookahead(scaleByLearningRate(), { sync_period: 5 } as never)).toThrow(
      'lookahead: unknown option `sync_period` (did you mean `syncPeriod`?)',
    );
  });
});
