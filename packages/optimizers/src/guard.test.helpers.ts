/** What the guard's tests share: variables they free at the end, and a watch on every read back from the device. */
import { tf } from '@opt/tensor';

/** Tensors a test file made, freed in its afterAll. */
export const made: tf.Tensor[] = [];

export const variable = (values: number[], name: string) => {
  const v = tf.variable(tf.tensor1d(values), true, `${name}-${tf.getBackend()}-${made.length}`);
  made.push(v);
  return v;
};
export const read = (v: tf.Tensor) => Array.from(v.dataSync());

/**
 * Makes every read-back path throw while `run` runs, except `dataSync`, whose reads it returns (tensor sizes), and,
 * with `asyncReads`, the asynchronous `data()` (which waits for nothing), whose sizes it adds there.
 */
export function watchReads(run: () => void, asyncReads?: number[]): number[] {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const targets: Array<[Record<string, unknown>, string]> = [
    [proto, 'dataSync'],
    [proto, 'data'],
    [proto, 'arraySync'],
    [proto, 'array'],
    [proto, 'bufferSync'],
    [engine, 'readSync'],
    [engine, 'read'],
  ];
  const saved = targets.map(([o, k]) => o[k]);
  const reads: number[] = [];
  let counted = false; // inside a counted dataSync, which reads through the engine's readSync
  targets.forEach(([o, k], i) => {
    o[k] = function (this: unknown, ...args: unknown[]) {
      if (counted && k === 'readSync') return (saved[i] as (...a: unknown[]) => unknown).apply(this, args);
      throw new Error(`read back with ${k} during a step`);
    };
  });
  if (asyncReads !== undefined) {
    const data = saved[1] as (this: tf.Tensor) => unknown;
    const read = saved[6] as (...a: unknown[]) => unknown;
    proto.data = function (this: tf.Tensor) {
      asyncReads.push(this.size);
      return data.call(this);
    };
    engine.read = read;
  }
  const dataSync = saved[0] as (this: tf.Tensor) => unknown;
  proto.dataSync = function (this: tf.Tensor) {
    reads.push(this.size);
    counted = true;
    try {
      return dataSync.call(this);
    } finally {
      counted = false;
    }
  };
  try {
    run();
  } finally {
    targets.forEach(([o, k], i) => {
      o[k] = saved[i];
    });
  }
  return reads;
}

/** Variables of a 784-256-128-10 MLP and gradients for them. */
export function mlp(): { vars: tf.Variable[]; pairs: Array<readonly [tf.Tensor, tf.Variable]> } {
  const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', 11 + i)));
  const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 31 + i));
  made.push(...vars, ...grads);
  return { vars, pairs: grads.map((g, i) => [g, vars[i] as tf.Variable] as const) };
}
