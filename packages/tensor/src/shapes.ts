import type * as tf from '@tensorflow/tfjs-core';

/** A shape to check against; `null` matches any size on that axis (Keras's `None`). */
export type ShapeSpec = ReadonlyArray<number | null>;

/** A shape as error messages print it: `[null, 784]`, with `null` for an axis of any size. */
export function formatShape(shape: ReadonlyArray<number | null>): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** True when `shape` matches `spec` axis by axis. */
export function shapeMatches(shape: readonly number[], spec: ShapeSpec): boolean {
  return shape.length === spec.length && spec.every((d, i) => d === null || d === shape[i]);
}

/**
 * Throws when `tensor`'s shape does not match `spec`, with a message that names
 * `what` the tensor is, the shape expected and the shape found.
 */
export function assertShape(tensor: tf.Tensor | { shape: readonly number[] }, spec: ShapeSpec, what: string): void {
  if (!shapeMatches(tensor.shape, spec)) {
    throw new Error(`${what} must have shape ${formatShape(spec)}, but has shape ${formatShape(tensor.shape)}`);
  }
}
