/** Constant operands of the WebGL kernels (rows of ones, a zero), made once per shape for the backend that made them. */
import { tf } from '@opt/tensor';

const kept = new Map<string, tf.Tensor>();
let keptFor: unknown = null;

/** The constant `key`, made by `make` on first use, and afresh after a change of backend. */
export function keptConstant(key: string, make: () => tf.Tensor): tf.Tensor {
  if (keptFor !== tf.backend()) {
    for (const t of kept.values()) t.dispose();
    kept.clear();
    keptFor = tf.backend();
  }
  let t = kept.get(key);
  if (t === undefined) {
    t = tf.keep(tf.tidy(make));
    kept.set(key, t);
  }
  return t;
}
