/** How numbers read in the report's tables and sentences. */
import { mean, sd } from './stats.js';

/** 88.52% */
export const pct = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(digits)}%`;

/** +0.41 points (of accuracy) */
export const points = (d: number): string => `${d >= 0 ? '+' : '−'}${Math.abs(100 * d).toFixed(2)} points`;

/** A loss: 4 significant digits, or "NaN". */
export function loss(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(4)).toString();
}

/** 12.3 s, or 2 min 05 s from a minute on. */
export function secs(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '-';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
}

/** 88.52 ± 0.21% over seeds. */
export const pctSpread = (xs: readonly number[]): string =>
  xs.length === 0 ? '-' : `${(100 * mean(xs)).toFixed(2)} ± ${(100 * sd(xs)).toFixed(2)}%`;

export const lossSpread = (xs: readonly number[]): string =>
  xs.length === 0 ? '-' : `${loss(mean(xs))} ± ${loss(sd(xs))}`;
