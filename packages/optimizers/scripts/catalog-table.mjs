// Prints the README's table of presets from the catalog (after `pnpm build`); `--write` puts it into README.md
// between the catalog markers. src/catalog.test.ts checks that the README lists every entry as the catalog says.
import { readFileSync, writeFileSync } from 'node:fs';
import { CATALOG } from '../dist/catalog.js';

const cell = (text) => String(text).replaceAll('|', '\\|');
const defaults = (entry) =>
  [
    `lr ${entry.learningRate}`,
    ...Object.entries(entry.baseDefaults ?? {}).map(([k, v]) => `${k} ${v}`),
    ...entry.options.map((o) => `${o.key} ${o.default}`),
  ].join(', ');

const lines = [
  '| preset | name | defaults (Keras 3) | reference | update | slots per parameter | when to use |',
  '|---|---|---|---|---|---|---|',
  ...CATALOG.map(
    (e) =>
      `| \`${e.className}\` | \`'${e.name}'\` | ${cell(defaults(e))} | ${cell(e.reference)} | ${cell(e.formula)} | ${cell(e.slots)} | ${cell(e.whenToUse)} |`,
  ),
];
const table = lines.join('\n');

if (process.argv.includes('--write')) {
  const path = new URL('../README.md', import.meta.url);
  const readme = readFileSync(path, 'utf8');
  const start = '<!-- catalog:start (scripts/catalog-table.mjs --write) -->';
  const end = '<!-- catalog:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md: no ${start} ... ${end} markers`);
  writeFileSync(path, `${readme.slice(0, a + start.length)}\n${table}\n${readme.slice(b)}`);
} else {
  console.log(table);
}
