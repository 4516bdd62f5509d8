/**
 * Stopping fit after a step (`signal`), continuing inside an epoch (`initialStep`), and the event-loop turns
 * (`yieldEvery`). The oracle for every resume is the same run without the stop: weights, optimizer state, the
 * History (the interrupted epoch's loss and accuracy included) and the callbacks' decisions must be identical,
 * bit for bit, on cpu and on wasm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam } from '@opt/optimizers';
import { LearningRateScheduler, ReduceLROnPlateau } from '@opt/schedules';
import { Random, tf, useBackend } from '@opt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTO_YIELD_MS,
  BatchNormalization,
  Dense,
  Dropout,
  EarlyStopping,
  type FitCallback,
  type FitStop,
  type History,
  ReLU,
  readCheckpointInfo,
  Sequential,
  sparseCategoricalCrossentropy,
} from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'opt-layers-fit-stop-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const EPOCHS = 12;
const BATCH = 16; // 96 training samples: 6 steps per epoch
const STEPS = 6;

interface Data {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
  xVal: tf.Tensor2D;
  yVal: tf.Tensor1D;
}

function makeData(): Data {
  const r = new Random(5);
  const labels = (n: number) =>
    tf.tensor1d(
      Int32Array.from({ length: n }, () => r.nextInt(3)),
      'int32',
    );
  // Validation labels unrelated to the inputs: val_loss soon rises, so the plateau and early-stopping callbacks act.
  return {
    x: tf.tensor2d(r.normal(96 * 6), [96, 6]),
    y: labels(96),
    xVal: tf.tensor2d(r.normal(32 * 6), [32, 6]),
    yVal: labels(32),
  };
}

/** BatchNormalization (moving statistics) and Dropout (a random stream per step): all of a step's state. */
function build(): Sequential {
  const m = new Sequential(
    [
      new Dense({ units: 12, useBias: false }),
      new BatchNormalization(),
      new ReLU(),
      new Dropout({ rate: 0.25 }),
      new Dense({ units: 3 }),
    ],
    { inputShape: [6], seed: 9 },
  );
  m.compile({
    optimizer: new Adam({ learningRate: 0.03 }),
    loss: sparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['accuracy'],
  });
  return m;
}

/** Keras's ReduceLROnPlateau and EarlyStopping (their decisions logged) and a LearningRateScheduler of the rate. */
function decisionCallbacks(decisions: string[]): FitCallback[] {
  const log = (line: string) => decisions.push(line);
  return [
    new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr * 0.9)),
    new ReduceLROnPlateau({ patience: 1, factor: 0.5, minDelta: 0, verbose: 1, log }),
    new EarlyStopping({ patience: 6, verbose: 1, log }),
  ];
}

interface Outcome {
  epochs: number[];
  history: Record<string, number[]>;
  weights: number[][];
  slots: number[][];
  iterations: number;
  decisions: string[];
}

async function outcome(m: Sequential, histories: History[], decisions: string[]): Promise<Outcome> {
  const history: Record<string, number[]> = {};
  for (const h of histories) for (const [k, v] of Object.entries(h.history)) history[k] = [...(history[k] ?? []), ...v];
  const state = await m.optimizer.getState();
  return {
    epochs: histories.flatMap((h) => h.epoch),
    history,
    weights: await Promise.all(m.weights.map(async (w) => Array.from(await w.variable.data()))),
    slots: state.slots.map((s) => Array.from(s.values)),
    iterations: state.iterations,
    decisions,
  };
}

/** Aborts `controller` at the end of step `step` (1-based) of epoch `epoch`, or at the end of the epoch when step is 'end'. */
function abortAt(controller: AbortController, epoch: number, step: number | 'end'): FitCallback {
  let current = -1;
  return {
    onEpochBegin: (e) => {
      current = e;
    },
    onBatchEnd: (batch) => {
      if (current === epoch && batch + 1 === step) controller.abort();
    },
    onEpochEnd: (e) => {
      if (e === epoch && step === 'end') controller.abort();
    },
  };
}

describe.each(['cpu', 'wasm'] as const)('fit stopped by a signal and resumed (%s)', (backend) => {
  let data: Data;
  let oracle: Outcome;
  const fitOptions = () => ({
    epochs: EPOCHS,
    batchSize: BATCH,
    seed: 4,
    validationData: [data.xVal, data.yVal] as [tf.Tensor, tf.Tensor],
  });

  beforeAll(async () => {
    tf.enableProdMode();
    await useBackend(backend);
    data = makeData();
    const m = build();
    const decisions: string[] = [];
    const h = await m.fit(data.x, data.y, { ...fitOptions(), callbacks: decisionCallbacks(decisions) });
    expect(h.stopped).toBeNull();
    oracle = await outcome(m, [h], decisions);
    m.dispose();
  });

  it('the uninterrupted run makes the decisions the resumes must repeat', () => {
    expect(oracle.decisions.some((d) => /ReduceLROnPlateau reducing learning rate/.test(d))).toBe(true);
    expect(oracle.decisions.at(-1)).toMatch(/early stopping/);
    expect(oracle.epochs.length).toBeGreaterThan(5);
    expect(oracle.epochs.length).toBeLessThan(EPOCHS);
    expect(oracle.iterations).toBe(oracle.epochs.length * STEPS);
  });

  // Inside an epoch, at its last step (validation and onEpochEnd still to run), and between epochs.
  const stops: Array<[string, number, number | 'end', FitStop]> = [
    ['after step 3 of epoch 1', 0, 3, { epoch: 0, step: 3 }],
    ['after step 1 of epoch 3', 2, 1, { epoch: 2, step: 1 }],
    ['after the last step of epoch 4, before its validation', 3, STEPS, { epoch: 3, step: STEPS }],
    ['between epochs 5 and 6', 4, 'end', { epoch: 5, step: 0 }],
  ];

  it.each(stops)(
    'stopped %s: History says where, and continuing in the same process is exact',
    async (_, epoch, step, where) => {
      const m = build();
      const decisions: string[] = [];
      const callbacks = decisionCallbacks(decisions);
      const controller = new AbortController();
      const first = await m.fit(data.x, data.y, {
        ...fitOptions(),
        callbacks: [...callbacks, abortAt(controller, epoch, step)],
        signal: controller.signal,
      });
      expect(first.stopped).toEqual(where);
      expect(first.epoch).toEqual(Array.from({ length: where.epoch }, (_, i) => i)); // the stopped epoch is not logged
      expect(m.optimizer.iterations).toBe(where.epoch * STEPS + where.step); // the model and optimizer as after that step
      expect([m.epochsCompleted, m.stepsInEpoch]).toEqual([where.epoch, where.step]);
      // The same callback objects: fit hands them back the states they had when it stopped.
      const rest = await m.fit(data.x, data.y, {
        ...fitOptions(),
        initialEpoch: first.stopped?.epoch,
        initialStep: first.stopped?.step,
        callbacks,
      });
      expect(rest.stopped).toBeNull();
      expect(await outcome(m, [first, rest], decisions)).toEqual(oracle);
      m.dispose();
    },
  );

  it.each(stops)(
    'stopped %s, saved, loaded into a new model with new callbacks: the same run',
    async (_, epoch, step, where) => {
      const dir = join(scratch, `${backend}-${epoch}-${step}`);
      const decisions: string[] = [];
      const stopped = build();
      const controller = new AbortController();
      const first = await stopped.fit(data.x, data.y, {
        ...fitOptions(),
        callbacks: [...decisionCallbacks(decisions), abortAt(controller, epoch, step)],
        signal: controller.signal,
      });
      await stopped.save(dir);
      stopped.dispose();
      const info = await readCheckpointInfo(dir);
      expect([info?.epochsCompleted, info?.stepsInEpoch]).toEqual([where.epoch, where.step]);
      expect(Object.keys(info?.callbackStates ?? {}).sort()).toEqual(['EarlyStopping', 'ReduceLROnPlateau']);

      const m = build();
      const loaded = await m.loadWeights(dir);
      expect([loaded.epoch, loaded.step]).toEqual([where.epoch, where.step]);
      const rest = await m.fit(data.x, data.y, {
        ...fitOptions(),
        initialEpoch: loaded.epoch,
        initialStep: loaded.step,
        callbacks: decisionCallbacks(decisions),
      });
      expect(await outcome(m, [first, rest], decisions)).toEqual(oracle);
      m.dispose();
    },
  );

  it('a checkpoint saved from onBatchEnd during an uninterrupted fit records the step: resuming from it is exact', async () => {
    const dir = join(scratch, `${backend}-mid-epoch`);
    const m = build();
    let current = -1;
    const saver: FitCallback = {
      onEpochBegin: (e) => {
        current = e;
      },
      onBatchEnd: async (batch) => {
        if (current === 1 && batch === 3) await m.save(dir);
      },
    };
    const decisions: string[] = [];
    const h = await m.fit(data.x, data.y, { ...fitOptions(), callbacks: [...decisionCallbacks(decisions), saver] });
    expect(await outcome(m, [h], decisions)).toEqual(oracle); // saving changed nothing
    m.dispose();

    const resumed = build();
    const info = await resumed.loadWeights(dir);
    expect([info.epoch, info.step]).toEqual([1, 4]);
    const resumedDecisions: string[] = [];
    const rest = await resumed.fit(data.x, data.y, {
      ...fitOptions(),
      initialEpoch: info.epoch,
      initialStep: info.step,
      callbacks: decisionCallbacks(resumedDecisions),
    });
    const all = await outcome(resumed, [rest], resumedDecisions);
    expect(all.weights).toEqual(oracle.weights);
    expect(all.iterations).toBe(oracle.iterations);
    // Epoch 2 onward, the continued epoch's loss and accuracy included.
    for (const [k, v] of Object.entries(oracle.history)) expect(all.history[k]).toEqual(v.slice(1));
    resumed.dispose();
  });

  it('a signal aborted before fit runs no step and says where training stands', async () => {
    const m = build();
    const hooks: string[] = [];
    const recorder: FitCallback = {
      onTrainBegin: () => void hooks.push('trainBegin'),
      onEpochBegin: () => void hooks.push('epochBegin'),
      onTrainEnd: (_logs, end) => void hooks.push(`trainEnd ${JSON.stringify(end)}`),
    };
    const h = await m.fit(data.x, data.y, { ...fitOptions(), callbacks: [recorder], signal: AbortSignal.abort() });
    expect(h.stopped).toEqual({ epoch: 0, step: 0 });
    expect(h.epoch).toEqual([]);
    expect(hooks).toEqual(['trainBegin', 'trainEnd {"stopped":{"epoch":0,"step":0}}']);
    expect(m.optimizer.iterations).toBe(0);
    m.dispose();
  });
});

describe('continuing inside an epoch is refused where it could not be exact', () => {
  beforeAll(async () => {
    tf.enableProdMode();
    await useBackend('cpu');
  });

  it('initialStep needs the model to stand at that step, and a model stopped inside an epoch asks for initialStep', async () => {
    const { x, y } = makeData();
    const fresh = build();
    await expect(fresh.fit(x, y, { batchSize: BATCH, initialEpoch: 1, initialStep: 2, epochs: 3 })).rejects.toThrow(
      "fit: initialStep 2 continues epoch 2 after its first 2 steps, but the model's training stands after step 0 of epoch 1 (initialEpoch: 0, initialStep: 0; model.epochsCompleted and model.stepsInEpoch).",
    );
    await expect(fresh.fit(x, y, { batchSize: BATCH, initialStep: 7 })).rejects.toThrow(
      'fit: `initialStep` 7 is more than the 6 steps of an epoch of this data.',
    );
    await expect(fresh.fit(x, y, { batchSize: BATCH, initialStep: -1 })).rejects.toThrow(
      'fit: `initialStep` must be an integer >= 0, got -1.',
    );
    const controller = new AbortController();
    const h = await fresh.fit(x, y, {
      batchSize: BATCH,
      epochs: 3,
      callbacks: [abortAt(controller, 1, 2)],
      signal: controller.signal,
    });
    expect(h.stopped).toEqual({ epoch: 1, step: 2 });
    await expect(fresh.fit(x, y, { batchSize: BATCH, initialEpoch: 1, epochs: 3 })).rejects.toThrow(
      /the model's training stands after step 2 of epoch 2 .*Pass initialStep: 2 to continue that epoch .*or initialStep: 0 to run it again from its first step\./,
    );
    await expect(fresh.fit(x, y, { batchSize: BATCH, initialEpoch: 1, initialStep: 3, epochs: 3 })).rejects.toThrow(
      /initialStep 3 continues epoch 2 .*pass initialEpoch: 1, initialStep: 2/,
    );
    // A fit that fails inside an epoch cannot be continued there (its sums went with it): fit runs the epoch again.
    const failing = build();
    let seen = 0;
    const boom: FitCallback = {
      onBatchEnd: () => {
        if (++seen === STEPS + 2) throw new Error('boom');
      },
    };
    await expect(failing.fit(x, y, { batchSize: BATCH, epochs: 3, callbacks: [boom] })).rejects.toThrow('boom');
    expect([failing.epochsCompleted, failing.stepsInEpoch]).toEqual([1, 2]);
    await expect(failing.fit(x, y, { batchSize: BATCH, initialEpoch: 1, initialStep: 2, epochs: 2 })).rejects.toThrow(
      /initialStep 2 continues epoch 2 after its first 2 steps, but .*needs that epoch's loss and metric sums/,
    );
    expect((await failing.fit(x, y, { batchSize: BATCH, initialEpoch: 1, epochs: 2 })).epoch).toEqual([1]);
    // Nothing ran: the model still stands there, and initialStep: 0 runs the epoch again from its start.
    expect(fresh.optimizer.iterations).toBe(STEPS + 2);
    const again = await fresh.fit(x, y, { batchSize: BATCH, initialEpoch: 1, initialStep: 0, epochs: 2 });
    expect(again.epoch).toEqual([1]);
    expect(fresh.optimizer.iterations).toBe(2 * STEPS + 2);
  });

  it('signal and yieldEvery are checked with the value shown', async () => {
    const { x, y } = makeData();
    const m = build();
    await expect(m.fit(x, y, { signal: { aborted: 'no' } as never })).rejects.toThrow(
      'fit: `signal` must be an AbortSignal (new AbortController().signal), got {"aborted":"no"}.',
    );
    await expect(m.fit(x, y, { yieldEvery: 'step' as never })).rejects.toThrow(
      `fit: \`yieldEvery\` must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds >= 0, got "step".`,
    );
    await expect(m.fit(x, y, { yieldEvery: -5 })).rejects.toThrow('got -5.');
    await expect(m.fit(x, y, { abortSignal: AbortSignal.abort() } as never)).rejects.toThrow('did you mean `signal`?');
  });
});

describe('yieldEvery: the turns of the event loop that let an abort from a handler reach fit', () => {
  let data: Data;
  beforeAll(async () => {
    tf.enableProdMode();
    await useBackend('cpu');
    data = makeData();
  });

  /** fit with an abort waiting in the event loop's queue from the start, as a signal handler's would. */
  async function abortQueued(yieldEvery: unknown, extra: FitCallback[] = [], batchSize = BATCH): Promise<History> {
    const controller = new AbortController();
    const m = build();
    setImmediate(() => controller.abort());
    const h = await m.fit(data.x, data.y, {
      epochs: 3,
      batchSize,
      callbacks: extra,
      signal: controller.signal,
      yieldEvery: yieldEvery as never,
    });
    m.dispose();
    return h;
  }

  it("'batch' and 0 ms: after every step, so fit stops after its first", async () => {
    expect((await abortQueued('batch')).stopped).toEqual({ epoch: 0, step: 1 });
    expect((await abortQueued(0)).stopped).toEqual({ epoch: 0, step: 1 });
  });

  it("'epoch': after each epoch, so fit stops between the first two", async () => {
    expect((await abortQueued('epoch')).stopped).toEqual({ epoch: 1, step: 0 });
  });

  it("'never': the handler waits for fit's end", async () => {
    const h = await abortQueued('never');
    expect(h.stopped).toBeNull();
    expect(h.epoch).toEqual([0, 1, 2]);
  });

  it(`'auto' (the default): within ${AUTO_YIELD_MS} ms of steps`, async () => {
    // Each step takes at least 10 ms here, so 'auto' turns the event loop by the 5th step.
    const slow: FitCallback = {
      onBatchEnd: () => {
        const until = performance.now() + 10;
        while (performance.now() < until) {}
      },
    };
    const h = await abortQueued(undefined, [slow], 4);
    expect(h.stopped?.epoch).toBe(0);
    expect(h.stopped?.step).toBeGreaterThanOrEqual(1);
    expect(h.stopped?.step).toBeLessThanOrEqual(Math.ceil(AUTO_YIELD_MS / 10));
  });
});
