/** The moving average the view plots, computed by @opt/optimizers' `ema` transformation (no DOM here). */
import { ema } from '@opt/optimizers';
import { tf } from '@opt/tensor';

/**
 * The `ema(beta, { debias })` transformation run over the signal: `v = beta v + (1 - beta) x` from
 * `v = 0`, divided by `1 - beta^t` with `debias`. Returns the value after each step.
 */
export function emaOfSignal(signal: Float32Array, beta: number, debias: boolean): Float32Array {
  const transform = ema(beta, { debias });
  return tf.tidy(() => {
    const xs = tf.unstack(tf.tensor1d(signal));
    let state = transform.init([xs[0] as tf.Tensor]);
    const out: tf.Tensor[] = [];
    xs.forEach((x, step) => {
      const r = transform.update([x], state, [x], { step, learningRate: 0 });
      out.push(r.updates[0] as tf.Tensor);
      state = r.state;
    });
    return tf.stack(out).dataSync() as Float32Array;
  });
}
