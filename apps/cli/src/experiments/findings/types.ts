/** What a claim's findings are made of: its columns in the per-run table, its charts, notes and verdict. */
import type { LineChart } from '../../run/charts.js';
import type { RunView } from '../runs.js';

export type VerdictStatus = 'held' | 'partly held' | 'did not hold' | 'not measured';

export interface Verdict {
  readonly status: VerdictStatus;
  readonly sentence: string;
}

export interface Column {
  readonly header: string;
  readonly cell: (run: RunView) => string;
}

export interface Finding {
  /** Columns of this claim, after the row's name in the per-run table. */
  readonly columns: readonly Column[];
  /** A table over the rows (means and spreads over seeds), for claims with seeds. */
  readonly summary?: { readonly headers: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
  readonly charts: ReadonlyArray<{ readonly name: string; readonly chart: LineChart }>;
  readonly notes: readonly string[];
  /** Further measurements, each a paragraph and its table, after the notes. */
  readonly tables?: ReadonlyArray<{
    readonly lead: string;
    readonly headers: readonly string[];
    readonly rows: ReadonlyArray<readonly string[]>;
  }>;
  readonly verdict: Verdict;
}

/** Held when every check passed, did not hold when none did, partly held in between. */
export function statusOf(passed: number, checks: number): VerdictStatus {
  if (passed === checks) return 'held';
  if (passed === 0) return 'did not hold';
  return 'partly held';
}
