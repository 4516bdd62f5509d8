/** Scalars kept across steps for the transformations' constants (`ctx.constant`). */
import { tf } from '@opt/tensor';

/** Scalars kept across steps for the transformations' constants (`ctx.constant`), freed by `dispose`. */
export class Constants {
  private readonly cache = new Map<string, tf.Scalar>();
  /** The kept scalar holding `value` (at most 64 kept: beyond, a plain scalar freed by the step's tidy). */
  readonly get = (value: number): tf.Scalar => {
    const key = Object.is(value, -0) ? '-0' : String(value);
    let s = this.cache.get(key);
    if (s === undefined) {
      if (this.cache.size >= 64) return tf.scalar(value);
      s = tf.keep(tf.scalar(value));
      this.cache.set(key, s);
    }
    return s;
  };

  dispose(): void {
    for (const s of this.cache.values()) s.dispose();
    this.cache.clear();
  }
}
