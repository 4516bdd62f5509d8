import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Adam, chain, fromTransformation, scaleByAdam, scaleByLearningRate } from '@opt/optimizers';
import { exponentialDecay, ReduceLROnPlateau } from '@opt/schedules';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  CHECKPOINT_FORMAT,
  Dense,
  DirectoryStore,
  Dropout,
  deleteCheckpoint,
  type FitCallback,
  loadModel,
  ModelCheckpoint,
  ReLU,
  readCheckpointInfo,
  Sequential,
  sparseCategoricalCrossentropy,
} from './index.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'opt-layers-ckpt-'));
const child = fileURLToPath(new URL('./testing/fixtures/train-child.mjs', import.meta.url));

beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function model(seed: number, hidden = 8): Sequential {
  return new Sequential(
    [
      new Dense({ units: hidden, useBias: false }),
      new BatchNormalization(),
      new ReLU(),
      new Dropout({ rate: 0.2 }),
      new Dense({ units: 3 }),
    ],
    { inputShape: [5], seed },
  );
}

function data(): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Random(3);
  return {
    x: tf.tensor2d(r.normal(60 * 5), [60, 5]),
    y: tf.tensor1d(
      Int32Array.from({ length: 60 }, () => r.nextInt(3)),
      'int32',
    ),
  };
}

async function values(m: Sequential): Promise<number[][]> {
  return Promise.all(m.weights.map(async (w) => Array.from(await w.variable.data())));
}

describe('save and load', () => {
  it('round-trips weights, optimizer state, epoch and random streams; training continues identically', async () => {
    const { x, y } = data();
    const dir = join(scratch, 'roundtrip');
    const a = model(1);
    a.compile({
      optimizer: new Adam({ learningRate: 0.01 }),
      loss: sparseCategoricalCrossentropy({ fromLogits: true }),
      metrics: ['accuracy'],
    });
    await a.fit(x, y, { epochs: 2, batchSize: 16, seed: 4 });
    await a.save(dir);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toContain('"format":"opt.layers.checkpoint.v1"');
    const b = model(99); // different initial weights
    const optB = new Adam({ learningRate: 0.5 });
    b.compile({ optimizer: optB, loss: sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    const info = await b.loadWeights(dir);
    expect(info).toEqual({ epoch: 2, step: 0, optimizerRestored: true });
    expect(await values(b)).toEqual(await values(a));
    expect(optB.iterations).toBe(a.optimizer.iterations);
    expect(optB.learningRate).toBe(0.01);
    await a.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 16 });
    await b.fit(x, y, { epochs: 3, initialEpoch: info.epoch, batchSize: 16 });
    expect(await values(b)).toEqual(await values(a));

    const c = await loadModel(dir, { optimizer: new Adam() });
    expect(c.getConfig().layers.map((l) => l.className)).toEqual([
      'Dense',
      'BatchNormalization',
      'ReLU',
      'Dropout',
      'Dense',
    ]);
    expect(c.weights.map((w) => w.name)).toEqual(a.weights.map((w) => w.name));
    expect(c.epochsCompleted).toBe(2);
  });

  it('loadModel rebuilds the saved optimizer (a preset with a schedule) and its state: training continues identically', async () => {
    const { x, y } = data();
    const dir = join(scratch, 'load-compiled');
    const schedule = exponentialDecay({ initialLearningRate: 0.02, decaySteps: 3, decayRate: 0.5 });
    const a = model(5);
    a.compile({
      optimizer: new Adam({ learningRate: schedule, clipnorm: 1 }),
      loss: sparseCategoricalCrossentropy({ fromLogits: true }),
    });
    await a.fit(x, y, { epochs: 2, batchSize: 16, seed: 2 });
    await a.save(dir);

    const b = await loadModel(dir);
    expect(b.isCompiled).toBe(true);
    expect(b.optimizer.getConfig()).toEqual(a.optimizer.getConfig());
    expect(b.optimizer.iterations).toBe(a.optimizer.iterations);
    await a.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 16 });
    await b.fit(x, y, { epochs: 4, initialEpoch: b.epochsCompleted, batchSize: 16 });
    expect(await values(b)).toEqual(await values(a));
    expect(b.optimizer.learningRate).toBe(a.optimizer.learningRate);

    const weightsOnly = await loadModel(dir, { compile: false });
    expect(weightsOnly.isCompiled).toBe(false);
  });

  it('loadModel names the optimizer it cannot rebuild and the two ways out', async () => {
    const { x, y } = data();
    const dir = join(scratch, 'load-custom');
    const custom = fromTransformation(chain(scaleByAdam(), scaleByLearningRate(0.01)));
    const a = model(6);
    a.compile({ optimizer: custom, loss: sparseCategoricalCrossentropy({ fromLogits: true }) });
    await a.fit(x, y, { epochs: 1, batchSize: 16, seed: 2 });
    await a.save(dir);
    await expect(loadModel(dir)).rejects.toThrow(
      /cannot rebuild.*Pass loadModel\(target, \{ optimizer \}\).*\{ compile: false \}/,
    );
    expect((await loadModel(dir, { compile: false })).weights.length).toBe(a.weights.length);
  });

  it("restores callback state (ReduceLROnPlateau's patience count) so a resumed run reduces at the same epochs", async () => {
    const x = tf.ones([8, 5]);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const yBad = tf.tensor1d([2, 2, 2, 2, 2, 2, 2, 2], 'int32');
    const dir = join(scratch, 'callback-state');
    const fitWith = async (m: Sequential, epochs: number, initialEpoch: number, withCheckpoint: boolean) => {
      const rlr = new ReduceLROnPlateau({ patience: 2, factor: 0.5, verbose: 0 });
      const callbacks = withCheckpoint ? [rlr, new ModelCheckpoint(dir)] : [rlr];
      const h = await m.fit(x, y, { epochs, initialEpoch, batchSize: 8, validationData: [x, yBad], callbacks });
      return h.history.learning_rate ?? [];
    };
    const make = () => {
      const m = model(21);
      m.compile({
        optimizer: new Adam({ learningRate: 0.05 }),
        loss: sparseCategoricalCrossentropy({ fromLogits: true }),
      });
      return m;
    };
    const straight = await fitWith(make(), 6, 0, false);
    const first = await fitWith(make(), 3, 0, true);
    const resumed = make();
    const { epoch } = await resumed.loadWeights(dir);
    const second = await fitWith(resumed, 6, epoch, false);
    expect([...first, ...second]).toEqual(straight);
    expect(new Set(straight).size).toBeGreaterThan(2); // the rate was reduced at least twice
  });

  it('a checkpoint that does not fit the model is a clear error naming the weight and both shapes', async () => {
    const dir = join(scratch, 'mismatch');
    await model(1, 8).save(dir);
    await expect(model(1, 6).loadWeights(dir)).rejects.toThrow(
      /weight "dense(_\d+)?\/kernel" has shape \[5, 8\] but the model's "dense(_\d+)?\/kernel" has shape \[5, 6\]/,
    );
    const shorter = new Sequential([new Dense({ units: 3 })], { inputShape: [5], seed: 1 });
    await expect(shorter.loadWeights(dir)).rejects.toThrow(/holds 7 weights .* but the model has 2/);
    await expect(model(1).loadWeights(join(scratch, 'nothing-here'))).rejects.toThrow(/No checkpoint at/);
  });

  it('never loads a half-written checkpoint: a crash between renames falls back to .old, damage is detected', async () => {
    const dir = join(scratch, 'atomic');
    const a = model(5);
    await a.save(dir);
    const good = await values(a);
    // A crash after "dir -> dir.old" and before "tmp -> dir".
    renameSync(dir, `${dir}.old`);
    const c = model(7);
    await c.loadWeights(dir);
    expect(await values(c)).toEqual(good);
    // The next save completes and removes the fallback.
    await a.save(dir);
    expect(existsSync(`${dir}.old`)).toBe(false);
    // A weights file that does not belong to its model.json.
    const bin = readFileSync(join(dir, 'weights.bin'));
    bin[3] = (bin[3] as number) ^ 0xff;
    writeFileSync(join(dir, 'weights.bin'), bin);
    await expect(model(1).loadWeights(new DirectoryStore(dir))).rejects.toThrow(/damaged or from different saves/);
  });

  it('a save killed mid-write leaves a model.tmp-* folder that the next load or save removes', async () => {
    const dir = join(scratch, 'leftovers', 'model');
    const a = model(5);
    await a.save(dir);
    const good = await values(a);
    // A real process that has exited: its pid names the folder it left, as a killed save would.
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    const leftover = (n: number) => `${dir}.tmp-${dead}-${n}-0`;
    for (const n of [1, 2]) {
      mkdirSync(leftover(n));
      writeFileSync(join(leftover(n), 'weights.bin'), new Uint8Array(10));
    }
    // Another checkpoint's leftovers and a live process's folder (a save in progress) are not ours to remove.
    mkdirSync(`${dir}-other.tmp-${dead}-1-0`);
    mkdirSync(`${dir}.tmp-${process.ppid}-1-0`);
    const b = model(6);
    await b.loadWeights(dir);
    expect(await values(b)).toEqual(good);
    expect(existsSync(leftover(1)) || existsSync(leftover(2))).toBe(false);
    expect(existsSync(`${dir}-other.tmp-${dead}-1-0`)).toBe(true);
    expect(existsSync(`${dir}.tmp-${process.ppid}-1-0`)).toBe(true);
    mkdirSync(leftover(3));
    await a.save(dir);
    expect(existsSync(leftover(3))).toBe(false);
    expect(readdirSync(join(scratch, 'leftovers')).sort()).toEqual(
      ['model', `model-other.tmp-${dead}-1-0`, `model.tmp-${process.ppid}-1-0`].sort(),
    );
  });

  it('refuses to save over a file or a directory that is not a checkpoint, with a clear message', async () => {
    const base = join(scratch, 'not-a-dir');
    mkdirSync(base);
    const file = join(base, 'notes.txt');
    writeFileSync(file, 'keep me');
    await expect(model(1).save(file)).rejects.toThrow(
      `Cannot save a checkpoint to ${file}: it is a file, not a checkpoint directory. Choose another path, or remove the file.`,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    await expect(model(1).save(join(file, 'ckpt'))).rejects.toThrow(
      `Cannot save a checkpoint to ${join(file, 'ckpt')}: ${file} is a file, not a directory.`,
    );
    await expect(model(1).save(join(file, 'a', 'b'))).rejects.toThrow(`${file} is a file, not a directory.`);
    const foreign = join(base, 'photos');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'cat.jpg'), 'meow');
    await expect(model(1).save(foreign)).rejects.toThrow(
      /holds other files \(cat\.jpg\) and no model\.json; saving would replace it/,
    );
    expect(readFileSync(join(foreign, 'cat.jpg'), 'utf8')).toBe('meow');
    await expect(loadModel(file)).rejects.toThrow(
      `No checkpoint at ${file}: it is a file, not a checkpoint directory.`,
    );
    // An empty directory is fine to save into.
    const empty = join(base, 'empty');
    mkdirSync(empty);
    await model(1).save(empty);
    expect(existsSync(join(empty, 'model.json'))).toBe(true);
  });

  it('a checkpoint with only one of its two files names the missing one', async () => {
    const dir = join(scratch, 'half');
    await model(1).save(dir);
    rmSync(join(dir, 'weights.bin'));
    await expect(loadModel(dir)).rejects.toThrow(
      `Checkpoint ${dir} is incomplete: ${join(dir, 'weights.bin')} is missing (model.json is there).`,
    );
    await model(1).save(dir);
    rmSync(join(dir, 'model.json'));
    await expect(model(1).loadWeights(dir)).rejects.toThrow(
      `${join(dir, 'model.json')} is missing (weights.bin is there)`,
    );
  });

  it('a run killed with SIGKILL resumes from its last checkpoint and ends with bit-identical weights (cpu)', async () => {
    const env = { ...process.env, OPT_BACKEND: 'cpu' };
    const epochs = '6';
    const straight = join(scratch, 'straight.json');
    const killedDir = join(scratch, 'killed');
    const resumed = join(scratch, 'resumed.json');
    const uninterrupted = run(process.execPath, [child, join(scratch, 'straight'), epochs, straight], { env });

    const victim: ChildProcess = spawn(
      process.execPath,
      [child, killedDir, epochs, join(scratch, 'never.json'), '--slow'],
      {
        env,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      victim.on('exit', (_code, signal) => resolve(signal)),
    );
    // Kill once a checkpoint of epoch >= 2 exists (the run has 6 epochs, each followed by a 250 ms pause). No time
    // limit here: a loaded machine only makes the child slower; one that ended early fails the wait.
    let ended = false;
    void exited.then(() => {
      ended = true;
    });
    for (;;) {
      const file = join(killedDir, 'model.json');
      if (existsSync(file)) {
        const epoch = (() => {
          try {
            return (JSON.parse(readFileSync(file, 'utf8')) as { training: { epoch: number } }).training.epoch;
          } catch {
            return 0;
          }
        })();
        if (epoch >= 2) break;
      }
      if (ended) throw new Error('the child ended before it wrote the checkpoint of epoch 2');
      await new Promise((r) => setTimeout(r, 20));
    }
    victim.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(scratch, 'never.json'))).toBe(false);

    await run(process.execPath, [child, killedDir, epochs, resumed, '--resume'], { env });
    await uninterrupted;
    const a = JSON.parse(readFileSync(straight, 'utf8')) as {
      weights: number[][];
      iterations: number;
      initialEpoch: number;
    };
    const b = JSON.parse(readFileSync(resumed, 'utf8')) as {
      weights: number[][];
      iterations: number;
      initialEpoch: number;
    };
    expect(b.initialEpoch).toBeGreaterThanOrEqual(2);
    expect(b.initialEpoch).toBeLessThan(6);
    expect(b.iterations).toBe(a.iterations);
    expect(b.weights).toEqual(a.weights);
  });
});

describe("a real process stopped by SIGINT through fit's signal", () => {
  it('stops after the step in progress, saves there, and resumes to the same weights and epoch logs (wasm)', async () => {
    const env = { ...process.env, OPT_BACKEND: 'wasm' };
    const straight = join(scratch, 'sigint-straight.json');
    const stoppedOut = join(scratch, 'sigint-stopped.json');
    const resumedOut = join(scratch, 'sigint-resumed.json');
    const dir = join(scratch, 'sigint');
    const uninterrupted = run(process.execPath, [child, join(scratch, 'sigint-ref'), '4', straight], { env });
    const victim = spawn(process.execPath, [child, dir, '4', stoppedOut, '--stop-on-sigint'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => victim.on('exit', (code) => resolve(code)));
    // Each step holds the event loop for 15 ms, as a real step would: only fit's own turns let the handler run.
    let sent = false;
    victim.stdout.on('data', (chunk: Buffer) => {
      if (!sent && /^step 2 1$/m.test(chunk.toString())) {
        sent = true;
        victim.kill('SIGINT');
      }
    });
    expect(await exited).toBe(0);
    expect(sent).toBe(true);
    type Out = {
      weights: number[][];
      iterations: number;
      stopped: { epoch: number; step: number } | null;
      history: Record<string, number[]>;
    };
    const stopped = JSON.parse(readFileSync(stoppedOut, 'utf8')) as Out;
    expect(stopped.stopped).not.toBeNull();
    const at = stopped.stopped as { epoch: number; step: number };
    expect(at.epoch * 5 + at.step).toBe(stopped.iterations); // 144 training rows in batches of 32: 5 steps
    expect(at.epoch * 5 + at.step).toBeGreaterThanOrEqual(2 * 5 + 2); // not before the step that was running

    await run(process.execPath, [child, dir, '4', resumedOut, '--resume'], { env });
    await uninterrupted;
    const a = JSON.parse(readFileSync(straight, 'utf8')) as Out;
    const b = JSON.parse(readFileSync(resumedOut, 'utf8')) as Out & { initialEpoch: number; initialStep: number };
    expect([b.initialEpoch, b.initialStep]).toEqual([at.epoch, at.step]);
    expect(b.iterations).toBe(a.iterations);
    expect(b.weights).toEqual(a.weights);
    for (const [key, values] of Object.entries(a.history)) {
      expect([...(stopped.history[key] ?? []), ...(b.history[key] ?? [])]).toEqual(values);
    }
  });
});

/** A class as a minifier leaves it: same behaviour, another name in each build. */
function renamed<T extends abstract new (...args: never[]) => unknown>(cls: T, name: string): T {
  const sub = class extends (cls as unknown as new (...args: never[]) => object) {};
  Object.defineProperty(sub, 'name', { value: name });
  return sub as unknown as T;
}

/** A callback of the user's with progress to keep: the number of epochs it has seen. */
class EpochCounter implements FitCallback {
  readonly stateKey = 'epochCounter';
  seen = 0;
  restored: unknown = undefined;
  onEpochEnd(): void {
    this.seen++;
  }
  getState(): { seen: number } {
    return { seen: this.seen };
  }
  setState(state: { seen: number }): void {
    this.restored = state;
    this.seen = state.seen;
  }
}

describe('callback states in checkpoints', () => {
  const compiled = (seed: number) => {
    const m = model(seed);
    m.compile({
      optimizer: new Adam({ learningRate: 0.01 }),
      loss: sparseCategoricalCrossentropy({ fromLogits: true }),
    });
    return m;
  };

  it('are found by stateKey, not by class name or position: a minified build of the next release finds them', async () => {
    const { x, y } = data();
    const dir = join(scratch, 'state-keys');
    // Build 1: the classes are called `a` and `b`; build 2 calls them `e` and `t`, and lists the callbacks in another order.
    const Checkpoint1 = renamed(ModelCheckpoint, 'a');
    const Counter1 = renamed(EpochCounter, 'b');
    const counter1 = new Counter1();
    const checkpoint1 = new Checkpoint1(dir, { monitor: 'loss', saveBestOnly: true });
    await compiled(1).fit(x, y, { epochs: 2, batchSize: 16, callbacks: [counter1, checkpoint1] });
    expect(checkpoint1.constructor.name).toBe('a');
    const info = await readCheckpointInfo(dir);
    expect(info?.callbackStates).toEqual({ epochCounter: { seen: 2 }, ModelCheckpoint: { best: checkpoint1.best } });

    const Checkpoint2 = renamed(ModelCheckpoint, 'e');
    const Counter2 = renamed(EpochCounter, 't');
    const counter2 = new Counter2();
    const checkpoint2 = new Checkpoint2(dir, { monitor: 'loss', saveBestOnly: true });
    const resumed = compiled(2);
    const { epoch } = await resumed.loadWeights(dir);
    let bestAtStart = Number.NaN;
    const spy = {
      onEpochBegin: () => {
        bestAtStart = checkpoint2.best;
      },
    };
    await resumed.fit(x, y, { epochs: 3, initialEpoch: epoch, batchSize: 16, callbacks: [checkpoint2, spy, counter2] });
    expect(counter2.restored).toEqual({ seen: 2 });
    expect(counter2.seen).toBe(3);
    expect(bestAtStart).toBe(checkpoint1.best);
  });

  it('a callback with getState and no stateKey, or two with the same key, is refused before anything runs', async () => {
    const { x, y } = data();
    const m = compiled(1);
    let began = 0;
    const watcher = { onTrainBegin: () => void began++ };
    const anonymous = { getState: () => ({}), setState: () => {} };
    await expect(m.fit(x, y, { epochs: 1, callbacks: [watcher, anonymous] })).rejects.toThrow(
      "fit: callback 1 (Object) has getState() but no `stateKey`, the name its state is kept under in checkpoints. Declare one, e.g. `readonly stateKey = 'myCallback'` (a class name is not used: minifiers rename classes).",
    );
    const twice = [
      new ModelCheckpoint(join(scratch, 'twice-a')),
      watcher,
      new ModelCheckpoint(join(scratch, 'twice-b')),
    ];
    await expect(m.fit(x, y, { epochs: 1, callbacks: twice })).rejects.toThrow(
      "fit: callback 0 (ModelCheckpoint) and callback 2 (ModelCheckpoint) both keep their state under the stateKey 'ModelCheckpoint'",
    );
    expect(began).toBe(0);
    expect(existsSync(join(scratch, 'twice-a'))).toBe(false);
    expect(() => new ModelCheckpoint(join(scratch, 'x'), { stateKey: '' })).toThrow(
      'ModelCheckpoint: `stateKey` must be a non-empty string, got "".',
    );
    // With their own keys both run.
    twice[2] = new ModelCheckpoint(join(scratch, 'twice-b'), { stateKey: 'second' });
    await m.fit(x, y, { epochs: 1, callbacks: twice });
    expect(existsSync(join(scratch, 'twice-b', 'model.json'))).toBe(true);
  });

  it('checkpoints written before stateKey (states by position and class name) still hand their states back', async () => {
    const { x, y } = data();
    const dir = join(scratch, 'legacy-states');
    // A metric that never improves after the first epoch: ReduceLROnPlateau counts its patience.
    const flat = {
      onEpochEnd: (_e: number, logs: Record<string, number> = {}) => {
        logs.flat = 1;
      },
    };
    const rlr = new ReduceLROnPlateau({ monitor: 'flat', patience: 5 });
    await compiled(3).fit(x, y, {
      epochs: 3,
      batchSize: 16,
      callbacks: [flat, rlr, new ModelCheckpoint(dir)],
    });
    const saved = rlr.getState();
    expect(saved).toEqual({ best: 1, wait: 2, cooldownCounter: 0 });
    // Rewrite model.json as the earlier format wrote it (the checksum covers weights.bin only).
    const file = join(dir, 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const { callbackStates, ...training } = json.training;
    json.training = {
      ...training,
      callbacks: {
        '1:ReduceLROnPlateau': callbackStates.ReduceLROnPlateau,
        '2:ModelCheckpoint': callbackStates.ModelCheckpoint,
      },
    };
    writeFileSync(file, JSON.stringify(json));
    const resumed = compiled(4);
    const { epoch } = await resumed.loadWeights(dir);
    const again = new ReduceLROnPlateau({ monitor: 'flat', patience: 5 });
    let atStart: unknown = null;
    const spy = {
      onEpochBegin: () => {
        atStart = again.getState();
      },
    };
    await resumed.fit(x, y, {
      epochs: epoch + 1,
      initialEpoch: epoch,
      batchSize: 16,
      callbacks: [flat, again, spy],
    });
    expect(atStart).toEqual(saved);
  });
});

describe('readCheckpointInfo', () => {
  it("describes a checkpoint without building the model: epochs, architecture, compile settings, optimizer, callbacks' states", async () => {
    const { x, y } = data();
    const dir = join(scratch, 'info');
    expect(await readCheckpointInfo(dir)).toBeNull();
    const a = model(1);
    a.compile({
      optimizer: new Adam({ learningRate: 0.02 }),
      loss: sparseCategoricalCrossentropy({ fromLogits: true }),
      metrics: ['accuracy'],
    });
    await a.fit(x, y, { epochs: 2, batchSize: 16, callbacks: [new ModelCheckpoint(dir)] });
    const info = await readCheckpointInfo(new DirectoryStore(dir));
    expect(info).toMatchObject({
      location: dir,
      format: CHECKPOINT_FORMAT,
      epochsCompleted: 2,
      model: a.getConfig(),
      compile: a.getCompileConfig(),
      optimizer: { className: 'Adam', iterations: 8, learningRate: 0.02 },
      callbackStates: { ModelCheckpoint: { best: null } },
    });
    expect(info?.optimizer?.config).toEqual(a.optimizer.getConfig().config);
    expect(info?.weights).toEqual(a.weights.map((w) => ({ name: w.name, shape: w.variable.shape })));
    expect(info?.weightsByteLength).toBe(readFileSync(join(dir, 'weights.bin')).byteLength);
    // Saved uncompiled, outside fit.
    const bare = join(scratch, 'info-bare');
    await model(2).save(bare);
    expect(await readCheckpointInfo(bare)).toMatchObject({
      epochsCompleted: 0,
      compile: null,
      optimizer: null,
      callbackStates: {},
    });
  });

  it('a damaged checkpoint is an error that says what is wrong, as loading would say it', async () => {
    const dir = join(scratch, 'info-damaged');
    await model(1).save(dir);
    const file = join(dir, 'model.json');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.slice(0, 40));
    await expect(readCheckpointInfo(dir)).rejects.toThrow(`Checkpoint ${dir}: model.json is not valid JSON`);
    writeFileSync(file, good.replace(CHECKPOINT_FORMAT, 'keras.v3'));
    await expect(readCheckpointInfo(dir)).rejects.toThrow(
      `Checkpoint ${dir}: format "keras.v3" is not ${CHECKPOINT_FORMAT}`,
    );
    writeFileSync(file, good);
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(12));
    await expect(readCheckpointInfo(dir)).rejects.toThrow(
      /does not match model\.json .* damaged or from different saves/,
    );
    rmSync(join(dir, 'weights.bin'));
    await expect(readCheckpointInfo(dir)).rejects.toThrow(
      `${join(dir, 'weights.bin')} is missing (model.json is there)`,
    );
  });
});

describe('deleteCheckpoint (DirectoryStore)', () => {
  it('removes the checkpoint and its .old fallback, says whether there was one, and leaves the parent alone', async () => {
    const parent = join(scratch, 'delete');
    const dir = join(parent, 'mlp');
    expect(await deleteCheckpoint(dir)).toBe(false);
    await model(1).save(dir);
    writeFileSync(join(parent, 'notes.txt'), 'keep');
    expect(await deleteCheckpoint(dir)).toBe(true);
    expect(readdirSync(parent)).toEqual(['notes.txt']);
    expect(await readCheckpointInfo(dir)).toBeNull();
    await expect(model(1).loadWeights(dir)).rejects.toThrow(`No checkpoint at ${dir}.`);
    expect(await new DirectoryStore(dir).delete()).toBe(false);
    // A crash between save's two renames leaves only <dir>.old, which read falls back to: delete removes it too.
    await model(1).save(dir);
    renameSync(dir, `${dir}.old`);
    expect(await readCheckpointInfo(dir)).not.toBeNull();
    expect(await deleteCheckpoint(dir)).toBe(true);
    expect(await readCheckpointInfo(dir)).toBeNull();
    expect(readdirSync(parent)).toEqual(['notes.txt']);
    // Both there: the current one and a stale fallback; after the delete neither is read.
    await model(1).save(dir);
    await model(2).save(`${dir}.old`);
    expect(await deleteCheckpoint(dir)).toBe(true);
    expect(readdirSync(parent)).toEqual(['notes.txt']);
  });

  it('refuses to delete a file or a directory holding anything besides the checkpoint, and leaves them intact', async () => {
    const parent = join(scratch, 'delete-refused');
    const dir = join(parent, 'mlp');
    await model(1).save(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(deleteCheckpoint(dir)).rejects.toThrow(
      `Cannot delete the checkpoint at ${dir}: the directory holds other files besides model.json and weights.bin (notes.txt). Move them elsewhere, or remove the directory yourself.`,
    );
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'notes.txt', 'weights.bin']);
    expect(await readCheckpointInfo(dir)).not.toBeNull();
    const file = join(parent, 'file');
    writeFileSync(file, 'x');
    await expect(deleteCheckpoint(file)).rejects.toThrow(
      `Cannot delete the checkpoint at ${file}: it is a file, not a checkpoint directory.`,
    );
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
