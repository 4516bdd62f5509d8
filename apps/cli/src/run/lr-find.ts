/**
 * The learning-rate range test (Smith 2017, "Cyclical Learning Rates"; fastai's lr_find): train from the
 * initial weights while the rate grows exponentially from `startLr` to `endLr`, one batch per rate, and
 * record the loss. The loss first barely moves (rate too low), then falls fast, then explodes (rate too high).
 * The suggestion is the rate one decade below the minimum of the smoothed loss.
 */
import { type Batch, type BatchIterator, batches } from '@opt/data-fashion-mnist';
import type { FitCallback } from '@opt/layers';
import { NonFiniteGradientError } from '@opt/optimizers';
import { exponentialDecay } from '@opt/schedules';
import { tf, useBackend, type WasmThreads } from '@opt/tensor';
import type { TrainConfig } from '../config/knobs.js';
import { finite, writeChart } from './charts.js';
import { loadData, makeSplits } from './data.js';
import { buildModel, buildOptimizer, checkMemory } from './model.js';
import { type RunDir, writeAtomic } from './run-dir.js';

/** The range and length of the test when not given (`opt lr-find`'s defaults). */
export const LR_FIND_DEFAULTS = { startLr: 1e-7, endLr: 10, steps: 300 } as const;

export interface LrFindOptions {
  readonly startLr: number;
  readonly endLr: number;
  readonly steps: number;
  /** The wasm backend's threads (default 'auto'). */
  readonly threads?: WasmThreads;
  readonly signal?: AbortSignal;
  readonly onStep?: (step: number, steps: number) => void;
}

export interface LrPoint {
  step: number;
  learningRate: number;
  loss: number;
  /** Exponential moving average of the loss (beta 0.98), bias-corrected. */
  smoothed: number;
}

export interface LrFindResult {
  format: 'opt.lr-find.v1';
  config: TrainConfig;
  backend: string;
  startLr: number;
  endLr: number;
  steps: number;
  points: LrPoint[];
  /** Why the test ended before `steps`, or null. */
  stopped: string | null;
  minimum: { learningRate: number; smoothed: number } | null;
  steepest: { learningRate: number } | null;
  suggestion: { learningRate: number; rule: string } | null;
}

/** Smoothing of the loss curve, as fastai's lr_find. */
export const SMOOTHING = 0.98;
/** Stop when the smoothed loss exceeds this multiple of its minimum. */
export const EXPLODE_FACTOR = 4;

/** Batches of as many epochs as it takes to make `steps` steps, as one long epoch. */
function continuousSource(source: BatchIterator, steps: number) {
  return {
    batchesPerEpoch: steps,
    batches: () => ({
      *[Symbol.iterator](): Generator<Batch> {
        let made = 0;
        for (let epoch = 0; made < steps; epoch++) {
          for (const batch of source.batches(epoch)) {
            if (made++ >= steps) {
              tf.dispose([batch.x, batch.y]);
              return;
            }
            yield batch;
          }
        }
      },
    }),
  };
}

/** Rule: the rate one decade below where the smoothed loss was lowest (fastai's `lr_min / 10`). */
export function suggest(points: readonly LrPoint[]): Pick<LrFindResult, 'minimum' | 'steepest' | 'suggestion'> {
  const finitePoints = points.filter((p) => Number.isFinite(p.smoothed));
  if (finitePoints.length < 3) return { minimum: null, steepest: null, suggestion: null };
  let min = finitePoints[0] as LrPoint;
  for (const p of finitePoints) if (p.smoothed < min.smoothed) min = p;
  // The steepest descent of the smoothed loss against log(rate), skipping the noisy start.
  let steepest: LrPoint | null = null;
  let slope = 0;
  const from = Math.floor(finitePoints.length / 10);
  for (let i = Math.max(1, from); i < finitePoints.length; i++) {
    const a = finitePoints[i - 1] as LrPoint;
    const b = finitePoints[i] as LrPoint;
    const s = (b.smoothed - a.smoothed) / (Math.log(b.learningRate) - Math.log(a.learningRate));
    if (s < slope && b.learningRate <= min.learningRate) {
      slope = s;
      steepest = b;
    }
  }
  return {
    minimum: { learningRate: min.learningRate, smoothed: min.smoothed },
    steepest: steepest === null ? null : { learningRate: steepest.learningRate },
    suggestion: {
      learningRate: Number((min.learningRate / 10).toPrecision(2)),
      rule: 'one decade below the rate at the minimum of the smoothed loss (fastai: lr_min / 10)',
    },
  };
}

export async function findLearningRate(config: TrainConfig, options: LrFindOptions): Promise<LrFindResult> {
  tf.enableProdMode();
  const report = await useBackend(config.backend, { threads: options.threads ?? 'auto' });
  const { data } = await loadData(config);
  const splits = makeSplits(data, config);
  checkMemory(config, splits.batchSize, report.backend);
  const source = batches(splits.train, { batchSize: splits.batchSize, seed: config.seed, ...splits.prepare });
  const growth = (options.endLr / options.startLr) ** (1 / Math.max(1, options.steps - 1));
  const schedule = exponentialDecay({ initialLearningRate: options.startLr, decaySteps: 1, decayRate: growth });
  const optimizer = buildOptimizer(config, schedule);
  const model = buildModel(config);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  const points: LrPoint[] = [];
  let average = 0;
  let stopped: string | null = null;
  let lowest = Number.POSITIVE_INFINITY;
  const recorder: FitCallback = {
    onBatchEnd: async (batch, logs) => {
      // One read-back per step: the test needs every step's loss.
      const loss = await logs.readLoss();
      const learningRate = schedule(batch);
      average = SMOOTHING * average + (1 - SMOOTHING) * loss;
      const smoothed = average / (1 - SMOOTHING ** (batch + 1));
      points.push({ step: batch, learningRate, loss, smoothed });
      options.onStep?.(batch + 1, options.steps);
      if (Number.isFinite(smoothed)) lowest = Math.min(lowest, smoothed);
      if (!Number.isFinite(loss)) stopped = `the loss was ${loss} at rate ${learningRate.toPrecision(3)}`;
      else if (smoothed > EXPLODE_FACTOR * lowest) {
        stopped = `the smoothed loss exceeded ${EXPLODE_FACTOR}x its minimum at rate ${learningRate.toPrecision(3)}`;
      } else if (options.signal?.aborted === true) stopped = 'stopped by a signal';
      if (stopped !== null) model.stopTraining = true;
    },
  };
  try {
    await model.fit(continuousSource(source, options.steps), { epochs: 1, callbacks: [recorder] });
  } catch (error) {
    if (!(error instanceof NonFiniteGradientError)) throw error;
    stopped = `a non-finite gradient at step ${error.step}, rate ${schedule(error.step).toPrecision(3)}`;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  return {
    format: 'opt.lr-find.v1',
    config,
    backend: report.backend,
    startLr: options.startLr,
    endLr: options.endLr,
    steps: options.steps,
    points,
    stopped,
    ...suggest(points),
  };
}

/** Writes a range test into `dir`: lr-find.json, lr-find.csv and the chart; returns the chart's paths. */
export async function writeLrFind(dir: RunDir, result: LrFindResult): Promise<string[]> {
  await dir.writeJson('lr-find.json', result);
  await writeAtomic(
    dir.file('lr-find.csv'),
    `step,learning_rate,loss,smoothed\n${result.points.map((p) => `${p.step},${p.learningRate},${p.loss},${p.smoothed}`).join('\n')}\n`,
  );
  return writeChart(dir.chartsDir, 'lr-find', {
    title:
      result.suggestion === null
        ? 'loss against learning rate'
        : `loss against learning rate (suggested ${result.suggestion.learningRate})`,
    values: result.points.flatMap((p) => [
      { learning_rate: p.learningRate, curve: 'loss', loss: finite(p.loss) },
      { learning_rate: p.learningRate, curve: 'smoothed', loss: finite(p.smoothed) },
    ]),
    x: { field: 'learning_rate', title: 'learning rate', log: true },
    y: { field: 'loss', title: 'training loss' },
    series: { field: 'curve', title: '' },
  });
}
