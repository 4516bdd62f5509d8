import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FashionMnistError,
  FashionMnistNotFoundError,
  type LoadProgress,
  loadFashionMnist,
  loadFashionMnistFromUrl,
} from './index.js';
import { type LoopbackServer, realDataDir, startServer } from './testing/fixtures/fixtures.js';

const TRAIN_LABELS = 'train-labels-idx1-ubyte.gz';
const TEST_LABELS = 't10k-labels-idx1-ubyte.gz';
const BIG = ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'];

let server: LoopbackServer;
let scratch: string;
let cache: string;
const savedEnv = process.env.FASHION_MNIST_DIR;

beforeAll(async () => {
  delete process.env.FASHION_MNIST_DIR;
  server = await startServer(realDataDir());
  scratch = await mkdtemp(join(tmpdir(), 'fmnist-dl-'));
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
  if (savedEnv !== undefined) process.env.FASHION_MNIST_DIR = savedEnv;
});
let n = 0;
beforeEach(async () => {
  cache = join(scratch, `cache-${n++}`);
  server.requests.length = 0;
  server.answer = () => 'ok';
  server.beforeCut = async () => {};
});
afterEach(() => {
  server.answer = () => 'ok';
});

/** Resolves once `file` holds at least one byte (the client has stored part of a body); the test's timeout catches a hang. */
async function stored(file: string): Promise<void> {
  while (!(await stat(file).catch(() => null))?.size) await new Promise((r) => setTimeout(r, 10));
}

/** Puts the two big image files in the cache (symlinks), so a test downloads only the labels. */
async function cacheImages(): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const f of BIG) await symlink(join(realDataDir(), f), join(cache, f));
}

const load = (extra: Parameters<typeof loadFashionMnist>[0] = {}) =>
  loadFashionMnist({
    cacheDir: cache,
    systemDir: null,
    baseUrl: server.baseUrl,
    retries: 2,
    retryDelayMs: 0,
    ...extra,
  });

async function cacheFiles(): Promise<string[]> {
  return (await readdir(cache).catch(() => [])).sort();
}

describe('download into the cache (loopback server with the real files)', () => {
  it('downloads all four files with progress, verified, and leaves only the .gz files', async () => {
    const events: LoadProgress[] = [];
    const data = await load({ onProgress: (p) => events.push(p) });
    expect(data.train.count).toBe(60000);
    expect(Array.from(data.train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(await cacheFiles()).toEqual([...BIG, TEST_LABELS, TRAIN_LABELS].sort());
    const size = (await readFile(join(realDataDir(), 'train-images-idx3-ubyte.gz'))).length;
    const trainImages = events.filter((e) => e.file === 'train-images-idx3-ubyte.gz');
    expect(trainImages.length).toBeGreaterThan(2);
    for (let i = 1; i < trainImages.length; i++) {
      expect((trainImages[i] as LoadProgress).loadedBytes).toBeGreaterThanOrEqual(
        (trainImages[i - 1] as LoadProgress).loadedBytes,
      );
    }
    expect(trainImages.at(-1)).toEqual({
      file: 'train-images-idx3-ubyte.gz',
      phase: 'done',
      loadedBytes: size,
      totalBytes: size,
    });
    expect(events.filter((e) => e.phase === 'done')).toHaveLength(4);

    // Offline afterwards: the cache alone serves, with no request.
    server.requests.length = 0;
    const again = await load({ download: false });
    expect(server.requests).toHaveLength(0);
    expect(Buffer.compare(again.train.images, data.train.images)).toBe(0);
  });

  it('a corrupted body is rejected and never kept in the cache', async () => {
    await cacheImages();
    server.answer = (path) => (path === TEST_LABELS ? 'corrupt' : 'ok');
    const error = await load().catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    expect(error.cause).toBeInstanceOf(FashionMnistError);
    expect(error.message).toMatch(/t10k-labels-idx1-ubyte\.gz: (corrupt gzip stream|checksum mismatch)/);
    expect(await cacheFiles()).toEqual([...BIG, TRAIN_LABELS].sort());
    // Not resumed, so not retried: a corrupt full body is final.
    expect(server.requests.filter((r) => r.path === TEST_LABELS)).toHaveLength(1);
  });

  it('a truncated body (no Content-Length, clean end) is rejected and not kept', async () => {
    await cacheImages();
    server.answer = (path) => (path === TRAIN_LABELS ? 'truncate' : 'ok');
    const error = await load().catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    expect(error.message).toMatch(/train-labels-idx1-ubyte\.gz: corrupt gzip stream/);
    expect(await cacheFiles()).toEqual(BIG.sort());
  });

  it('a server error (500) is retried, then reported; a 404 is not retried', async () => {
    await cacheImages();
    server.answer = (path) => (path === TRAIN_LABELS ? 500 : 'ok');
    const error = await load().catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    expect(error.message).toMatch(/HTTP 500/);
    expect(server.requests.filter((r) => r.path === TRAIN_LABELS)).toHaveLength(3); // retries: 2
    expect(await cacheFiles()).toEqual(BIG.sort());

    server.requests.length = 0;
    server.answer = (path) => (path === TRAIN_LABELS ? 404 : 'ok');
    const notFound = await load().catch((e) => e);
    expect(notFound.message).toMatch(/HTTP 404/);
    expect(server.requests.filter((r) => r.path === TRAIN_LABELS)).toHaveLength(1);
  });

  it('resumes an interrupted transfer with an HTTP Range request', async () => {
    await cacheImages();
    server.answer = (path, nth) => (path === TRAIN_LABELS && nth === 0 ? 'cut' : 'ok');
    server.beforeCut = () => stored(join(cache, `${TRAIN_LABELS}.partial`));
    const events: LoadProgress[] = [];
    const data = await load({ onProgress: (p) => events.push(p) });
    expect(data.train.labels[0]).toBe(9);
    const requests = server.requests.filter((r) => r.path === TRAIN_LABELS);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ range: undefined, status: 200 });
    expect(requests[1]?.status).toBe(206);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1]?.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    const size = (await readFile(join(realDataDir(), TRAIN_LABELS))).length;
    expect(resumedAt).toBeLessThan(size);
    const labelEvents = events.filter((e) => e.file === TRAIN_LABELS);
    expect(labelEvents.at(-1)).toMatchObject({ phase: 'done', loadedBytes: size, totalBytes: size });
    expect(await cacheFiles()).toEqual([...BIG, TEST_LABELS, TRAIN_LABELS].sort());
  });

  it('a transfer cut off on every try fails; only a .partial holding a prefix of the body stays, and the next run resumes it', async () => {
    await cacheImages();
    server.answer = (path) => (path === TRAIN_LABELS ? 'cut' : 'ok');
    const error = await load().catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    expect(error.message).toMatch(/download failed/);
    expect(server.requests.filter((r) => r.path === TRAIN_LABELS)).toHaveLength(3);
    expect(await cacheFiles()).toEqual([...BIG, `${TRAIN_LABELS}.partial`].sort());
    const real = await readFile(join(realDataDir(), TRAIN_LABELS));
    const partial = await readFile(join(cache, `${TRAIN_LABELS}.partial`));
    expect(partial.length).toBeLessThan(real.length);
    expect(Buffer.compare(partial, real.subarray(0, partial.length))).toBe(0);
    server.answer = () => 'ok';
    await load();
    expect(await cacheFiles()).toEqual([...BIG, TEST_LABELS, TRAIN_LABELS].sort());
  });

  it('resumes a .partial file left by an earlier run; restarts when the server ignores Range', async () => {
    await cacheImages();
    const real = await readFile(join(realDataDir(), TRAIN_LABELS));
    await writeFile(join(cache, `${TRAIN_LABELS}.partial`), real.subarray(0, 1000));
    await load();
    expect(server.requests.find((r) => r.path === TRAIN_LABELS)).toMatchObject({ range: 'bytes=1000-', status: 206 });

    await rm(join(cache, TRAIN_LABELS));
    await writeFile(join(cache, `${TRAIN_LABELS}.partial`), real.subarray(0, 1000));
    server.requests.length = 0;
    server.answer = () => 'ignore-range';
    const data = await load();
    expect(server.requests.find((r) => r.path === TRAIN_LABELS)).toMatchObject({ range: 'bytes=1000-', status: 200 });
    expect(data.train.labels[0]).toBe(9);
  });

  it('a stale .partial that does not match the server is discarded and downloaded afresh', async () => {
    await cacheImages();
    await writeFile(join(cache, `${TRAIN_LABELS}.partial`), new Uint8Array(5000).fill(7));
    const data = await load();
    expect(data.train.labels[0]).toBe(9);
    const requests = server.requests.filter((r) => r.path === TRAIN_LABELS);
    expect(requests.map((r) => r.range)).toEqual(['bytes=5000-', undefined]);
    expect(await cacheFiles()).toEqual([...BIG, TEST_LABELS, TRAIN_LABELS].sort());
  });

  it('a corrupt cached file is deleted and downloaded again', async () => {
    await cacheImages();
    await writeFile(join(cache, TEST_LABELS), 'corrupt');
    const data = await load();
    expect(data.test.count).toBe(10000);
    expect(server.requests.filter((r) => r.path === TEST_LABELS)).toHaveLength(1);
    expect(
      Buffer.compare(await readFile(join(cache, TEST_LABELS)), await readFile(join(realDataDir(), TEST_LABELS))),
    ).toBe(0);
  });

  it('no server: the error lists every place and the download failure', async () => {
    const error = await load({ baseUrl: 'http://127.0.0.1:9/' }).catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    expect(error.message).toContain('download from http://127.0.0.1:9/');
    expect(error.message).toMatch(/ECONNREFUSED|fetch failed/);
    expect(error.message).toContain(cache);
    expect(error.message).toMatch(/apt-get install dataset-fashion-mnist/);
    expect(await cacheFiles()).toEqual([]);
  });
});

describe('loadFashionMnistFromUrl (the browser loader, run in Node)', () => {
  it('gives the same data as the Node loader, with progress', async () => {
    const events: LoadProgress[] = [];
    const data = await loadFashionMnistFromUrl(server.baseUrl, { onProgress: (p) => events.push(p) });
    const local = await loadFashionMnist({ dataDir: realDataDir(), download: false });
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(Buffer.compare(data.train.images, local.train.images)).toBe(0);
    expect(Buffer.compare(data.test.labels, local.test.labels)).toBe(0);
    expect(data.classNames).toEqual(local.classNames);
    const done = events.filter((e) => e.phase === 'done');
    expect(done.map((e) => e.file).sort()).toEqual(
      [TRAIN_LABELS, TEST_LABELS, ...BIG].map((f) => `${server.baseUrl}${f}`).sort(),
    );
    expect(events.filter((e) => e.phase === 'download').length).toBeGreaterThan(4);
  });

  it('rejects a corrupted body, a truncated body and a server error, naming the URL', async () => {
    server.answer = (path) => (path === TEST_LABELS ? 'corrupt' : 'ok');
    await expect(loadFashionMnistFromUrl(server.baseUrl)).rejects.toThrow(
      new RegExp(`^${server.baseUrl}${TEST_LABELS}: (corrupt gzip stream|checksum mismatch)`),
    );
    server.answer = (path) => (path === TRAIN_LABELS ? 'truncate' : 'ok');
    await expect(loadFashionMnistFromUrl(server.baseUrl)).rejects.toBeInstanceOf(FashionMnistError);
    server.answer = (path) => (path === TRAIN_LABELS ? 'cut' : 'ok');
    await expect(loadFashionMnistFromUrl(server.baseUrl)).rejects.toThrow(/download interrupted/);
    server.answer = (path) => (path === TRAIN_LABELS ? 500 : 'ok');
    await expect(loadFashionMnistFromUrl(server.baseUrl)).rejects.toThrow(/HTTP 500/);
  });
});

describe('an unusable cache is skipped with a warning saying which and why', () => {
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, HOME: process.env.HOME };
  let home: string;
  beforeEach(async () => {
    home = join(scratch, `home-${n++}`);
    await mkdir(home);
    process.env.HOME = home; // the fallback ~/.cache lands in the scratch directory
  });
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  const fallback = () => join(home, '.cache', 'opt', 'fashion-mnist');
  /** The images already in the fallback cache, so that the test downloads only the labels. */
  async function imagesInFallback(): Promise<void> {
    await mkdir(fallback(), { recursive: true });
    for (const f of BIG) await symlink(join(realDataDir(), f), join(fallback(), f));
  }
  const loadDefault = (warnings: string[]) =>
    loadFashionMnist({
      systemDir: null,
      baseUrl: server.baseUrl,
      retries: 0,
      retryDelayMs: 0,
      onWarning: (m) => warnings.push(m),
    });

  it('XDG_CACHE_HOME under /proc (where recursive mkdir spins forever): says why, downloads into ~/.cache', async () => {
    process.env.XDG_CACHE_HOME = '/proc/opt-test-no-such-dir/cache';
    await imagesInFallback();
    const warnings: string[] = [];
    const data = await loadDefault(warnings);
    expect(data.train.count).toBe(60000);
    expect(data.sources.trainLabels).toBe(join(fallback(), TRAIN_LABELS));
    expect(warnings).toEqual([
      'Fashion-MNIST: the cache $XDG_CACHE_HOME/opt/fashion-mnist (/proc/opt-test-no-such-dir/cache/opt/fashion-mnist) is not usable: ' +
        `cannot create /proc/opt-test-no-such-dir (ENOENT: no such file or directory, mkdir '/proc/opt-test-no-such-dir'); using ~/.cache/opt/fashion-mnist (${fallback()}) instead.`,
    ]);
  });

  it('a read-only cache (/sys): says why instead of a raw ENOENT or EPERM, downloads into ~/.cache', async () => {
    process.env.XDG_CACHE_HOME = '/sys/kernel';
    await imagesInFallback();
    const warnings: string[] = [];
    const data = await loadDefault(warnings);
    expect(data.sources.testLabels).toBe(join(fallback(), TEST_LABELS));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Fashion-MNIST: the cache \$XDG_CACHE_HOME\/opt\/fashion-mnist \(\/sys\/kernel\/opt\/fashion-mnist\) is not usable: cannot create \/sys\/kernel\/opt \((EPERM|EACCES|EROFS): .*\); using ~\/\.cache/,
    );
  });

  it('a file where the cache should be: says so; with the data found elsewhere, nothing is said', async () => {
    const file = join(home, 'not-a-dir');
    await writeFile(file, 'x');
    process.env.XDG_CACHE_HOME = file;
    await imagesInFallback();
    const warnings: string[] = [];
    await loadDefault(warnings);
    expect(warnings[0]).toContain(`is not usable: ${file} is a file, not a directory; using ~/.cache`);
    // Everything is in ~/.cache now: no download, so the unusable cache is not even looked at.
    const quiet: string[] = [];
    await loadDefault(quiet);
    expect(quiet).toEqual([]);
  });

  it('a cacheDir you give is the only one: unusable, the error says why', async () => {
    const warnings: string[] = [];
    const error = await loadFashionMnist({
      cacheDir: '/proc/opt-test-no-such-dir/cache',
      systemDir: null,
      baseUrl: server.baseUrl,
      onWarning: (m) => warnings.push(m),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    expect(error.message).toContain(
      'no usable cache directory to download into: cacheDir option (/proc/opt-test-no-such-dir/cache): cannot create /proc/opt-test-no-such-dir (ENOENT',
    );
    expect(warnings).toEqual([]);
    expect(server.requests).toEqual([]);
  });
});
