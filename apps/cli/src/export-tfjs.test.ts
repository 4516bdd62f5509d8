/**
 * `opt train --export-tfjs` in a real process: the run directory's `tfjs/` loads with tfjs-layers'
 * `loadLayersModel` here and, fed the raw pixels of real test images, predicts what the run's own model predicts on
 * the normalized pixels the run feeds it (the checkpoint, rebuilt by @opt/layers' loadModel).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { normalizeImages } from '@opt/data-fashion-mnist';
import { loadModel } from '@opt/layers';
import { tf, useBackend } from '@opt/tensor';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optIn, type Result, realDataDir, scratch } from './testing/fixtures/opt.js';

const work = scratch('opt-cli-tfjs-');
let run: Result;
beforeAll(async () => {
  await useBackend('cpu');
  run = await optIn(
    work.dir,
    'train',
    ...['--backend', 'wasm', '--per-class', '12', '--epochs', '1', '--batch-size', '16', '--batch-norm'],
    // 600 validation images, not 5,000: the export is what is checked.
    ...['--validation-split', '0.01', '--export-tfjs', '--out', 'r', '--json'],
  );
});
afterAll(() => work.remove());

/** The first `n` test images of the real dataset, 784 bytes each. */
function testImages(n: number): Uint8Array {
  const file = gunzipSync(readFileSync(join(realDataDir(), 't10k-images-idx3-ubyte.gz')));
  return new Uint8Array(file.subarray(16, 16 + n * 784)); // the IDX header is 16 bytes
}

describe('opt train --export-tfjs (a real process on the real dataset)', () => {
  it('writes <run>/tfjs, which tf.loadLayersModel loads and which predicts the run model’s probabilities from raw pixels', async () => {
    // --json keeps stdout to the result; the note saying where the export went is the only line on stderr.
    expect(run.stderr).toMatch(
      /^tfjs-layers model: \S*r\/tfjs\/model\.json \(784 pixel values 0\.\.255 in; tf\.loadLayersModel\)\n$/,
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).status).toBe('complete');
    const dir = join(work.dir, 'r', 'tfjs');
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const bin = readFileSync(join(dir, 'weights.bin'));
    const exported = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    );
    expect(exported.layers.map((l) => l.getClassName())).toEqual([
      'Rescaling',
      ...['Dense', 'BatchNormalization', 'ReLU', 'Dense', 'BatchNormalization', 'ReLU', 'Dense'],
    ]);

    const ours = await loadModel(join(work.dir, 'r', 'checkpoints', 'last'), { compile: false });
    const { mean, std } = JSON.parse(readFileSync(join(work.dir, 'r', 'config.json'), 'utf8')).environment.dataset
      .statistics as { mean: number; std: number };
    const images = testImages(200);
    const statistics = { axis: 'global' as const, mean: Float64Array.of(mean), std: Float64Array.of(std) };
    const normalized = tf.tensor2d(normalizeImages(images, 'standardize', statistics), [200, 784]);
    const raw = tf.tensor2d(Float32Array.from(images), [200, 784]);
    const expected = ours.predict(normalized);
    const got = exported.predict(raw) as tf.Tensor;
    // The same affine map on the pixels, in float32 here and rounded from float64 by the data package.
    const diff = tf.max(tf.abs(tf.sub(expected, got))).dataSync()[0] as number;
    expect(diff).toBeLessThan(1e-6);
    tf.dispose([normalized, raw, expected, got]);
    exported.dispose();
    ours.dispose();
  });

  it('--resume DIR --export-tfjs on the complete run writes the same files again, from checkpoints/last', async () => {
    const dir = join(work.dir, 'r', 'tfjs');
    const before = ['model.json', 'weights.bin'].map((f) => readFileSync(join(dir, f)));
    rmSync(dir, { recursive: true });
    const again = await optIn(work.dir, 'train', '--resume', 'r', '--export-tfjs', '--json');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^tfjs-layers model: \S*r\/tfjs\/model\.json/);
    expect(JSON.parse(again.stdout).status).toBe('complete');
    expect(['model.json', 'weights.bin'].map((f) => readFileSync(join(dir, f)))).toEqual(before);
  });
});
