/**
 * `opt train --export-tfjs`: the trained model as a tfjs-layers model in `<run>/tfjs`, taking raw pixels.
 *
 * The run feeds the model normalized pixels (`--normalize`), which a TensorFlow.js app does not have; so the export
 * starts with a `Rescaling` layer that does the same normalization, and the app feeds it the 784 pixel values
 * 0..255 of an image as they are.
 */
import { join } from 'node:path';
import { type NormalizeMode, STD_EPSILON, type Statistics } from '@opt/data-fashion-mnist';
import { exportLayersModel, loadModel, Rescaling, type Sequential } from '@opt/layers';
import { tf, useBackend } from '@opt/tensor';
import type { RunDir, RunRecord } from './run-dir.js';

/** The export's directory in a run directory. */
export function tfjsExportDir(runDir: string): string {
  return join(runDir, 'tfjs');
}

/**
 * The run's input normalization as one `Rescaling` (`y = x * scale + offset`), or null for `none`:
 * `rescale` is `x / 255`; `standardize` is `(x / 255 - mean) / max(std, 1e-7)` with the training split's
 * global pixel mean and std, so `scale = 1 / (255 max(std, 1e-7))` and `offset = -mean / max(std, 1e-7)`, the
 * affine map @opt/data-fashion-mnist's `normalizeImages` applies.
 */
export function inputRescaling(prepare: { normalize: NormalizeMode; statistics?: Statistics }): Rescaling | null {
  if (prepare.normalize === 'none') return null;
  if (prepare.normalize === 'rescale') return new Rescaling({ scale: 1 / 255, name: 'normalize_pixels' });
  const statistics = prepare.statistics;
  if (statistics === undefined || statistics.mean.length !== 1) {
    throw new Error('--export-tfjs: standardize needs the global pixel statistics of the training split.');
  }
  const std = Math.max(statistics.std[0] as number, STD_EPSILON);
  return new Rescaling({
    scale: 1 / (255 * std),
    offset: -(statistics.mean[0] as number) / std,
    name: 'normalize_pixels',
  });
}

/** Writes `<runDir>/tfjs/model.json` and `weights.bin`: the normalization, then the model's layers and weights. */
export async function exportTfjs(
  model: Sequential,
  prepare: { normalize: NormalizeMode; statistics?: Statistics },
  runDir: string,
): Promise<string> {
  const rescaling = inputRescaling(prepare);
  const directory = tfjsExportDir(runDir);
  await exportLayersModel(
    {
      name: model.name,
      layers: rescaling === null ? model.layers : [rescaling, ...model.layers],
      inputShape: model.inputShape,
      weights: model.weights,
    },
    directory,
  );
  return join(directory, 'model.json');
}

/**
 * `opt train --resume DIR --export-tfjs` on a complete run: the export from `checkpoints/last` (the final weights,
 * EMA's included) and the normalization `config.json` records, on the cpu backend (no training runs).
 */
export async function exportCompleteRun(dir: RunDir, record: RunRecord): Promise<string> {
  tf.enableProdMode(); // no "running TensorFlow.js in Node.js" banner on stderr
  await useBackend('cpu');
  const model = await loadModel(dir.lastCheckpoint, { compile: false });
  try {
    const { mean, std } = record.environment.dataset.statistics;
    const statistics: Statistics = { axis: 'global', mean: Float64Array.of(mean), std: Float64Array.of(std) };
    return await exportTfjs(model, { normalize: record.config.normalize, statistics }, dir.path);
  } finally {
    model.dispose();
  }
}
