import { describe, expect, it } from 'vitest';
import { spliceSections } from './splice.js';

const report = [
  '# Report',
  '',
  '| claim | verdict |',
  '|---|---|',
  '| [1. One](#1-one) | holds |',
  '| [Beyond](#beyond) | partly |',
  '',
  '## 1. One',
  '',
  'first section',
  '',
  '## Beyond',
  '',
  'old table',
  '',
].join('\n');

describe('spliceSections', () => {
  it('replaces the named section and its summary row, leaving every other line as it was', () => {
    const out = spliceSections(report, [
      { heading: 'Beyond', text: '## Beyond\n\nnew table\nmore', summaryRow: '| [Beyond](#beyond) | holds |' },
    ]);
    expect(out).toBe(report.replace('old table', 'new table\nmore').replace('| partly |', '| holds |'));
  });

  it('replaces an inner section up to the next heading, keeping the blank line before it', () => {
    const out = spliceSections(report, [
      { heading: '1. One', text: '## 1. One\n\nnew first', summaryRow: '| [1. One](#1-one) | fails |' },
    ]);
    expect(out).toBe(report.replace('first section', 'new first').replace('| holds |', '| fails |'));
  });

  it("adds a missing summary row as the table's last", () => {
    const out = spliceSections(report.replace('| [Beyond](#beyond) | partly |\n', ''), [
      { heading: 'Beyond', text: '## Beyond\n\nnew table', summaryRow: '| [Beyond](#beyond) | holds |' },
    ]);
    expect(out).toBe(report.replace('old table', 'new table').replace('| partly |', '| holds |'));
  });

  it('is null when the file lacks the section or a summary table, so that the whole report is written', () => {
    expect(spliceSections(report, [{ heading: 'Other', text: '## Other', summaryRow: '| [Other](#other) |' }])).toBe(
      null,
    );
    const noTable = report.replace(/\| \[.*\n/g, '');
    expect(
      spliceSections(noTable, [{ heading: 'Beyond', text: '## Beyond', summaryRow: '| [Beyond](#beyond) |' }]),
    ).toBe(null);
  });
});
