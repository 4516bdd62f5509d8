/**
 * The batch sums and the relu mask of the backward passes in forms that stay on WebGL's packed textures. There
 * `sum(dz, 0)` (a bias gradient) runs a transpose, an unpack and two reduction passes, and the optimizer's packed
 * programs pack the result again: six programs where the matrix product `ones(1, N) x dz` is one. `step(y)` (the relu
 * mask) is unpacked too; `y > 0` is not. On cpu and wasm the plain ops are single passes over memory and stay.
 * The constant operands (rows of ones, a zero) are kept per layer, for the backend that made them.
 */
import { tf } from '@opt/tensor';
import { texturesArePacked } from './backend-traits.js';

export class PackedForms {
  private readonly kept = new Map<string, tf.Tensor>();
  private backend: unknown = null;

  /** A kept constant, made afresh after a change of backend. */
  private constant(key: string, make: () => tf.Tensor): tf.Tensor {
    if (this.backend !== tf.backend()) {
      this.dispose();
      this.backend = tf.backend();
    }
    let t = this.kept.get(key);
    if (t === undefined) {
      t = tf.keep(tf.tidy(make));
      this.kept.set(key, t);
    }
    return t;
  }

  /** `sum_batch t` for `t` of shape [N, c] (shape [c]); on WebGL `ones(1, N) x t`. */
  batchSum(t: tf.Tensor): tf.Tensor {
    if (!texturesArePacked()) return tf.sum(t, 0);
    const [n, c] = t.shape as [number, number];
    const ones = this.constant(`ones${n}`, () => tf.ones([1, n]));
    return tf.reshape(tf.matMul(ones as tf.Tensor2D, t as tf.Tensor2D), [c]);
  }

  /** `mean_batch t` for `t` of shape [N, c]: `sum_batch t / N`. */
  batchMean(t: tf.Tensor): tf.Tensor {
    if (!texturesArePacked()) return tf.mean(t, 0);
    return tf.div(
      this.batchSum(t),
      this.constant(`n${t.shape[0]}`, () => tf.scalar(t.shape[0] as number)),
    );
  }

  /** The relu mask `[y > 0]` as float32 (tfjs's `step(y)`, as a packed comparison on WebGL). */
  reluMask(y: tf.Tensor): tf.Tensor {
    if (!texturesArePacked()) return tf.step(y);
    return tf.cast(
      tf.greater(
        y,
        this.constant('zero', () => tf.scalar(0)),
      ),
      'float32',
    );
  }

  /** Frees the kept constants. */
  dispose(): void {
    for (const t of this.kept.values()) t.dispose();
    this.kept.clear();
  }
}
