import { describe, expect, it } from 'vitest';
import {
  type CallbackModel,
  formatFloat,
  inverseTimeDecay,
  LearningRateScheduler,
  type Logs,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
} from './index.js';

function makeModel(learningRate: number): CallbackModel {
  return { optimizer: { learningRate }, stopTraining: false };
}

/** A hand-written fit loop: epoch begin, (training), epoch end with the epoch's logs. Returns the rate after each epoch. */
async function drive(
  callback: LearningRateScheduler | ReduceLROnPlateau,
  model: CallbackModel,
  epochLogs: Logs[],
): Promise<{ rates: number[]; logs: Logs[] }> {
  callback.setModel(model);
  if ('onTrainBegin' in callback) await callback.onTrainBegin();
  const rates: number[] = [];
  const seen: Logs[] = [];
  for (const [epoch, source] of epochLogs.entries()) {
    if ('onEpochBegin' in callback) await callback.onEpochBegin(epoch);
    const logs = { ...source };
    await callback.onEpochEnd(epoch, logs);
    seen.push(logs);
    rates.push(model.optimizer.learningRate);
  }
  return { rates, logs: seen };
}

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected) + 1e-18);
}

describe('formatFloat (Python repr)', () => {
  it.each([
    [0.001, '0.001'],
    [0.0001, '0.0001'],
    [1e-5, '1e-05'],
    [2.5e-5, '2.5e-05'],
    [1.5e-7, '1.5e-07'],
    [1, '1.0'],
    [0.1 * 0.1, '0.010000000000000002'],
    [0.001 / 3, '0.0003333333333333333'],
    [123.456, '123.456'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.5e300, '1.5e+300'],
    [-0.5, '-0.5'],
    [0, '0.0'],
    [Number.NaN, 'nan'],
    [Number.POSITIVE_INFINITY, 'inf'],
  ])('%s -> %s', (x, repr) => {
    expect(formatFloat(x)).toBe(repr);
  });
});

describe('LearningRateScheduler', () => {
  it("runs the chapter's inverse time decay, printing Keras's messages", async () => {
    const lines: string[] = [];
    const lrSchedule = (epoch: number, _lr: number) => {
      const initialLr = 1e-3;
      const decayRate = 1.0;
      return initialLr / (1.0 + decayRate * epoch);
    };
    const cb = new LearningRateScheduler(lrSchedule, { verbose: 1, log: (m) => lines.push(m) });
    const model = makeModel(1e-3);
    const { rates, logs } = await drive(cb, model, [
      { loss: 1 },
      { loss: 0.9 },
      { loss: 0.8 },
      { loss: 0.7 },
      { loss: 0.6 },
    ]);
    [1e-3, 5e-4, 1e-3 / 3, 2.5e-4, 2e-4].forEach((v, i) => {
      close(rates[i] as number, v);
      close(logs[i]?.learning_rate as number, v);
    });
    expect(logs[0]).toEqual({ loss: 1, learning_rate: 0.001 });
    expect(lines).toEqual([
      'Epoch 1: LearningRateScheduler setting learning rate to 0.001.',
      'Epoch 2: LearningRateScheduler setting learning rate to 0.0005.',
      'Epoch 3: LearningRateScheduler setting learning rate to 0.0003333333333333333.',
      'Epoch 4: LearningRateScheduler setting learning rate to 0.00025.',
      'Epoch 5: LearningRateScheduler setting learning rate to 0.0002.',
    ]);
  });

  it('gives the same rates as inverseTimeDecay used with the epoch as step', async () => {
    const schedule = inverseTimeDecay({ initialLearningRate: 1e-3, decaySteps: 1, decayRate: 1 });
    const model = makeModel(0.5);
    const { rates } = await drive(
      new LearningRateScheduler(schedule),
      model,
      Array.from({ length: 6 }, () => ({})),
    );
    rates.forEach((r, epoch) => {
      close(r, 1e-3 / (1 + epoch));
    });
  });

  it("reproduces Keras's docstring example (lr * exp(-0.1) after epoch 10; 0.00607 after 15 epochs)", async () => {
    const scheduler = (epoch: number, lr: number) => (epoch < 10 ? lr : lr * Math.exp(-0.1));
    const model = makeModel(0.01);
    await drive(
      new LearningRateScheduler(scheduler),
      model,
      Array.from({ length: 15 }, () => ({})),
    );
    expect(Math.round(model.optimizer.learningRate * 1e5) / 1e5).toBe(0.00607);
  });

  it('is quiet by default and passes the current rate to the schedule', async () => {
    const seen: Array<[number, number]> = [];
    const model = makeModel(0.2);
    await drive(
      new LearningRateScheduler((epoch, lr) => {
        seen.push([epoch, lr]);
        return lr / 2;
      }),
      model,
      [{}, {}, {}],
    );
    expect(seen).toEqual([
      [0, 0.2],
      [1, 0.1],
      [2, 0.05],
    ]);
  });

  it('leaves the rate of an epoch continued after its first steps (logs.initialStep > 0) as the restored optimizer has it', () => {
    const halve = (_epoch: number, lr: number) => lr / 2;
    const straight = makeModel(0.4);
    const a = new LearningRateScheduler(halve);
    a.setModel(straight);
    a.onEpochBegin(0);
    a.onEpochBegin(1); // epoch 1 begins: 0.1
    // A run stopped inside epoch 1 resumes with its optimizer restored at 0.1 and a fresh callback.
    const resumed = makeModel(0.1);
    const b = new LearningRateScheduler(halve);
    b.setModel(resumed);
    b.onEpochBegin(1, { initialStep: 3 });
    expect(resumed.optimizer.learningRate).toBe(straight.optimizer.learningRate);
    b.onEpochBegin(2);
    a.onEpochBegin(2);
    expect(resumed.optimizer.learningRate).toBe(straight.optimizer.learningRate);
    expect(straight.optimizer.learningRate).toBe(0.05);
  });

  it.each([
    [
      Number.NaN,
      /the schedule returned NaN for epoch 0 \(current learning rate 0\.1\); it must return a finite number >= 0/,
    ],
    [Number.POSITIVE_INFINITY, /returned Infinity for epoch 0/],
    [-0.01, /returned -0\.01 for epoch 0/],
    ['0.1', /returned "0\.1" for epoch 0/],
    [undefined, /returned undefined for epoch 0/],
  ])('rejects a schedule result of %s', (value, message) => {
    const model = makeModel(0.1);
    const cb = new LearningRateScheduler(() => value as number);
    cb.setModel(model);
    expect(() => cb.onEpochBegin(0)).toThrow(message);
    expect(model.optimizer.learningRate).toBe(0.1);
  });

  it('validates its arguments and its model', () => {
    expect(() => new LearningRateScheduler(0.1 as never)).toThrow(
      /^LearningRateScheduler: `schedule` must be a function \(epoch, lr\) => number, got 0\.1/,
    );
    expect(() => new LearningRateScheduler(() => 0.1, { verbose: 2 as never })).toThrow(
      /`verbose` must be 0 \(quiet\) or 1 \(print updates\), got 2/,
    );
    expect(() => new LearningRateScheduler(() => 0.1, { log: 'stdout' as never })).toThrow(/`log` must be a function/);
    expect(() => new LearningRateScheduler(() => 0.1, { verbos: 1 } as never)).toThrow(/unknown option `verbos`/);
    const cb = new LearningRateScheduler(() => 0.1);
    expect(() => cb.onEpochBegin(0)).toThrow(/no model; call setModel/);
    cb.setModel({ optimizer: {} as never, stopTraining: false });
    expect(() => cb.onEpochBegin(0)).toThrow(/optimizer must have a numeric `learningRate`, got undefined/);
    cb.setModel(makeModel(0.1));
    expect(() => cb.onEpochBegin(-1)).toThrow(/`epoch` must be an integer >= 0 \(epochs are 0-based\), got -1/);
  });
});

function plateau(options: ReduceLROnPlateauOptions) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const cb = new ReduceLROnPlateau({ ...options, log: (m) => lines.push(m), warn: (m) => warnings.push(m) });
  return { cb, lines, warnings };
}

const losses = (...values: number[]): Logs[] => values.map((v) => ({ loss: v * 0.9, val_loss: v }));

describe('ReduceLROnPlateau', () => {
  it('has Keras defaults', () => {
    expect(new ReduceLROnPlateau().getConfig()).toEqual({
      monitor: 'val_loss',
      factor: 0.1,
      patience: 10,
      verbose: 0,
      mode: 'auto',
      minDelta: 1e-4,
      cooldown: 0,
      minLr: 0,
      stateKey: 'ReduceLROnPlateau',
    });
    expect(new ReduceLROnPlateau({ stateKey: 'plateau2' }).stateKey).toBe('plateau2');
    expect(() => new ReduceLROnPlateau({ stateKey: '' })).toThrow(
      'ReduceLROnPlateau: `stateKey` must be a non-empty string, got "".',
    );
  });

  it('reduces after `patience` epochs without improvement, logging the rate each epoch ran with', async () => {
    const { cb, lines } = plateau({ factor: 0.5, patience: 2, verbose: 1 });
    const model = makeModel(0.1);
    const { rates, logs } = await drive(cb, model, losses(1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8));
    // epoch 0: best 1; 1: best 0.9; 2: wait 1; 3: wait 2 -> 0.05; 4: wait 1; 5: wait 2 -> 0.025; 6: improvement.
    expect(rates).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(logs.map((l) => l.learning_rate)).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025]);
    expect(lines).toEqual([
      'Epoch 4: ReduceLROnPlateau reducing learning rate to 0.05.',
      'Epoch 6: ReduceLROnPlateau reducing learning rate to 0.025.',
    ]);
    expect(cb.best).toBe(0.8);
    expect(cb.wait).toBe(0);
  });

  it("prints Keras's float repr of the new rate; patience 0 reduces on the first flat epoch", async () => {
    const { cb, lines } = plateau({ patience: 0, verbose: 1 });
    const { rates } = await drive(cb, makeModel(0.1), losses(1, 1));
    expect(rates).toEqual([0.1, 0.1 * 0.1]);
    expect(lines).toEqual(['Epoch 2: ReduceLROnPlateau reducing learning rate to 0.010000000000000002.']);
  });

  it('counts changes smaller than minDelta (absolute) as no improvement', async () => {
    const { cb } = plateau({ patience: 3, minDelta: 0.01, factor: 0.5 });
    const model = makeModel(1);
    const { rates } = await drive(cb, model, losses(1, 0.995, 0.991, 0.9905, 0.98));
    // best stays 1 until 0.98 < 1 - 0.01: three epochs of waiting -> reduce at epoch 3.
    expect(rates).toEqual([1, 1, 1, 0.5, 0.5]);
    expect(cb.best).toBe(0.98);
    const strict = plateau({ patience: 3, minDelta: 0, factor: 0.5 });
    const { rates: strictRates } = await drive(strict.cb, makeModel(1), losses(1, 0.995, 0.991, 0.9905, 0.98));
    expect(strictRates).toEqual([1, 1, 1, 1, 1]);
  });

  it('waits out the cooldown after each reduction', async () => {
    const flat = losses(1, 1, 1, 1, 1, 1, 1);
    const none = plateau({ patience: 1, cooldown: 0, factor: 0.5 });
    expect((await drive(none.cb, makeModel(1), flat)).rates).toEqual([1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]);
    const cool = plateau({ patience: 1, cooldown: 2, factor: 0.5 });
    // 1: reduce, counter 2; 2: counter 1, in cooldown; 3: counter 0, wait 1 -> reduce; 4, 5 likewise.
    expect((await drive(cool.cb, makeModel(1), flat)).rates).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
    const longer = plateau({ patience: 2, cooldown: 3, factor: 0.5 });
    // 2: reduce, counter 3; 3: 2; 4: 1; 5: 0 then wait 1; 6: wait 2 -> reduce.
    expect((await drive(longer.cb, makeModel(1), losses(1, 1, 1, 1, 1, 1, 1, 1))).rates).toEqual([
      1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25,
    ]);
  });

  it('clamps at minLr and then stops reducing (and printing)', async () => {
    const { cb, lines } = plateau({ patience: 1, factor: 0.1, minLr: 0.005, verbose: 1 });
    const { rates } = await drive(cb, makeModel(0.1), losses(1, 1, 1, 1, 1));
    close(rates[1] as number, 0.01);
    expect(rates.slice(2)).toEqual([0.005, 0.005, 0.005]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('Epoch 3: ReduceLROnPlateau reducing learning rate to 0.005.');
    // A rate stored as float32 (as Keras stores it) is not reduced again either.
    const f32 = plateau({ patience: 1, factor: 0.5, minLr: 0.001 });
    const model = makeModel(Math.fround(0.001));
    expect((await drive(f32.cb, model, losses(1, 1, 1))).rates).toEqual([
      Math.fround(0.001),
      Math.fround(0.001),
      Math.fround(0.001),
    ]);
  });

  it("maximizes a monitor containing 'acc' in auto mode", async () => {
    const logs: Logs[] = [0.5, 0.6, 0.6, 0.55, 0.7].map((a) => ({ val_accuracy: a }));
    const auto = plateau({ monitor: 'val_accuracy', patience: 2, factor: 0.5 });
    expect(auto.cb.direction).toBe('max');
    expect((await drive(auto.cb, makeModel(1), logs)).rates).toEqual([1, 1, 1, 0.5, 0.5]);
    expect(auto.cb.best).toBe(0.7);
    // Forced to 'min', rising accuracy is never an improvement after the first epoch.
    const min = plateau({ monitor: 'val_accuracy', patience: 2, factor: 0.5, mode: 'min' });
    expect((await drive(min.cb, makeModel(1), logs)).rates).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(new ReduceLROnPlateau({ monitor: 'acc' }).direction).toBe('max');
    expect(new ReduceLROnPlateau({ monitor: 'loss' }).direction).toBe('min');
    expect(new ReduceLROnPlateau({ monitor: 'loss', mode: 'max' }).direction).toBe('max');
  });

  it('warns once, and changes nothing, when the monitored key is missing', async () => {
    const { cb, warnings } = plateau({ patience: 1 });
    const model = makeModel(0.1);
    const { rates, logs } = await drive(cb, model, [{ loss: 1 }, { loss: 1 }, { loss: 1 }]);
    expect(rates).toEqual([0.1, 0.1, 0.1]);
    expect(logs[0]).toEqual({ loss: 1, learning_rate: 0.1 });
    expect(warnings).toEqual([
      'Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: loss,learning_rate.',
    ]);
    expect(cb.wait).toBe(0);
    // Without logs at all, only learning_rate is available.
    cb.onEpochEnd(3);
    expect(warnings[1]).toBe(
      'Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: learning_rate.',
    );
  });

  it('sends warnings to `log` when no `warn` is given', () => {
    const lines: string[] = [];
    const cb = new ReduceLROnPlateau({ log: (m) => lines.push(m) });
    cb.setModel(makeModel(0.1));
    cb.onEpochEnd(0, {});
    expect(lines).toHaveLength(1);
  });

  it('counts a NaN monitor value as no improvement', async () => {
    const { cb } = plateau({ patience: 2, factor: 0.5 });
    expect((await drive(cb, makeModel(1), losses(1, Number.NaN, Number.NaN))).rates).toEqual([1, 1, 0.5]);
  });

  it('resets best, wait and cooldown on train begin', async () => {
    const { cb } = plateau({ patience: 3, cooldown: 2 });
    await drive(cb, makeModel(1), losses(0.5, 0.7));
    expect(cb.best).toBe(0.5);
    expect(cb.wait).toBe(1);
    cb.onTrainBegin();
    expect([cb.best, cb.wait, cb.cooldownCounter]).toEqual([Number.POSITIVE_INFINITY, 0, 0]);
  });

  it('resumes from getState() exactly as an uninterrupted run', async () => {
    const history = losses(1, 0.9, 0.95, 0.93, 0.92, 0.91, 0.94, 0.9, 0.96, 0.97);
    const options = { patience: 2, cooldown: 1, factor: 0.5 };
    const whole = await drive(plateau(options).cb, makeModel(1), history);

    const first = plateau(options).cb;
    const model = makeModel(1);
    first.setModel(model);
    const rates: number[] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      first.onEpochEnd(epoch, { ...history[epoch] });
      rates.push(model.optimizer.learningRate);
    }
    const saved = JSON.parse(
      JSON.stringify({ config: first.getConfig(), state: first.getState(), lr: model.optimizer.learningRate }),
    );
    const second = new ReduceLROnPlateau({ ...saved.config, log: () => {}, warn: () => {} });
    const resumed = makeModel(saved.lr);
    second.setModel(resumed);
    second.setState(saved.state);
    for (let epoch = 4; epoch < history.length; epoch++) {
      second.onEpochEnd(epoch, { ...history[epoch] });
      rates.push(resumed.optimizer.learningRate);
    }
    expect(rates).toEqual(whole.rates);
    expect(whole.rates).toContain(0.25);
    const fresh = new ReduceLROnPlateau();
    expect(fresh.getState()).toEqual({ best: null, wait: 0, cooldownCounter: 0 });
    fresh.setState({ best: null, wait: 1, cooldownCounter: 0 });
    expect(fresh.best).toBe(Number.POSITIVE_INFINITY);
    expect(() => fresh.setState({ best: 'x' as never, wait: 0, cooldownCounter: 0 })).toThrow(
      /`best` must be a finite number or null, got "x"/,
    );
    expect(() => fresh.setState({ best: null, wait: -1, cooldownCounter: 0 })).toThrow(
      /`wait` must be an integer >= 0, got -1/,
    );
  });

  it.each([
    [
      { factor: 1 },
      /^ReduceLROnPlateau: `factor` must be a number in \(0, 1\) \(new_lr = lr \* factor\), got 1\. Keras does not support a factor >= 1\.0/,
    ],
    [{ factor: 1.5 }, /`factor` must be a number in \(0, 1\).*got 1\.5/],
    [{ factor: 0 }, /`factor` must be a number in \(0, 1\).*got 0\./],
    [{ factor: -0.1 }, /got -0\.1/],
    [{ factor: Number.NaN }, /`factor` must be a number in \(0, 1\).*got NaN/],
    [{ patience: -1 }, /^ReduceLROnPlateau: `patience` must be an integer >= 0, got -1/],
    [{ patience: 2.5 }, /`patience` must be an integer >= 0, got 2\.5/],
    [{ cooldown: -1 }, /^ReduceLROnPlateau: `cooldown` must be an integer >= 0, got -1/],
    [{ mode: 'maximum' }, /^ReduceLROnPlateau: `mode` must be 'auto', 'min' or 'max', got "maximum"/],
    [{ minDelta: -1e-4 }, /`minDelta` must be a finite number >= 0, got -0\.0001/],
    [{ minLr: Number.NaN }, /`minLr` must be a finite number >= 0, got NaN/],
    [{ minLr: -1 }, /`minLr` must be a finite number >= 0, got -1/],
    [{ monitor: '' }, /`monitor` must be a log key such as 'val_loss', got ""/],
    [{ verbose: true }, /`verbose` must be 0 \(quiet\) or 1/],
    [{ min_lr: 0.1 }, /unknown option `min_lr`/],
  ] as Array<[Record<string, unknown>, RegExp]>)('rejects %o', (options, message) => {
    expect(() => new ReduceLROnPlateau(options as ReduceLROnPlateauOptions)).toThrow(message);
  });

  it('needs a model', () => {
    expect(() => new ReduceLROnPlateau().onEpochEnd(0, { val_loss: 1 })).toThrow(/no model; call setModel/);
  });
});
