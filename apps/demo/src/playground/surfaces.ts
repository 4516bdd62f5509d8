/**
 * The chapter's failure modes as 2D loss surfaces, written in tfjs ops so that
 * the optimizers' gradients come from tf.grad and the contour plot is the same
 * function evaluated on a grid.
 */
import { Random, tf } from '@opt/tensor';

export type SurfaceId = 'bowl' | 'ravine' | 'saddle' | 'plateau' | 'rosenbrock';
export type OptimizerId = 'sgd' | 'momentum' | 'nesterov' | 'rmsprop' | 'adam';
export type LearningRates = Readonly<Record<OptimizerId, number>>;

export interface Surface {
  readonly id: SurfaceId;
  readonly title: string;
  /** One sentence: what to watch on this surface. */
  readonly lookFor: string;
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
  readonly start: readonly [number, number];
  /** The minima (the nearest one counts for the distance shown in the legend). */
  minima(): ReadonlyArray<readonly [number, number]>;
  /** Steps the race runs by default. */
  readonly steps: number;
  /** Contours of log(1 + loss - min): for surfaces whose values span orders of magnitude. */
  readonly logScale: boolean;
  /** Learning rates per optimizer for the presets. */
  readonly learningRates: {
    readonly tuned: LearningRates;
    readonly tooHigh: LearningRates;
    readonly tooLow: LearningRates;
  };
  /** The loss, elementwise over x and y of one shape. */
  loss(x: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** Mini-batch noise: the loss the optimizers differentiate at one step is this batch's (the bowl). */
  readonly minibatch?: {
    readonly count: number;
    /** The loss of the examples `indices` at the scalar point (x, y). */
    loss(x: tf.Tensor, y: tf.Tensor, indices: tf.Tensor1D): tf.Scalar;
  };
}

/** Learning rates: plain SGD, the two momentum methods, RMSprop and Adam. */
function rates(sgd: number, momentum: number, adaptive: number): LearningRates {
  return { sgd, momentum, nesterov: momentum, rmsprop: adaptive, adam: adaptive };
}

const sq = (t: tf.Tensor) => tf.square(t);
const c = (v: number) => tf.scalar(v);

/**
 * A convex bowl that is the mean of per-example losses `0.5 ((x - a_i)^2 + 2 (y - b_i)^2)` over 256
 * examples: a step on a mini-batch of them follows a noisy gradient whose mean is the full one.
 */
function noisyBowl(): Surface {
  const count = 256;
  let examples: tf.Tensor2D | null = null;
  let minimum: readonly [number, number] | null = null;
  const data = (): tf.Tensor2D => {
    if (examples === null) {
      const random = new Random(7);
      examples = tf.keep(tf.tensor2d(random.normal(count * 2, 0, 1.2), [count, 2]));
    }
    return examples;
  };
  /** Mean over the examples (rows of `points`) of the per-example loss at every (x, y). */
  const meanLoss = (x: tf.Tensor, y: tf.Tensor, points: tf.Tensor2D): tf.Tensor =>
    tf.tidy(() => {
      const [a, b] = tf.split(points, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const xs = tf.reshape(x, [-1, 1]);
      const ys = tf.reshape(y, [-1, 1]);
      const perExample = tf.mul(
        c(0.5),
        tf.add(sq(tf.sub(xs, tf.transpose(a))), tf.mul(c(2), sq(tf.sub(ys, tf.transpose(b))))),
      );
      return tf.reshape(tf.mean(perExample, 1), x.shape);
    });
  return {
    id: 'bowl',
    title: 'Bowl with mini-batch noise',
    lookFor:
      'every optimizer reaches the bottom, but each mini-batch gives a slightly different gradient, so the paths jitter; smaller batches jitter more.',
    x: [-4, 4],
    y: [-4, 4],
    start: [-3.2, 2.8],
    minima() {
      minimum ??= (() => {
        const mean = tf.mean(data(), 0);
        const [mx, my] = mean.dataSync();
        mean.dispose();
        return [mx as number, my as number] as const;
      })();
      return [minimum];
    },
    steps: 100,
    logScale: false,
    // Curvatures 1 and 2: SGD is stable below lr 2 / 2 = 1, momentum 0.9 below (2 + 2 * 0.9) / 2 = 1.9.
    learningRates: { tuned: rates(0.1, 0.01, 0.1), tooHigh: rates(1.05, 2, 2), tooLow: rates(0.002, 0.0002, 0.002) },
    loss: (x, y) => meanLoss(x, y, data()),
    minibatch: {
      count,
      loss: (x, y, indices) => tf.tidy(() => tf.reshape(meanLoss(x, y, tf.gather(data(), indices)), []) as tf.Scalar),
    },
  };
}

export function makeSurfaces(): Record<SurfaceId, Surface> {
  return {
    bowl: noisyBowl(),
    ravine: {
      id: 'ravine',
      title: 'Ill-conditioned ravine',
      lookFor:
        'plain SGD zig-zags across the steep walls and crawls along the flat floor; momentum smooths the zig-zag and builds speed along the floor.',
      x: [-8, 8],
      y: [-3, 3],
      start: [-7, 2],
      minima: () => [[0, 0]],
      steps: 100,
      logScale: false,
      // Curvatures 0.04 and 4 (condition number 100): SGD is stable below lr 2 / 4 = 0.5.
      learningRates: { tuned: rates(0.4, 0.1, 0.3), tooHigh: rates(0.55, 1, 3), tooLow: rates(0.008, 0.002, 0.006) },
      loss: (x, y) => tf.tidy(() => tf.add(tf.mul(c(0.02), sq(x)), tf.mul(c(2), sq(y)))),
    },
    saddle: {
      id: 'saddle',
      title: 'Saddle point',
      lookFor:
        'starting on the ridge line, the gradient across it is almost zero: SGD lingers at the saddle, while the adaptive methods rescale the tiny gradient and roll off to a minimum.',
      x: [-3, 3],
      y: [-2, 2],
      start: [-2.8, 0.001],
      minima: () => [
        [0, 1],
        [0, -1],
      ],
      steps: 120,
      logScale: false,
      learningRates: {
        tuned: rates(0.05, 0.05, 0.05),
        tooHigh: rates(2.2, 1.5, 1.5),
        tooLow: rates(0.001, 0.001, 0.001),
      },
      // 0.5 x^2 + 0.25 y^4 - 0.5 y^2: a saddle at the origin, minima at (0, +-1).
      loss: (x, y) =>
        tf.tidy(() => tf.add(tf.mul(c(0.5), sq(x)), tf.sub(tf.mul(c(0.25), sq(sq(y))), tf.mul(c(0.5), sq(y))))),
    },
    plateau: {
      id: 'plateau',
      title: 'Plateau',
      lookFor:
        'far from the minimum the surface is almost flat, so SGD barely moves; RMSprop and Adam divide by the gradient size and cross the plateau at full speed.',
      x: [-7, 7],
      y: [-7, 7],
      start: [5, 4.5],
      minima: () => [[0, 0]],
      steps: 150,
      logScale: false,
      learningRates: { tuned: rates(0.5, 0.05, 0.1), tooHigh: rates(60, 30, 6), tooLow: rates(0.01, 0.001, 0.002) },
      // 1 - exp(-(x^2 + y^2) / 8): gradients vanish exponentially away from the origin.
      loss: (x, y) => tf.tidy(() => tf.sub(c(1), tf.exp(tf.div(tf.neg(tf.add(sq(x), sq(y))), c(8))))),
    },
    rosenbrock: {
      id: 'rosenbrock',
      title: "Rosenbrock's valley",
      lookFor:
        'the valley floor is easy to reach but curves gently towards the minimum at (1, 1): every method finds the valley fast and then works along it.',
      x: [-2, 2],
      y: [-1, 3],
      start: [-1.2, 1],
      minima: () => [[1, 1]],
      steps: 300,
      logScale: true,
      learningRates: {
        tuned: { sgd: 0.002, momentum: 0.0015, nesterov: 0.0015, rmsprop: 0.03, adam: 0.2 },
        tooHigh: { sgd: 0.01, momentum: 0.01, nesterov: 0.01, rmsprop: 1, adam: 3 },
        tooLow: { sgd: 0.00004, momentum: 0.00003, nesterov: 0.00003, rmsprop: 0.0006, adam: 0.004 },
      },
      // (1 - x)^2 + 100 (y - x^2)^2
      loss: (x, y) => tf.tidy(() => tf.add(sq(tf.sub(c(1), x)), tf.mul(c(100), sq(tf.sub(y, sq(x)))))),
    },
  };
}

export const SURFACE_IDS: readonly SurfaceId[] = ['bowl', 'ravine', 'saddle', 'plateau', 'rosenbrock'];

/** The loss on a `size` x `size` grid over the surface's domain, row by row from y1 (bottom) up. */
export function lossGrid(surface: Surface, size: number): Float32Array {
  return tf.tidy(() => {
    const xs = tf.linspace(surface.x[0], surface.x[1], size);
    const ys = tf.linspace(surface.y[0], surface.y[1], size);
    const gx = tf.tile(tf.reshape(xs, [1, size]), [size, 1]);
    const gy = tf.tile(tf.reshape(ys, [size, 1]), [1, size]);
    return surface.loss(tf.reshape(gx, [-1]), tf.reshape(gy, [-1])).dataSync() as Float32Array;
  });
}
