/** In a real browser: fetch with progress, DecompressionStream and crypto.subtle on the real files. */
import { describe, expect, it } from 'vitest';
import { FashionMnistError, type LoadProgress, loadFashionMnistFromUrl } from './browser.js';

declare const __FASHION_MNIST_URL__: string;
declare const __FASHION_MNIST_FS_URL__: string;

describe('loadFashionMnistFromUrl in Chromium', () => {
  it('loads and verifies the real files with progress', async () => {
    const events: LoadProgress[] = [];
    const data = await loadFashionMnistFromUrl(new URL(__FASHION_MNIST_URL__, location.href), {
      onProgress: (p) => events.push(p),
    });
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(Array.from(data.train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    const perClass = new Array(10).fill(0);
    for (const l of data.train.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(6000));
    const done = events.filter((e) => e.phase === 'done');
    expect(done).toHaveLength(4);
    // The bytes travelled compressed (26.4 MB, not 47 MB): DecompressionStream did the gunzip.
    const trainImages = done.find((e) => e.file.endsWith('train-images-idx3-ubyte.gz'));
    expect(trainImages?.loadedBytes).toBeGreaterThan(26_000_000);
    expect(trainImages?.loadedBytes).toBeLessThan(27_000_000);
  });

  it('also accepts a server that sends the .gz files with Content-Encoding: gzip (the browser gunzips them)', async () => {
    const events: LoadProgress[] = [];
    const data = await loadFashionMnistFromUrl(new URL(__FASHION_MNIST_FS_URL__, location.href), {
      onProgress: (p) => events.push(p),
    });
    expect(Array.from(data.train.labels.subarray(0, 4))).toEqual([9, 0, 0, 3]);
    // What arrived was the uncompressed IDX file: Vite's static route sets Content-Encoding: gzip.
    const trainImages = events.find((e) => e.phase === 'done' && e.file.endsWith('train-images-idx3-ubyte.gz'));
    expect(trainImages?.loadedBytes).toBe(47040016);
    expect(data.train.count).toBe(60000);
  });

  it('names the URL when a file is missing', async () => {
    const error = await loadFashionMnistFromUrl(new URL('/no-such-dir/', location.href)).catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistError);
    expect(error.message).toMatch(/no-such-dir\/.*HTTP 404/);
  });
});
