// Sizes of the production build (run `pnpm --filter @opt/demo build` first): raw and gzip -9 per kind of
// file. What a visit actually downloads is measured by the end-to-end test (it logs it).
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
      ? 'js, the worker entry'
      : extname(name).slice(1); // js: the page's entry and every chunk loaded on demand (backends, worker's)
  const g = groups.get(kind) ?? { raw: 0, gzip: 0, count: 0 };
  const s = size(path);
  g.raw += s.raw;
  g.gzip += s.gzip;
  g.count += 1;
  groups.set(kind, g);
}

console.log('| what | files | raw | gzip |');
console.log('|---|---|---|---|');
let total = { raw: 0, gzip: 0, count: 0 };
for (const [kind, g] of [...groups].sort()) {
  console.log(`| ${kind} | ${g.count} | ${kib(g.raw)} | ${kib(g.gzip)} |`);
  total = { raw: total.raw + g.raw, gzip: total.gzip + g.gzip, count: total.count + g.count };
}
console.log(`| **whole site** | ${total.count} | ${kib(total.raw)} | ${kib(total.gzip)} |`);
