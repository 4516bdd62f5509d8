/**
 * Weight initializers with Keras 3's names and arithmetic. Values are drawn by
 * a {@link Random} in JavaScript, so a seed gives the same weights on every
 * backend.
 */
import * as tf from '#tfjs-core';
import type { Random } from './random.js';

/** Keras's class names, for configs that say which initializer a layer used. */
export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'zeros' | 'ones';

/** Draws the initial values of a weight of a given shape. */
export interface Initializer {
  readonly name: InitializerName;
  /** The values, row-major. Deterministic given the state of `random`. */
  sample(shape: readonly number[], random: Random): Float32Array;
}

/** Keras's correction so that a normal truncated at 2 stddev keeps the wanted variance. */
const TRUNCATED_NORMAL_STDDEV_CORRECTION = 0.87962566103423978;

/**
 * Fan-in and fan-out as Keras's `compute_fans`: a kernel [fanIn, fanOut];
 * for rank > 2 the leading axes are the receptive field.
 */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0] as number, fanOut: shape[0] as number };
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return {
    fanIn: (shape[shape.length - 2] as number) * receptiveField,
    fanOut: (shape[shape.length - 1] as number) * receptiveField,
  };
}

function size(shape: readonly number[]): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`A weight's shape must hold non-negative integers, got [${shape.join(', ')}]`);
    }
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** Glorot (Xavier) uniform: U(-limit, limit), `limit = sqrt(6 / (fanIn + fanOut))`. Keras's default kernel initializer. */
export function glorotUniform(): Initializer {
  return {
    name: 'glorotUniform',
    sample(shape, random) {
      const { fanIn, fanOut } = computeFans(shape);
      const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
      return random.uniform(size(shape), -limit, limit);
    },
  };
}

/** Glorot normal: truncated N(0, stddev), `stddev = sqrt(2 / (fanIn + fanOut)) / 0.8796...`. */
export function glorotNormal(): Initializer {
  return {
    name: 'glorotNormal',
    sample(shape, random) {
      const { fanIn, fanOut } = computeFans(shape);
      const stddev = Math.sqrt(2 / Math.max(1, fanIn + fanOut)) / TRUNCATED_NORMAL_STDDEV_CORRECTION;
      return random.truncatedNormal(size(shape), 0, stddev);
    },
  };
}

/** He normal: truncated N(0, stddev), `stddev = sqrt(2 / fanIn) / 0.8796...`. Suits ReLU layers. */
export function heNormal(): Initializer {
  return {
    name: 'heNormal',
    sample(shape, random) {
      const { fanIn } = computeFans(shape);
      const stddev = Math.sqrt(2 / Math.max(1, fanIn)) / TRUNCATED_NORMAL_STDDEV_CORRECTION;
      return random.truncatedNormal(size(shape), 0, stddev);
    },
  };
}

/** He uniform: U(-limit, limit), `limit = sqrt(6 / fanIn)`. */
export function heUniform(): Initializer {
  return {
    name: 'heUniform',
    sample(shape, random) {
      const { fanIn } = computeFans(shape);
      const limit = Math.sqrt(6 / Math.max(1, fanIn));
      return random.uniform(size(shape), -limit, limit);
    },
  };
}

/** All zeros. Keras's default bias initializer. */
export function zeros(): Initializer {
  return { name: 'zeros', sample: (shape) => new Float32Array(size(shape)) };
}

/** All ones. */
export function ones(): Initializer {
  return { name: 'ones', sample: (shape) => new Float32Array(size(shape)).fill(1) };
}

const BY_NAME: Record<InitializerName, () => Initializer> = {
  glorotUniform,
  glorotNormal,
  heNormal,
  heUniform,
  zeros,
  ones,
};

/** Looks an initializer up by name, as Keras accepts `kernel_initializer="he_normal"`. */
export function getInitializer(name: InitializerName | Initializer): Initializer {
  if (typeof name !== 'string') return name;
  const make = BY_NAME[name];
  if (make === undefined) {
    throw new RangeError(`Unknown initializer "${String(name)}". Choose one of: ${Object.keys(BY_NAME).join(', ')}.`);
  }
  return make();
}

/** Draws a tensor of `shape` from `initializer`. */
export function initialize(
  initializer: Initializer | InitializerName,
  shape: readonly number[],
  random: Random,
): tf.Tensor {
  return tf.tensor(getInitializer(initializer).sample(shape, random), shape.slice(), 'float32');
}
