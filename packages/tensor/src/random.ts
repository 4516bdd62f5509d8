/**
 * Seeded randomness that gives the same numbers on every backend: values are
 * drawn in JavaScript and only then uploaded as tensors, so a seed fixes the
 * initial weights, the shuffles and the dropout masks of a run whether it
 * trains on cpu, wasm, webgl or the native backend.
 */

/** The serializable state of a {@link Random}: enough to resume its stream exactly. */
export interface RandomState {
  readonly algorithm: 'xoshiro128**';
  /** The generator's four 32-bit words. */
  readonly s: readonly [number, number, number, number];
}

const TWO_POW_32 = 4294967296;

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `seed must be a non-negative safe integer (0 to ${Number.MAX_SAFE_INTEGER}), got ${String(seed)}. ` +
        'Pass a whole number such as 42.',
    );
  }
}

/** splitmix32 step: spreads a seed's bits over the generator's state. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded by splitmix32).
 *
 * The same seed yields the same stream on every platform. {@link fork} derives
 * independent child streams (one per layer, one for shuffling) so that adding a
 * consumer does not shift the numbers every other consumer sees.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    checkSeed(seed);
    const mix = { x: (seed % TWO_POW_32) ^ Math.floor(seed / TWO_POW_32) };
    this.s0 = splitmix32(mix);
    this.s1 = splitmix32(mix);
    this.s2 = splitmix32(mix);
    this.s3 = splitmix32(mix);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Restores a generator from {@link getState}'s output. */
  static fromState(state: RandomState): Random {
    const words: unknown = state?.s;
    if (
      state?.algorithm !== 'xoshiro128**' ||
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32) ||
      words.every((w) => w === 0)
    ) {
      throw new TypeError(
        `Random state must be { algorithm: 'xoshiro128**', s: [four uint32 words, not all zero] }, got ${JSON.stringify(state)}`,
      );
    }
    const r = new Random(0);
    [r.s0, r.s1, r.s2, r.s3] = words as [number, number, number, number];
    return r;
  }

  /** The generator's four state words, to save with a checkpoint; {@link Random.fromState} continues from them. */
  getState(): RandomState {
    return { algorithm: 'xoshiro128**', s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`nextInt(n) needs an integer n in [1, 2^32], got ${String(n)}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A new generator seeded from this one: an independent stream. */
  fork(): Random {
    const child = new Random(0);
    child.s0 = this.nextUint32();
    child.s1 = this.nextUint32();
    child.s2 = this.nextUint32();
    child.s3 = this.nextUint32();
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s0 = 1;
    return child;
  }

  /** `count` values drawn uniformly from [minval, maxval). */
  uniform(count: number, minval = 0, maxval = 1): Float32Array {
    const out = new Float32Array(count);
    const width = maxval - minval;
    for (let i = 0; i < count; i++) out[i] = minval + width * this.nextFloat();
    return out;
  }

  /** `count` values from a normal distribution (Box-Muller). */
  normal(count: number, mean = 0, stddev = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = mean + stddev * this.standardNormal();
    return out;
  }

  /**
   * `count` values from a normal distribution truncated at two standard
   * deviations (values beyond are redrawn), as Keras's `TruncatedNormal`.
   */
  truncatedNormal(count: number, mean = 0, stddev = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let z: number;
      do z = this.standardNormal();
      while (Math.abs(z) > 2);
      out[i] = mean + stddev * z;
    }
    return out;
  }

  /**
   * The order of `n` samples in epoch `epoch` of a run seeded `seed`: the permutation drawn by the
   * `(epoch + 1)`-th fork of `new Random(seed)`. It depends on `(seed, epoch)` only, so a run resumed at
   * epoch `e` sees the same orders as one that never stopped. @opt/layers' `fit` and
   * @opt/data-fashion-mnist's `batches` both shuffle with it; bit-exact resume of their checkpoints relies
   * on this sequence never changing.
   */
  static epochPermutation(seed: number, epoch: number, n: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(`epochPermutation: epoch must be an integer >= 0, got ${String(epoch)}.`);
    }
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`epochPermutation: n must be an integer >= 0, got ${String(n)}.`);
    }
    const root = new Random(seed);
    for (let e = 0; e < epoch; e++) root.fork();
    return root.fork().permutation(n);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** Shuffles `array` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  private standardNormal(): number {
    // 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
