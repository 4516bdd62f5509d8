/**
 * The learning rate: a schedule's value is checked at every step before any weight changes, and a schedule
 * cannot be replaced by setting a number (Keras raises too).
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, addDecayedWeights, chain, fromTransformation, SGD, scaleByAdam, scaleByLearningRate } from './index.js';

beforeAll(() => useTestBackend());

const schedule = (values: Record<number, number>, fallback = 0.1) =>
  Object.assign((step: number) => values[step] ?? fallback, {
    config: { className: 'TestSchedule', config: {} },
  });

describe("a schedule's value is checked at each step", () => {
  for (const [bad, what] of [
    [Number.NaN, 'NaN'],
    [-1, '-1'],
    [-1e-12, '-1e-12'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ] as const) {
    it(`${what} at step 2 stops that step before any weight or slot changes`, () => {
      const w = tf.variable(tf.tensor1d([1, 2]));
      const opt = new Adam({ learningRate: schedule({ 2: bad }) });
      const g = tf.tensor1d([0.5, -0.5]);
      opt.applyGradients([[g, w]]);
      opt.applyGradients([[g, w]]);
      const before = [Array.from(w.dataSync()), Array.from((opt.slot(w, 'momentum') as tf.Variable).dataSync())];
      expect(() => opt.applyGradients([[g, w]])).toThrow(
        `Adam: the learning-rate schedule (TestSchedule) returned ${what} at step 2 (0-based); a learning rate must be a finite number >= 0. No weight was changed.`,
      );
      expect([Array.from(w.dataSync()), Array.from((opt.slot(w, 'momentum') as tf.Variable).dataSync())]).toEqual(
        before,
      );
      expect(opt.iterations).toBe(2);
      opt.dispose();
      tf.dispose([w, g]);
    });
  }

  it('0 is a rate (Keras: a warmup from 0, the end of a cosine decay): the step moves no weight, the slots and the count go on', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const opt = new Adam({ learningRate: schedule({ 0: 0 }) });
    const g = tf.tensor1d([0.5, -0.5]);
    opt.applyGradients([[g, w]]);
    expect(Array.from(w.dataSync())).toEqual([1, 2]);
    // Keras's Adam updates m = (1 - beta1) g on a step of rate 0 too.
    expect(Array.from((opt.slot(w, 'momentum') as tf.Variable).dataSync())).toEqual([
      Math.fround(0.1 * 0.5),
      Math.fround(-0.1 * 0.5),
    ]);
    expect(opt.iterations).toBe(1);
    expect(opt.learningRate).toBe(0.1);
    opt.applyGradients([[g, w]]);
    expect(Array.from(w.dataSync())[0]).toBeLessThan(1);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it("a transformation's own schedule is checked too", () => {
    const w = tf.variable(tf.tensor1d([1]));
    const g = tf.tensor1d([1]);
    const decay = fromTransformation(chain(addDecayedWeights(0.1, { learningRate: () => -1 }), scaleByLearningRate()));
    expect(() => decay.applyGradients([[g, w]])).toThrow(
      'addDecayedWeights: the learning-rate schedule (a function) returned -1 at step 0',
    );
    const own = fromTransformation(
      chain(
        scaleByAdam(),
        scaleByLearningRate(() => Number.NaN),
      ),
    );
    expect(() => own.applyGradients([[g, w]])).toThrow('returned NaN at step 0');
    expect(Array.from(w.dataSync())).toEqual([1]);
    tf.dispose([w, g]);
  });
});

describe('setting learningRate', () => {
  it('replaces a constant (what ReduceLROnPlateau does)', () => {
    const opt = new SGD({ learningRate: 0.1 });
    opt.learningRate = 0.05;
    expect(opt.learningRate).toBe(0.05);
    expect(opt.getConfig().config.learningRate).toBe(0.05);
  });

  it('throws when a schedule drives the optimizer, and says how to change a schedule; the schedule stays', () => {
    const opt = new Adam({ learningRate: schedule({}, 0.01) });
    expect(() => {
      opt.learningRate = 0.5;
    }).toThrow(
      /Adam: the learning rate follows a schedule \(TestSchedule\), so it cannot be set to 0\.5 \(Keras raises here too\)\. To change a schedule, build a new optimizer/,
    );
    expect(opt.learningRate).toBe(0.01);
    expect(opt.getConfig().config.learningRate).toEqual({ className: 'TestSchedule', config: {} });
  });

  it('setState of a constant-rate run onto a schedule-driven optimizer is refused instead of dropping the schedule', async () => {
    const w = tf.variable(tf.tensor1d([1]));
    const g = tf.tensor1d([1]);
    const constant = new Adam({ learningRate: 0.01 });
    constant.applyGradients([[g, w]]);
    const state = await constant.getState();
    const scheduled = new Adam({ learningRate: schedule({}, 0.01) });
    expect(() => scheduled.setState(state)).toThrow(
      'the state was saved with a constant learning rate (0.01) but this optimizer follows a schedule',
    );
    scheduled.applyGradients([[g, w]]); // the refused state left nothing behind
    expect(scheduled.iterations).toBe(1);
    scheduled.dispose();
    constant.dispose();
    tf.dispose([w, g]);
  });

  it("a state saved where a schedule is at 0 (a warmup's first step) restores: 0 is a schedule's rate, as in Keras", async () => {
    const w = tf.variable(tf.tensor1d([1]));
    const g = tf.tensor1d([1]);
    const saved = new Adam({ learningRate: schedule({ 0: 0, 1: 0 }) });
    saved.applyGradients([[g, w]]);
    const state = await saved.getState();
    expect(state.learningRate).toBe(0);
    const restored = new Adam({ learningRate: schedule({ 0: 0, 1: 0 }) });
    restored.setState(state);
    expect(restored.iterations).toBe(1);
    tf.dispose([w, g]);
    saved.dispose();
    restored.dispose();
  });
});
