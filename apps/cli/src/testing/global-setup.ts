/**
 * Vitest's global setup for the CLI's process tests: the real Fashion-MNIST files, inflated once into a scratch
 * directory that every `opt` the tests start finds through $FASHION_MNIST_DIR. Each process still reads and
 * verifies (sha256) the four real files; it only skips inflating 30 MB of gzip, which was a tenth of its CPU time.
 * The .gz path keeps its own tests (the data package's, `opt data get`'s, and the damaged-file ones here).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { realDataDir } from './fixtures/opt.js';

const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

export default function setup(): () => void {
  // A copy the person running the tests named is theirs to choose.
  if (process.env.FASHION_MNIST_DIR) return () => {};
  const source = realDataDir();
  const dir = mkdtempSync(join(tmpdir(), 'opt-cli-fashion-mnist-'));
  for (const name of FILES) writeFileSync(join(dir, name), gunzipSync(readFileSync(join(source, `${name}.gz`))));
  process.env.FASHION_MNIST_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
