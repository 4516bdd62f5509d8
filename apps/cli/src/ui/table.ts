/** Tables for the terminal (cli-table3), plain borders, headers bold only on a terminal. */
import Table from 'cli-table3';

export function table(
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  bold: (s: string) => string = (s) => s,
): string {
  const t = new Table({
    head: head.map(bold),
    style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}
