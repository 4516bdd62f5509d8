/**
 * Five optimizers of @opt/optimizers racing on one surface: each steps its
 * own tf.Variable (the 2D point) with `minimize`, from the same start, on the
 * same mini-batches.
 */
import { Adam, type Optimizer, RMSprop, SGD } from '@opt/optimizers';
import { Random, tf } from '@opt/tensor';
import { learningRateOf, type ScheduleSettings } from '../schedule-choice.js';
import type { LearningRates, OptimizerId, Surface } from './surfaces.js';

export const OPTIMIZERS: ReadonlyArray<{ readonly id: OptimizerId; readonly label: string; readonly color: string }> = [
  { id: 'sgd', label: 'SGD', color: '#4269d0' },
  { id: 'momentum', label: 'SGD + momentum', color: '#efb118' },
  { id: 'nesterov', label: 'Nesterov', color: '#ff725c' },
  { id: 'rmsprop', label: 'RMSprop', color: '#3ca951' },
  { id: 'adam', label: 'Adam', color: '#a463f2' },
];

export interface RaceSettings {
  readonly surface: Surface;
  readonly start: readonly [number, number];
  readonly learningRates: LearningRates;
  /** SGD + momentum and Nesterov. */
  readonly momentum: number;
  /** RMSprop. */
  readonly rho: number;
  /** Adam. */
  readonly beta1: number;
  readonly beta2: number;
  /** RMSprop and Adam. */
  readonly epsilon: number;
  readonly schedule: ScheduleSettings;
  /** Examples per step on a surface with mini-batch noise. */
  readonly batchSize: number;
}

export type RunnerStatus = 'running' | 'diverged';

export interface Runner {
  readonly id: OptimizerId;
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

/** Builds each optimizer with the settings' knobs; throws the package's RangeError for a bad one. */
function makeOptimizer(id: OptimizerId, s: RaceSettings): Optimizer {
  const learningRate = learningRateOf(s.learningRates[id], s.schedule);
  // Keras's behaviour: a diverging run overflows and the legend says so. The default guard would double
  // the kernels of these two-weight problems, and the race stops a runner at the first huge loss anyway.
  const nonFiniteGradients = 'unchecked';
  switch (id) {
    case 'sgd':
      return new SGD({ learningRate, nonFiniteGradients });
    case 'momentum':
      return new SGD({ learningRate, momentum: s.momentum, nonFiniteGradients });
    case 'nesterov':
      return new SGD({ learningRate, momentum: s.momentum, nesterov: true, nonFiniteGradients });
    case 'rmsprop':
      return new RMSprop({ learningRate, rho: s.rho, epsilon: s.epsilon, nonFiniteGradients });
    case 'adam':
      return new Adam({ learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, nonFiniteGradients });
  }
}

export class Race {
  readonly runners: Runner[];
  /** Steps taken. */
  step = 0;
  private readonly random = new Random(11);
  private disposed = false;

  /** Throws (before creating any tensor) when a knob is out of range, with the optimizer's own message. */
  constructor(readonly settings: RaceSettings) {
    const optimizers = OPTIMIZERS.map((o) => makeOptimizer(o.id, settings));
    const mb = settings.surface.minibatch;
    if (
      mb !== undefined &&
      !(Number.isInteger(settings.batchSize) && settings.batchSize >= 1 && settings.batchSize <= mb.count)
    ) {
      throw new RangeError(`Mini-batch size must be an integer from 1 to ${mb.count}, got ${settings.batchSize}.`);
    }
    const [x0, y0] = settings.start;
    const startLoss = tf.tidy(() => settings.surface.loss(tf.scalar(x0), tf.scalar(y0)).dataSync()[0] as number);
    this.runners = OPTIMIZERS.map((o, i) => ({
      ...o,
      optimizer: optimizers[i] as Optimizer,
      // tf.variable shares the initial tensor's data: made in a tidy, so that tensor is freed.
      point: tf.tidy(() => tf.variable(tf.tensor1d([x0, y0]), true, `playground-${o.id}-${Race.instances++}`)),
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
