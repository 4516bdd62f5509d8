/** A finished (or stopped) run read back: its record, a checkpoint as a model, and its test set prepared as in training. */
import { statSync } from 'node:fs';
import { type FashionMnistSplit, type Statistics, toTensors } from '@opt/data-fashion-mnist';
import { loadModel, type Sequential } from '@opt/layers';
import { type BackendRequest, tf, useBackend } from '@opt/tensor';
import { RunError, UsageError } from '../cli/errors.js';
import { BACKEND_CHOICES } from '../config/knobs.js';
import { loadData } from './data.js';
import { RunDir, type RunRecord } from './run-dir.js';

export interface SavedRun {
  readonly dir: RunDir;
  readonly record: RunRecord;
  readonly model: Sequential;
  readonly test: FashionMnistSplit;
  readonly classNames: readonly string[];
  /** The normalization of training, with the training split's statistics. */
  readonly prepare: { normalize: RunRecord['config']['normalize']; statistics?: Statistics };
  /** The checkpoint's directory, and which one it is. */
  readonly checkpoint: string;
  readonly which: 'last' | 'best';
  readonly backend: string;
}

/** Opens `path` as a run directory, or says why it is not one. */
export function openRun(path: string, option = 'DIR'): { dir: RunDir; record: RunRecord } {
  const dir = new RunDir(path);
  if (!dir.exists())
    throw new UsageError(`${path}: no such directory; \`opt runs list\` shows the runs.`, option, path);
  const record = dir.isRun() ? dir.record() : null;
  if (record === null)
    throw new UsageError(
      `${path}: not a run directory (no config.json); \`opt runs list\` shows the runs.`,
      option,
      path,
    );
  return { dir, record };
}

/** `--checkpoint`: last (the default) or best. */
function checkpointOf(given: string | undefined): 'last' | 'best' {
  const which = given ?? 'last';
  if (which !== 'last' && which !== 'best')
    throw new UsageError(`--checkpoint must be last or best, got "${which}".`, '--checkpoint', which);
  return which;
}

/** `checkpointFlag`: `--checkpoint` as given (last or best; last when not given). */
export async function loadSavedRun(
  path: string,
  checkpointFlag: string | undefined,
  backend: string | undefined,
): Promise<SavedRun> {
  const which = checkpointOf(checkpointFlag);
  const { dir, record } = openRun(path);
  const checkpoint = which === 'best' ? dir.bestCheckpoint : dir.lastCheckpoint;
  const exists = [checkpoint, `${checkpoint}.old`].some((p) => {
    try {
      return statSync(`${p}/model.json`).isFile();
    } catch {
      return false;
    }
  });
  if (!exists) {
    throw new RunError(
      `${path}: no ${which} checkpoint (${checkpoint}); ${which === 'best' ? 'the run finished no epoch yet: use --checkpoint last' : 'the run stopped before its first checkpoint'}.`,
      checkpoint,
    );
  }
  const request = backend ?? record.environment.backend.name;
  if (!(BACKEND_CHOICES as readonly string[]).includes(request)) {
    throw new UsageError(
      `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${request}".`,
      '--backend',
      request,
    );
  }
  tf.enableProdMode();
  const report = await useBackend(request as BackendRequest);
  const { data } = await loadData(record.config);
  const { mean, std } = record.environment.dataset.statistics;
  const statistics: Statistics = { axis: 'global', mean: Float64Array.of(mean), std: Float64Array.of(std) };
  const normalize = record.config.normalize;
  let model: Sequential;
  try {
    model = await loadModel(checkpoint);
  } catch (error) {
    throw new RunError(`${checkpoint}: ${(error as Error).message}`, checkpoint, { cause: error });
  }
  return {
    dir,
    record,
    model,
    test: data.test,
    classNames: data.classNames,
    prepare: normalize === 'standardize' ? { normalize, statistics } : { normalize },
    checkpoint,
    which,
    backend: report.backend,
  };
}

/** Runs `use` on the run's test images as tensors (normalized as in training), then frees them and the model. */
export async function onTestSet<T>(
  run: SavedRun,
  use: (x: ReturnType<typeof toTensors>['x'], y: ReturnType<typeof toTensors>['y']) => Promise<T>,
): Promise<T> {
  const { x, y } = toTensors(run.test, run.prepare);
  try {
    return await use(x, y);
  } finally {
    tf.dispose([x, y]);
    run.model.dispose();
  }
}
