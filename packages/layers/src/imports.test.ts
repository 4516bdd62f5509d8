import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Each source file's relative imports, as paths from src/ (type-only ones too: a circle of types is still a circle to read). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(here, { recursive: true, encoding: 'utf8' }).map((f) => f.split('\\').join('/'));
  for (const file of files.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = readFileSync(`${here}${file}`, 'utf8');
    const targets = [...text.matchAll(/(?:from|import\()\s*'(\.\.?\/[\w./-]+)\.js'/g)].map((m) =>
      posix.join(posix.dirname(file), `${m[1]}.ts`),
    );
    // package.json's conditional import: Node's file or the browser's, both edges.
    if (/from\s*'#directory-store'/.test(text)) targets.push('directory-store.ts', 'directory-store.browser.ts');
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== null) return cycle;
  }
  return null;
}

describe('module structure', () => {
  it('has no import circle (checkpoints reach the model through the Checkpointable view)', () => {
    const graph = importGraph();
    expect(graph.get('checkpoint.ts')).not.toContain('sequential.ts');
    expect(graph.get('sequential.ts')).toContain('checkpoint.ts');
    expect(new Set(graph.get('checkpoint-target.ts'))).toEqual(
      new Set(['checkpoint-store.ts', 'directory-store.ts', 'directory-store.browser.ts', 'tfjs-store.ts']),
    );
    // Subfolders are read, with their relative paths resolved.
    expect(graph.get('layers/dense.ts')).toContain('layers/layer.ts');
    expect(findCycle(graph)).toBeNull();
    // The check finds a circle when there is one.
    expect(findCycle(new Map([...graph, ['checkpoint.ts', ['sequential.ts']]]))).not.toBeNull();
  });
});
