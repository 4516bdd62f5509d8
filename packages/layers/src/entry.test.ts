import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DirectoryStore as BrowserDirectoryStore } from './directory-store.browser.js';
import { DirectoryStore } from './directory-store.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The source file a package.json target in dist/ is built from. */
const source = (target: string) => target.replace(/^\.\/dist\//, './').replace(/\.js$/, '.ts');

/**
 * Every module specifier `file` (a path under src/, such as './layers/index.ts') reaches through static imports, re-exports and dynamic imports,
 * with package.json's `#imports` resolved as a bundler with `condition` (and then `default`) would.
 */
function reachable(file: string, condition: 'browser' | 'node', seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(new URL(file, import.meta.url), 'utf8');
  const specs = [
    ...code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g),
    ...code.matchAll(/import\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1] as string);
  for (const spec of specs) {
    if (spec.startsWith('.')) {
      reachable(`./${posix.join(posix.dirname(file), spec.replace(/\.js$/, '.ts'))}`, condition, seen);
    } else if (spec.startsWith('#')) {
      const targets = manifest.imports[spec];
      reachable(source(targets[condition] ?? targets.default), condition, seen);
    } else seen.add(spec);
  }
  return seen;
}

describe('package entry', () => {
  it("a browser bundle of the entry reaches no node: module (DirectoryStore is the browser's file there)", () => {
    const browser = [...reachable('./index.ts', 'browser')];
    expect(browser).toContain('./directory-store.browser.ts');
    expect(browser).toContain('./indexeddb-store.ts');
    expect(browser).not.toContain('./directory-store.ts');
    expect(browser.filter((s) => s.startsWith('node:'))).toEqual([]);
    const node = [...reachable('./index.ts', 'node')];
    expect(node).toContain('./directory-store.ts');
    expect(node).toContain('node:fs/promises');
  });

  it("package.json's #directory-store import sends the browser condition to the browser's file", () => {
    expect(manifest.imports['#directory-store']).toEqual({
      browser: './dist/directory-store.browser.js',
      default: './dist/directory-store.js',
    });
  });

  it("the browser's DirectoryStore has Node's surface and says, when constructed, what to use instead", () => {
    expectTypeOf<InstanceType<typeof BrowserDirectoryStore>>().toEqualTypeOf<InstanceType<typeof DirectoryStore>>();
    const members = (c: { prototype: object }) => Object.getOwnPropertyNames(c.prototype).sort();
    expect(members(BrowserDirectoryStore)).toEqual(members(DirectoryStore));
    expect(() => new BrowserDirectoryStore('checkpoints/mlp')).toThrow(
      `DirectoryStore("checkpoints/mlp"): checkpoints in directories need Node.js's file system, which a browser does not have. Use an IndexedDbStore instead, e.g. model.save(new IndexedDbStore('my-model')), or a TensorFlow.js URL, model.save('indexeddb://my-model').`,
    );
  });
});
