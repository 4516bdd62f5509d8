/**
 * Optimizers of @opt/optimizers racing on one surface, each picked from the catalog with its own knobs (racers.ts):
 * each steps its own tf.Variable (the 2D point) with `minimize`, from the same start, on the same mini-batches.
 */
import { type Optimizer, PRESETS } from '@opt/optimizers';
import { Random, tf } from '@opt/tensor';
import { learningRateOf, type ScheduleSettings } from '../schedule-choice.js';
import { entryOf, MAX_RACERS, RACER_COLORS, type RacerSpec, racerNames } from './racers.js';
import type { Surface } from './surfaces.js';

export interface RaceSettings {
  readonly surface: Surface;
  readonly start: readonly [number, number];
  /** From 1 to {@link MAX_RACERS}, in legend order. */
  readonly racers: readonly RacerSpec[];
  readonly schedule: ScheduleSettings;
  /** Examples per step on a surface with mini-batch noise. */
  readonly batchSize: number;
}

export type RunnerStatus = 'running' | 'diverged';

export interface Runner {
  /** The legend's `data-optimizer`: a classic's id (`momentum`) or the preset's name (`lion`), numbered if repeated. */
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly optimizer: Optimizer;
  readonly point: tf.Variable;
  /** Positions after each step, the start first. */
  readonly path: Array<readonly [number, number]>;
  /** Full-surface loss at each position of `path`. */
  readonly losses: number[];
  status: RunnerStatus;
  /** Why it stopped, e.g. "loss reached 3.2e+12 at step 14". */
  reason: string;
}

/** A point this far out, or a loss this large, counts as diverged. */
const DIVERGED = 1e6;

/** Builds a racer's preset with its knobs; throws the preset's own error (named by racer) for a bad one. */
function makeOptimizer(spec: RacerSpec, index: number, schedule: ScheduleSettings): Optimizer {
  const entry = entryOf(spec.optimizer);
  try {
    const Preset = PRESETS[entry.className as keyof typeof PRESETS] as unknown as new (
      options: Record<string, unknown>,
    ) => Optimizer;
    return new Preset({
      ...spec.options,
      learningRate: learningRateOf(spec.learningRate, schedule),
      // Keras's behaviour: a diverging run overflows and the legend says so. The default guard would double
      // the kernels of these two-weight problems, and the race stops a runner at the first huge loss anyway.
      nonFiniteGradients: 'unchecked',
    });
  } catch (error) {
    throw new RangeError(`Racer ${index + 1}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Every racer's optimizer, or the first one's error after freeing those already built. */
function makeOptimizers(settings: RaceSettings): Optimizer[] {
  const { racers } = settings;
  if (racers.length < 1 || racers.length > MAX_RACERS) {
    throw new RangeError(`A race needs 1 to ${MAX_RACERS} racers, got ${racers.length}: add or remove racers.`);
  }
  const made: Optimizer[] = [];
  try {
    for (const [i, spec] of racers.entries()) made.push(makeOptimizer(spec, i, settings.schedule));
  } catch (error) {
    for (const o of made) o.dispose();
    throw error;
  }
  return made;
}

export class Race {
  readonly runners: Runner[];
  /** Steps taken. */
  step = 0;
  private readonly random = new Random(11);
  private disposed = false;

  /** Throws (before creating any tensor) when a knob is out of range, with the optimizer's own message. */
  constructor(readonly settings: RaceSettings) {
    const mb = settings.surface.minibatch;
    if (
      mb !== undefined &&
      !(Number.isInteger(settings.batchSize) && settings.batchSize >= 1 && settings.batchSize <= mb.count)
    ) {
      throw new RangeError(`Mini-batch size must be an integer from 1 to ${mb.count}, got ${settings.batchSize}.`);
    }
    const optimizers = makeOptimizers(settings);
    const names = racerNames(settings.racers);
    const [x0, y0] = settings.start;
    const startLoss = tf.tidy(() => settings.surface.loss(tf.scalar(x0), tf.scalar(y0)).dataSync()[0] as number);
    this.runners = optimizers.map((optimizer, i) => ({
      ...(names[i] as { id: string; label: string }),
      color: RACER_COLORS[i] as string,
      optimizer,
      // tf.variable shares the initial tensor's data: made in a tidy, so that tensor is freed.
      point: tf.tidy(() => tf.variable(tf.tensor1d([x0, y0]), true, `playground-${i}-${Race.instances++}`)),
      path: [[x0, y0]],
      losses: [startLoss],
      status: 'running' as RunnerStatus,
      reason: '',
    }));
  }

  private static instances = 0;

  get running(): boolean {
    return this.runners.some((r) => r.status === 'running');
  }

  /** One step of every optimizer still running, then one read-back of all positions and losses. */
  async advance(): Promise<void> {
    if (this.disposed) return;
    const { surface, batchSize } = this.settings;
    const active = this.runners.filter((r) => r.status === 'running');
    if (active.length === 0) return;
    const mb = surface.minibatch;
    // One mini-batch per step, the same for every optimizer: the race is fair.
    const indices =
      mb === undefined ? null : tf.tensor1d(this.random.permutation(mb.count).subarray(0, batchSize), 'int32');
    for (const r of active) {
      const loss = r.optimizer.minimize(() => {
        const [x, y] = tf.unstack(r.point) as [tf.Scalar, tf.Scalar];
        return indices === null || mb === undefined ? (surface.loss(x, y) as tf.Scalar) : mb.loss(x, y, indices);
      }, [r.point]);
      loss.dispose();
    }
    indices?.dispose();
    this.step += 1;
    const values = tf.tidy(() => {
      const points = tf.stack(active.map((r) => r.point));
      const [xs, ys] = tf.unstack(points, 1) as [tf.Tensor1D, tf.Tensor1D];
      return tf.concat([tf.reshape(points, [-1]), surface.loss(xs, ys)]);
    });
    const data = await values.data();
    values.dispose();
    active.forEach((r, i) => {
      const x = data[2 * i] as number;
      const y = data[2 * i + 1] as number;
      const loss = data[2 * active.length + i] as number;
      r.path.push([x, y]);
      r.losses.push(loss);
      if (
        r.status === 'running' &&
        (!Number.isFinite(loss) || Math.abs(loss) > DIVERGED || Math.hypot(x, y) > DIVERGED)
      ) {
        r.status = 'diverged';
        r.reason = `the loss reached ${loss.toExponential(1)} at step ${this.step}`;
      }
    });
  }

  /** Distance from a runner's current point to the nearest minimum. */
  distanceToMinimum(r: Runner): number {
    const [x, y] = r.path[r.path.length - 1] as readonly [number, number];
    return Math.min(...this.settings.surface.minima().map(([mx, my]) => Math.hypot(x - mx, y - my)));
  }

  dispose(): void {
    this.disposed = true;
    for (const r of this.runners) {
      r.point.dispose();
      r.optimizer.dispose();
    }
  }
}
