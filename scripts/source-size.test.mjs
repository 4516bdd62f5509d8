// Issue 20's rule for every workspace package: no source file under packages/*/src or apps/*/src over 400 lines
// (tests apart), so that each optimizer, layer or idea stays one short file. Reading the files takes a fraction of a
// second, so the rule is one root check rather than a test in each package.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const MAX_LINES = 400;
const root = resolve(import.meta.dirname, '..');
const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;

/** The source files (not tests: no `.test.` in the name) under `<root>/{packages,apps}/<name>/src`, with their line counts. */
function sourceFiles(base) {
  const files = [];
  for (const group of ['packages', 'apps']) {
    let names;
    try {
      names = readdirSync(join(base, group), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const dir of names.filter((d) => d.isDirectory())) {
      const src = join(base, group, dir.name, 'src');
      let entries;
      try {
        entries = readdirSync(src, { recursive: true, withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (!entry.isFile() || !SOURCE.test(entry.name) || entry.name.includes('.test.')) continue;
        const path = join(entry.parentPath ?? entry.path, entry.name); // `path` before Node 20.12
        const lines = readFileSync(path, 'utf8').trimEnd().split('\n').length;
        files.push({ file: relative(base, path).split('\\').join('/'), lines });
      }
    }
  }
  return files;
}

/** The files over {@link MAX_LINES}, as `path (n lines)`. */
function tooLong(base) {
  return sourceFiles(base)
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${file} (${lines} lines)`);
}

describe('source file size', () => {
  it(`keeps every non-test source file of packages/*/src and apps/*/src at ${MAX_LINES} lines or fewer`, () => {
    const files = sourceFiles(root);
    // The walk reaches every package and both apps, subfolders included.
    for (const file of [
      'packages/optimizers/src/optimizer.ts',
      'packages/layers/src/layers/dense.ts',
      'packages/data-fashion-mnist/src/node.ts',
      'apps/cli/src/commands/sweep.ts',
    ]) {
      assert.ok(
        files.some((f) => f.file === file),
        `${file} is among the files read`,
      );
    }
    assert.deepEqual(
      tooLong(root),
      [],
      `split these by idea (one optimizer, layer or concern per file), keeping the exports`,
    );
  });

  it('finds a long file, and leaves tests and files outside src/ alone', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'opt-source-size-'));
    after(() => rmSync(scratch, { recursive: true, force: true }));
    const lines = (n) => `${Array.from({ length: n }, (_, i) => `const a${i} = ${i};`).join('\n')}\n`;
    mkdirSync(join(scratch, 'packages', 'p', 'src', 'sub'), { recursive: true });
    mkdirSync(join(scratch, 'apps', 'a', 'scripts'), { recursive: true });
    writeFileSync(join(scratch, 'packages', 'p', 'src', 'sub', 'long.ts'), lines(MAX_LINES + 1));
    writeFileSync(join(scratch, 'packages', 'p', 'src', 'short.ts'), lines(MAX_LINES));
    writeFileSync(join(scratch, 'packages', 'p', 'src', 'long.test.ts'), lines(MAX_LINES + 1));
    writeFileSync(join(scratch, 'apps', 'a', 'scripts', 'long.mjs'), lines(MAX_LINES + 1));
    assert.deepEqual(tooLong(scratch), [`packages/p/src/sub/long.ts (${MAX_LINES + 1} lines)`]);
  });
});
