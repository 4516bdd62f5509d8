/**
 * `pnpm experiments --only beyond` on a machine without the other claims' runs: the report keeps every other
 * section as it is and replaces only the sections (and their summary rows) of the claims it measured.
 */

/** One claim's section as the report writes it (`## heading` first) and its row of the summary table. */
export interface SectionText {
  readonly heading: string;
  readonly text: string;
  readonly summaryRow: string;
}

/**
 * `existing` with each section's `## heading` block (to the next `## ` line or the end) and its summary row (the
 * line that starts with `| [heading](`, or a new last row of the summary table) replaced. Null when the file lacks
 * the heading or a summary table: then the whole report must be written.
 */
export function spliceSections(existing: string, sections: readonly SectionText[]): string | null {
  let lines = existing.split('\n');
  for (const { heading, text, summaryRow } of sections) {
    const start = lines.indexOf(`## ${heading}`);
    if (start < 0) return null;
    const row = lines.findIndex((l) => l.startsWith(`| [${heading}](`));
    if (row >= 0) lines[row] = summaryRow;
    else {
      // A report spliced before it had this claim's row: the row goes last in the summary table.
      const firstSection = lines.findIndex((l) => l.startsWith('## '));
      const rows = lines.slice(0, firstSection < 0 ? lines.length : firstSection);
      const last = rows.map((l) => l.startsWith('| [')).lastIndexOf(true);
      if (last < 0) return null;
      lines.splice(last + 1, 0, summaryRow);
      return spliceSections(lines.join('\n'), [{ heading, text, summaryRow }]);
    }
    const next = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    const end = next < 0 ? lines.length : next;
    // The blank line after a section: before the next heading, or the file's final newline.
    lines = [...lines.slice(0, start), ...text.split('\n'), '', ...lines.slice(end)];
  }
  return lines.join('\n');
}
