import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optIn, type Result, realDataDir, scratch } from './testing/fixtures/opt.js';

// Quick runs on the real dataset: 30 images per class, validated on the last 1/12 of the training images.
const quick = ['--backend', 'wasm', '--per-class', '30', '--epochs', '3', '--batch-size', '16'];
const work = scratch();
const run = (...args: string[]) => optIn(work.dir, ...args);
const json = (r: Result) => JSON.parse(r.stdout);
const read = (...path: string[]) => readFileSync(join(work.dir, ...path), 'utf8');
const readJson = (...path: string[]) => JSON.parse(read(...path));

let a: Result;
let b: Result;
let c: Result;
beforeAll(async () => {
  [a, b, c] = await Promise.all([
    run('train', ...quick, '--out', 'a', '--note', 'first', '--json'),
    run('train', ...quick, '--out', 'b', '--json'),
    run('train', ...quick, '--seed', '7', '--out', 'c', '--json'),
  ]);
});
afterAll(() => work.remove());

describe('opt train (a real process on the real dataset)', () => {
  it('trains, validates and tests, printing exactly one JSON document and nothing on stderr', () => {
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const result = json(a);
    expect(result.status).toBe('complete');
    expect(result.backend).toBe('wasm');
    // Split, then subset: 30 per class of the first floor(60000 (1 - 1/12)) = 55000; the last 5000 validate.
    expect(result.trainCount).toBe(300);
    expect(result.validationCount).toBe(5000);
    expect(result.stepsPerEpoch).toBe(Math.ceil(300 / 16));
    expect(result.optimizer.className).toBe('Adam');
    expect(result.history.loss).toHaveLength(3);
    expect(result.history.val_accuracy).toHaveLength(3);
    // Three epochs of Adam on standardized inputs: the loss falls and the test set is far above chance (0.1).
    expect(result.history.loss[2]).toBeLessThan(result.history.loss[0]);
    expect(result.test.accuracy).toBeGreaterThan(0.45);
    expect(result.test.accuracy).toBeLessThanOrEqual(1);
    expect(result.note).toBe('first');
  });

  it('writes the run directory: resolved config with versions and dataset hashes, history, checkpoints, charts, then the completion mark', () => {
    const config = readJson('a', 'config.json');
    expect(config.config).toMatchObject({
      optimizer: 'adam',
      learningRate: 0.001,
      beta1: 0.9,
      perClass: 30,
      epochs: 3,
      batchSize: 16,
      seed: 42,
      backend: 'wasm',
    });
    expect(config.environment.backend.name).toBe('wasm');
    expect(config.environment.versions['@tensorflow/tfjs-core']).toBe('4.22.0');
    expect(Object.keys(config.environment.versions)).toContain('@opt/optimizers');
    // The official sha256 of the uncompressed training labels (Zalando's release), independent of our code.
    expect(config.environment.dataset.files.trainLabels.sha256).toBe(
      'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    );
    expect(config.note).toBe('first');
    expect(readJson('a', 'status.json').state).toBe('complete');
    const history = readJson('a', 'history.json');
    expect(history.epochs).toHaveLength(3);
    expect(history.epochs.map((e: { loss: number }) => e.loss)).toEqual(json(a).history.loss);
    const csv = read('a', 'history.csv').trim().split('\n');
    expect(csv[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,steps');
    expect(csv).toHaveLength(4);
    for (const which of ['best', 'last'])
      expect(readdirSync(join(work.dir, 'a', 'checkpoints', which)).sort()).toEqual(['model.json', 'weights.bin']);
    for (const chart of ['loss', 'accuracy', 'learning-rate']) {
      expect(read('a', 'charts', `${chart}.svg`)).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect([...readFileSync(join(work.dir, 'a', 'charts', `${chart}.png`)).subarray(0, 8)]).toEqual([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
      ]);
    }
    expect(readdirSync(join(work.dir, 'a')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('gives the same run for the same seed, and another for another seed', () => {
    expect(json(b).history).toEqual(json(a).history);
    expect(json(c).history.loss).not.toEqual(json(a).history.loss);
  });

  it('prints readable epochs and applies the chapter decay lr0 / (1 + r * epoch) per epoch', async () => {
    // 120 training images (12 per class) in one batch: batch gradient descent, one step per epoch.
    const { code, stdout } = await run(
      'train',
      '--backend',
      'wasm',
      '--per-class',
      '12',
      '--epochs',
      '3',
      '--optimizer',
      'sgd',
      '--momentum',
      '0.9',
      '--learning-rate',
      '0.1',
      '--decay-rate',
      '1',
      '--batch-size',
      'full',
      '--out',
      'decay',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('backend: wasm');
    expect(stdout).toMatch(
      /sgd\(.*momentum: 0\.9.*InverseTimeDecay\(initialLearningRate: 0\.1, decaySteps: 1, decayRate: 1/,
    );
    expect(stdout).toContain('training on 120 images (1 steps of 120 per epoch), validating on 5000');
    // The rate at each epoch's end, as Keras logs it: lr0 / (1 + r * epoch) after epochs 1, 2 and 3.
    const rates = [...stdout.matchAll(/^epoch \d\/3: .* lr (\S+) /gm)].map((m) => Number(m[1]));
    expect(rates).toEqual([0.1 / 2, 0.1 / 3, 0.1 / 4].map((r) => Number(r.toPrecision(4))));
    expect(stdout).toMatch(/^test: loss \d+\.\d{4} accuracy \d\.\d{4}$/m);
    expect(stdout).toMatch(/^val_loss by epoch: [▁-█]{3} /m);
    expect(stdout).toMatch(/^saved: decay /m);
  });

  it('writes a default run directory under runs/ named by time and the knobs that differ', async () => {
    const { code, stdout } = await run('train', ...quick, '--epochs', '1', '--optimizer', 'momentum');
    expect(code).toBe(0);
    const dirs = readdirSync(join(work.dir, 'runs'));
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^\d{8}-\d{6}-optimizer=sgd,momentum=0\.9,epochs=1,batchSize=16,perClass=30,backend=wasm$/);
    expect(stdout).toContain(`run: ${join('runs', dirs[0] as string)}`);
  });
});

describe('opt runs, evaluate and predict on those runs', () => {
  it('lists the runs with date, knobs, best validation accuracy, test accuracy, time and note', async () => {
    const { code, stdout } = await run('runs', 'list', '--root', '.', '--json');
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<{
      path: string;
      state: string;
      knobs: Array<{ key: string }>;
      testAccuracy: number;
    }>;
    const byName = new Map(rows.map((r) => [r.path.split('/').at(-1), r]));
    expect(byName.get('a')?.state).toBe('complete');
    expect(byName.get('a')?.testAccuracy).toBe(json(a).test.accuracy);
    expect(byName.get('c')?.knobs.map((k) => k.key)).toEqual(['epochs', 'batchSize', 'perClass', 'seed', 'backend']);
    const text = await run('runs', 'list', '--root', '.');
    expect(text.stdout).toMatch(
      /│ a +│ \d{4}-\d\d-\d\d \d\d:\d\d │ complete +│ epochs=3 batchSize=16 perClass=30 backend=wasm +│ [\d.]+% \(ep \d\) │ [\d.]+% +│ [\d.]+ s +│ first/,
    );
  });

  it('shows a run: its knobs, history and advice', async () => {
    const { code, stdout } = await run('runs', 'show', 'c');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^c: complete/m);
    expect(stdout).toMatch(/\* seed +│ 7 /);
    expect(stdout).toMatch(/│ 3 +│ \d\.\d{4} │/);
  });

  it('diffs two runs: exactly the knobs that differ and the metric deltas', async () => {
    const { code, stdout } = await run('runs', 'diff', 'a', 'c', '--json');
    expect(code).toBe(0);
    const diff = JSON.parse(stdout);
    expect(diff.knobs).toEqual([{ key: 'seed', a: 42, b: 7 }]);
    const test = diff.metrics.find((m: { name: string }) => m.name === 'test accuracy');
    expect(test.delta).toBeCloseTo(json(c).test.accuracy - json(a).test.accuracy, 12);
    const same = await run('runs', 'diff', 'a', 'b');
    expect(same.stdout).toContain('no knob differs');
  });

  it("evaluates the saved run on the test set: the run's own accuracy, per class, and a confusion matrix", async () => {
    const { code, stdout } = await run('evaluate', 'a', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.test.accuracy).toBe(json(a).test.accuracy);
    const matrix = report.confusionMatrix as number[][];
    expect(matrix.flat().reduce((s, v) => s + v, 0)).toBe(10_000);
    expect(matrix.map((row) => row.reduce((s, v) => s + v, 0))).toEqual(new Array(10).fill(1000));
    expect(matrix.reduce((s, row, i) => s + (row[i] as number), 0) / 10_000).toBeCloseTo(report.test.accuracy, 6);
    expect(report.perClass[1].name).toBe('Trouser');
    const text = await run('evaluate', 'a', '--checkpoint', 'best');
    expect(text.stdout).toContain('confusion matrix (rows: true class, columns: predicted class)');
  });

  it('predicts test images by index with the probability of each class', async () => {
    const { code, stdout } = await run('predict', 'a', '--index', '0..9', '--json');
    expect(code).toBe(0);
    const predictions = JSON.parse(stdout) as Array<{
      index: number;
      label: number;
      predicted: number;
      probabilities: number[];
    }>;
    // The labels straight from the test file, read here without our loader.
    const labels = gunzipSync(readFileSync(join(realDataDir(), 't10k-labels-idx1-ubyte.gz'))).subarray(8, 18);
    expect(predictions.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(predictions.map((p) => p.label)).toEqual([...labels]);
    for (const p of predictions) {
      expect(p.probabilities.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(p.predicted).toBe(p.probabilities.indexOf(Math.max(...p.probabilities)));
    }
    const text = await run('predict', 'a', '--index', '3');
    expect(text.stdout).toMatch(/│ 3 +│ Trouser /);
  });
});
