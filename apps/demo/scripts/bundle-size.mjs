// Sizes of the production build (run `pnpm --filter @opt/demo build` first): raw and gzip -9 per kind of
// file, and what the first visit to the page downloads before training (the main entry's JavaScript and CSS
// with the chunks it imports statically; the backends and the worker load later, on demand).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
walk(dist);

const size = (path) => {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const groups = new Map();
for (const path of files) {
  const name = relative(dist, path);
  const kind = name.endsWith('.wasm')
    ? 'wasm (tfjs-backend-wasm, loaded only as a fallback)'
    : name.includes('worker')
      ? 'worker JavaScript'
      : `${extname(name).slice(1)}`;
  const g = groups.get(kind) ?? { raw: 0, gzip: 0, count: 0 };
  const s = size(path);
  g.raw += s.raw;
  g.gzip += s.gzip;
  g.count += 1;
  groups.set(kind, g);
}

// The first visit: index.html, the entry script and every chunk it imports statically (transitively).
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entry = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const seen = new Set();
const visit = (asset) => {
  if (seen.has(asset)) return;
  seen.add(asset);
  if (!asset.endsWith('.js')) return;
  const code = readFileSync(join(dist, asset), 'utf8');
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g))
    visit(`assets/${m[1]}`);
};
for (const asset of entry) visit(asset);
let first = size(join(dist, 'index.html'));
for (const asset of seen) {
  const s = size(join(dist, asset));
  first = { raw: first.raw + s.raw, gzip: first.gzip + s.gzip };
}

console.log('| what | files | raw | gzip |');
console.log('|---|---|---|---|');
let total = { raw: 0, gzip: 0, count: 0 };
for (const [kind, g] of [...groups].sort()) {
  console.log(`| ${kind} | ${g.count} | ${kib(g.raw)} | ${kib(g.gzip)} |`);
  total = { raw: total.raw + g.raw, gzip: total.gzip + g.gzip, count: total.count + g.count };
}
console.log(`| **whole site** | ${total.count} | ${kib(total.raw)} | ${kib(total.gzip)} |`);
console.log(
  `| first visit (index.html, entry and its static imports) | ${seen.size + 1} | ${kib(first.raw)} | ${kib(first.gzip)} |`,
);
