/**
 * An op: a portable implementation in tfjs ops, the reference that runs on every backend, and the faster kernels
 * that backends add. Generic code calls the op; the op asks its kernels in turn, and each answers null where it
 * does not apply (another backend, a shape it does not take), so that the portable implementation runs.
 */
export type Op<A extends unknown[], R> = ((...args: A) => R) & {
  /** The portable implementation, the reference each kernel is tested against. */
  readonly portable: (...args: A) => R;
};

export function op<A extends unknown[], R>(
  portable: (...args: A) => R,
  kernels: ReadonlyArray<(...args: A) => R | null>,
): Op<A, R> {
  const run = (...args: A): R => {
    for (const kernel of kernels) {
      const result = kernel(...args);
      if (result !== null) return result;
    }
    return portable(...args);
  };
  return Object.assign(run, { portable });
}
