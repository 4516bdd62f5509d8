/**
 * Claim 7 as the chapter states it: "an EMA smooths a noisy signal; a higher beta smooths more but reacts later",
 * measured on a real stream, the per-step training loss of one run (`--step-losses`). The stream is split into a
 * zero-lag trend `T` (its centered mean over one epoch of steps) and noise `n = x - T`; an EMA is linear, so
 * `EMA(x) = EMA(T) + EMA(n)`:
 * - smoothing: the variance of `EMA(n)` over that of `n`, beside white noise's closed form;
 * - reaction: the delay `k` at which the trend best matches the smoothed stream, `argmin_k mean_t (EMA(x)_t -
 *   T_{t-k})^2` (for a locally linear trend `EMA(T)_t = T_{t-D}`, `D` the EMA weights' mean delay), beside `D`'s
 *   closed form.
 */
import { mean } from './stats.js';

/**
 * The chapter's `ema_update` over a stream: `m_t = beta m_{t-1} + (1 - beta) x_t` from `m_0 = 0`; with
 * `biasCorrection`, `m_t / (1 - beta^t)` (Adam's), the average of the steps so far weighted by `beta^age`.
 */
export function emaOf(xs: readonly number[], beta: number, biasCorrection: boolean): number[] {
  let m = 0;
  let power = 1;
  return xs.map((x) => {
    m = beta * m + (1 - beta) * x;
    power *= beta;
    return biasCorrection ? m / (1 - power) : m;
  });
}

/** The zero-lag trend: at each step the mean of the stream over `[t - w, t + w]`, cut at the ends. */
export function centeredMean(xs: readonly number[], w: number): number[] {
  const sums = [0];
  for (const x of xs) sums.push((sums.at(-1) as number) + x);
  return xs.map((_, t) => {
    const [lo, hi] = [Math.max(0, t - w), Math.min(xs.length, t + w + 1)];
    return ((sums[hi] as number) - (sums[lo] as number)) / (hi - lo);
  });
}

/**
 * Mean age of the weights an EMA gives the steps so far at step `t` (1-based), normalized as bias correction does:
 * `sum_{j<t} j beta^j / sum_{j<t} beta^j = beta / (1 - beta) - t beta^t / (1 - beta^t)`; `beta / (1 - beta)` once
 * `beta^t` is negligible.
 */
export function meanDelay(beta: number, t: number): number {
  const bt = beta ** t;
  return beta / (1 - beta) - (t * bt) / (1 - bt);
}

/**
 * Variance of an EMA of unit white noise at step `t` (1-based): `(1 - beta)^2 sum_{j<t} beta^2j = (1 - beta) (1 -
 * beta^2t) / (1 + beta)`; bias-corrected, divided by `(1 - beta^t)^2`. Steady state: `(1 - beta) / (1 + beta)`.
 */
export function whiteNoiseVariance(beta: number, t: number, biasCorrection: boolean): number {
  const v = ((1 - beta) * (1 - beta ** (2 * t))) / (1 + beta);
  return biasCorrection ? v / (1 - beta ** t) ** 2 : v;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** 2));
}

/** Where the stream is measured. */
export interface StreamWindow {
  /** Half-width of the trend's centered mean, in steps. */
  readonly trendHalfWidth: number;
  /** The delays searched, 0..maxLag steps; measurement starts after them, so every `T_{t-k}` exists. */
  readonly maxLag: number;
}

export interface Smoothing {
  readonly beta: number;
  readonly biasCorrection: boolean;
  /** Variance of the EMA of the noise over the noise's own, in the window. */
  readonly varianceRatio: number;
  /** The same for white noise, closed form, averaged over the window's steps. */
  readonly whiteNoiseRatio: number;
  /** The delay at which the trend best matches the smoothed stream, in steps. */
  readonly lag: number;
  /** The EMA weights' mean delay, closed form, averaged over the window's steps. */
  readonly meanDelay: number;
}

/** The steps measured (0-based indices): after `maxLag`, and where the trend's window is whole. */
export function windowSteps(length: number, window: StreamWindow): number[] {
  const from = window.maxLag;
  const to = length - window.trendHalfWidth;
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Smoothing and delay of one EMA on the stream `xs`. */
export function smoothing(
  xs: readonly number[],
  beta: number,
  biasCorrection: boolean,
  window: StreamWindow,
): Smoothing {
  const trend = centeredMean(xs, window.trendHalfWidth);
  const noise = xs.map((x, t) => x - (trend[t] as number));
  const steps = windowSteps(xs.length, window);
  const smoothNoise = emaOf(noise, beta, biasCorrection);
  const smooth = emaOf(xs, beta, biasCorrection);
  let lag = 0;
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= window.maxLag; k++) {
    // plain loops: maxLag times the window's steps
    let d = 0;
    for (const t of steps) d += ((smooth[t] as number) - (trend[t - k] as number)) ** 2;
    if (d < best) [best, lag] = [d, k];
  }
  return {
    beta,
    biasCorrection,
    varianceRatio:
      variance(steps.map((t) => smoothNoise[t] as number)) / variance(steps.map((t) => noise[t] as number)),
    whiteNoiseRatio: mean(steps.map((t) => whiteNoiseVariance(beta, t + 1, biasCorrection))),
    lag,
    meanDelay: mean(steps.map((t) => meanDelay(beta, t + 1))),
  };
}

/** Lag-1 autocorrelation of the stream's noise in the window: near 0 when the noise is white. */
export function noiseAutocorrelation(xs: readonly number[], window: StreamWindow): number {
  const trend = centeredMean(xs, window.trendHalfWidth);
  const steps = windowSteps(xs.length, window);
  const n = steps.map((t) => (xs[t] as number) - (trend[t] as number));
  const m = mean(n);
  const c0 = mean(n.map((x) => (x - m) ** 2));
  const c1 = mean(n.slice(1).map((x, i) => (x - m) * ((n[i] as number) - m)));
  return c1 / c0;
}
