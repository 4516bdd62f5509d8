/** Small formatting helpers shared by the commands' text output. */
import sparkly from 'sparkly';

export const fixed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined ? '-' : Number.isFinite(v) ? v.toFixed(digits) : String(v);

export const percent = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : `${(100 * v).toFixed(digits)}%`;

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '-';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

/** `▇▅▃▂▁`: one bar per value, lowest to highest. */
export function sparkline(values: readonly number[]): string {
  return sparkly(values.map((v) => (Number.isFinite(v) ? v : '')));
}

/** `2026-12-01 10:15`. */
export function shortDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
