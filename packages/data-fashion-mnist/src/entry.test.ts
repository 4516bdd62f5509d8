import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Every module specifier `file` (under src/) reaches through static imports and re-exports. */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(new URL(file, import.meta.url), 'utf8');
  for (const [, spec] of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
    if (spec === undefined) continue;
    if (spec.startsWith('./')) reachable(spec.replace(/\.js$/, '.ts'), seen);
    else seen.add(spec);
  }
  return seen;
}

describe('package entries', () => {
  it('the browser entry reaches no node: module, the Node entry does', () => {
    const browser = [...reachable('./browser.ts')];
    expect(browser).toContain('./url-loader.ts');
    expect(browser.filter((s) => s.startsWith('node:'))).toEqual([]);
    expect(browser).not.toContain('./node.ts');
    const node = [...reachable('./index.ts')];
    expect(node).toContain('node:zlib');
  });

  it("package.json sends bundlers' browser condition to the browser entry", () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(manifest.exports['.'].browser).toEqual({ types: './dist/browser.d.ts', default: './dist/browser.js' });
    expect(manifest.exports['.'].default).toBe('./dist/index.js');
  });
});
