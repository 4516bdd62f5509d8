import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FashionMnistError, loadFashionMnist, pairSplit, parseIdxImages, parseIdxLabels } from './index.js';
import { idxImages, idxLabels } from './testing/fixtures/fixtures.js';
import { gunzipWeb } from './url-loader.js';

function fails(fn: () => unknown, ...patterns: RegExp[]): FashionMnistError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FashionMnistError);
  const error = caught as FashionMnistError;
  expect(error.file).toBe('f.idx');
  expect(error.message.startsWith('f.idx: ')).toBe(true);
  for (const p of patterns) expect(error.message).toMatch(p);
  return error;
}

describe('IDX parsing (synthetic files)', () => {
  it('reads a well-formed images file and labels file, as views without copying', () => {
    const bytes = idxImages(3);
    const images = parseIdxImages(bytes, 'f.idx');
    expect(images.count).toBe(3);
    expect([images.rows, images.cols]).toEqual([28, 28]);
    expect(images.images.length).toBe(3 * 784);
    expect(images.images.buffer).toBe(bytes.buffer);
    expect(images.images[785]).toBe(785 % 256);
    const labels = parseIdxLabels(idxLabels(3, { labels: [9, 0, 3] }), 'f.idx');
    expect(Array.from(labels.labels)).toEqual([9, 0, 3]);
  });

  it('rejects bad magic numbers, and says when images and labels are swapped', () => {
    fails(() => parseIdxImages(idxImages(1, { magic: 2050 }), 'f.idx'), /bad magic number 2050, expected 2051/);
    fails(() => parseIdxImages(idxLabels(1), 'f.idx'), /expected 2051/, /labels file: are two file names swapped/);
    fails(() => parseIdxLabels(idxImages(1), 'f.idx'), /expected 2049/, /images file: are two file names swapped/);
  });

  it('rejects images that are not 28x28', () => {
    fails(() => parseIdxImages(idxImages(2, { rows: 27 }), 'f.idx'), /27x28, expected 28x28/);
    fails(() => parseIdxImages(idxImages(1, { rows: 32, cols: 32 }), 'f.idx'), /32x32/);
  });

  it('rejects truncated data and truncated headers', () => {
    const full = idxImages(3);
    fails(() => parseIdxImages(full.subarray(0, full.length - 1), 'f.idx'), /truncated/, /3 items/);
    fails(() => parseIdxImages(full.subarray(0, 10), 'f.idx'), /truncated header: 10 of 16/);
    fails(() => parseIdxLabels(idxLabels(5).subarray(0, 11), 'f.idx'), /truncated/);
    fails(() => parseIdxLabels(new Uint8Array(2), 'f.idx'), /too short/);
  });

  it('rejects trailing garbage', () => {
    const withTail = Uint8Array.from([...idxLabels(4), 1, 2, 3]);
    fails(() => parseIdxLabels(withTail, 'f.idx'), /3 bytes of trailing garbage/);
    fails(() => parseIdxImages(Uint8Array.from([...idxImages(1), 0]), 'f.idx'), /1 bytes of trailing garbage/);
  });

  it('rejects labels that are not a class 0..9', () => {
    fails(() => parseIdxLabels(idxLabels(3, { labels: [1, 10, 2] }), 'f.idx'), /label 10 at index 1/);
  });

  it('rejects bytes that are neither gzip nor IDX, and gzip that was not decompressed', () => {
    const html = new TextEncoder().encode('<html>Not Found</html>');
    fails(() => parseIdxImages(html, 'f.idx'), /neither gzip.*nor IDX/);
    fails(() => parseIdxLabels(gzipSync(idxLabels(2)), 'f.idx'), /still gzip-compressed/);
  });

  it('rejects an image/label count mismatch, naming both files', () => {
    let caught: unknown;
    try {
      pairSplit(parseIdxImages(idxImages(3), 'a'), parseIdxLabels(idxLabels(4), 'b'), { images: 'a', labels: 'b' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FashionMnistError);
    expect((caught as Error).message).toMatch(/^a: holds 3 images but b holds 4 labels/);
  });

  it('gunzipWeb (DecompressionStream) rejects a corrupt gzip stream with the file named', async () => {
    const good = gzipSync(idxLabels(100));
    expect(Array.from((await gunzipWeb(good, 'x.gz')).subarray(8, 12))).toEqual([0, 1, 2, 3]);
    const bad = Uint8Array.from(good);
    bad.fill(0xaa, 12, 40);
    await expect(gunzipWeb(bad, 'x.gz')).rejects.toThrow(/^x\.gz: corrupt gzip stream/);
    await expect(gunzipWeb(good.subarray(0, good.length - 10), 'x.gz')).rejects.toBeInstanceOf(FashionMnistError);
  });
});

describe('the Node loader on bad local files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fmnist-idx-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function loadWith(name: string, bytes: Uint8Array): Promise<unknown> {
    const sub = await mkdtemp(join(dir, 'case-'));
    await writeFile(join(sub, name), bytes);
    try {
      await loadFashionMnist({ dataDir: sub, cacheDir: join(sub, 'cache'), systemDir: null, download: false });
    } catch (error) {
      return error;
    }
    throw new Error('loadFashionMnist did not reject');
  }

  it.each([
    [
      'a corrupt gzip stream',
      'train-labels-idx1-ubyte.gz',
      () => {
        const g = gzipSync(idxLabels(60000));
        g.fill(0x55, 20, 60);
        return g;
      },
      /corrupt gzip stream/,
    ],
    [
      'a truncated gzip stream',
      'train-labels-idx1-ubyte.gz',
      () => {
        const g = gzipSync(idxLabels(60000));
        return g.subarray(0, g.length >> 1);
      },
      /corrupt gzip stream/,
    ],
    ['bad magic (raw file)', 'train-labels-idx1-ubyte', () => idxImages(1), /bad magic number 2051, expected 2049/],
    [
      'an HTML page saved as .gz',
      'train-labels-idx1-ubyte.gz',
      () => new TextEncoder().encode('<!doctype html>'),
      /neither gzip/,
    ],
    [
      'well-formed IDX that is not the release',
      'train-labels-idx1-ubyte.gz',
      () => gzipSync(idxLabels(60000)),
      /checksum mismatch.*sha256/,
    ],
    [
      'truncated IDX inside a valid gzip',
      'train-labels-idx1-ubyte.gz',
      () => gzipSync(idxLabels(60000).subarray(0, 5000)),
      /truncated/,
    ],
  ])('%s in dataDir is an error naming the file', async (_what, name, make, pattern) => {
    const error = await loadWith(name, make());
    expect(error).toBeInstanceOf(FashionMnistError);
    expect((error as FashionMnistError).file).toMatch(new RegExp(`${name}$`));
    expect((error as Error).message).toMatch(pattern);
  });
});
