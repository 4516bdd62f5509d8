/** The statistics the verdicts use: means and spreads over seeds. */

export const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Sample standard deviation, sqrt(Σ(x - mean)² / (n - 1)); 0 for one value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The number, or null when it is missing, NaN or infinite (a gap in a chart). */
export const finite = (x: number | undefined | null): number | null =>
  x !== undefined && x !== null && Number.isFinite(x) ? x : null;
