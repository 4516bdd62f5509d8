import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLASS_NAMES,
  defaultCacheDir,
  type FashionMnistData,
  FashionMnistError,
  FashionMnistNotFoundError,
  loadFashionMnist,
  locateFashionMnist,
} from './index.js';
import { debianDir, FILE_NAMES, realDataDir, sharedDir } from './testing/fixtures/fixtures.js';

// sha256 of the .gz files as published in ../shared/data/fashion-mnist/README.txt (originals only).
const GZ_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte.gz': '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
  'train-labels-idx1-ubyte.gz': 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
  't10k-images-idx3-ubyte.gz': '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
  't10k-labels-idx1-ubyte.gz': '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
};

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const savedEnv = process.env.FASHION_MNIST_DIR;

let data: FashionMnistData;
let scratch: string;
beforeAll(async () => {
  delete process.env.FASHION_MNIST_DIR;
  data = await loadFashionMnist({ dataDir: realDataDir(), download: false });
  scratch = await mkdtemp(join(tmpdir(), 'fmnist-real-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
afterEach(() => {
  if (savedEnv === undefined) delete process.env.FASHION_MNIST_DIR;
  else process.env.FASHION_MNIST_DIR = savedEnv;
});

describe('the real Fashion-MNIST', () => {
  it('has 60,000 training and 10,000 test images of 784 bytes', () => {
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(data.train.images.length).toBe(60000 * 784);
    expect(data.train.labels.length).toBe(60000);
    expect(data.test.images.length).toBe(10000 * 784);
  });

  it('has 6,000 training and 1,000 test images per class', () => {
    const count = (labels: Uint8Array) => {
      const c = new Array(10).fill(0);
      for (const l of labels) c[l]++;
      return c;
    };
    expect(count(data.train.labels)).toEqual(new Array(10).fill(6000));
    expect(count(data.test.labels)).toEqual(new Array(10).fill(1000));
  });

  it('starts with the labels 9 0 0 3 0 2 7 2 5 5 and names the classes in order', () => {
    expect(Array.from(data.train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(data.classNames).toEqual(CLASS_NAMES);
    expect(data.classNames[9]).toBe('Ankle boot');
    expect(data.classNames[0]).toBe('T-shirt/top');
  });

  it('returns content whose sha256 is the published one (independent hash of the raw files)', async () => {
    const dir = realDataDir();
    const trainImages = gunzipSync(await readFile(join(dir, 'train-images-idx3-ubyte.gz')));
    expect(sha256(trainImages)).toBe('c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888');
    expect(Buffer.compare(trainImages.subarray(16), data.train.images)).toBe(0);
  });

  it.skipIf(sharedDir() === null)('the shared originals match the published .gz checksums', async () => {
    for (const name of FILE_NAMES) {
      expect(sha256(await readFile(join(sharedDir() as string, `${name}.gz`)))).toBe(GZ_SHA256[`${name}.gz`]);
    }
  });

  it.skipIf(debianDir() === null)("Debian's re-headered copy verifies and gives the same bytes", async () => {
    const debian = await loadFashionMnist({ dataDir: debianDir() as string, download: false });
    const gz = await readFile(join(debianDir() as string, 't10k-labels-idx1-ubyte.gz'));
    if (sharedDir() !== null) expect(sha256(gz)).not.toBe(GZ_SHA256['t10k-labels-idx1-ubyte.gz']);
    expect(Buffer.compare(debian.train.images, data.train.images)).toBe(0);
    expect(Buffer.compare(debian.test.labels, data.test.labels)).toBe(0);
  });
});

describe('where the Node loader looks', () => {
  /** A directory with the four real files (symlinks), optionally uncompressed. */
  async function copyDir(name: string, uncompressed: string[] = []): Promise<string> {
    const dir = join(scratch, name);
    await mkdir(dir, { recursive: true });
    for (const f of FILE_NAMES) {
      if (uncompressed.includes(f))
        await writeFile(join(dir, f), gunzipSync(await readFile(join(realDataDir(), `${f}.gz`))));
      else await symlink(join(realDataDir(), `${f}.gz`), join(dir, `${f}.gz`));
    }
    return dir;
  }

  it('takes dataDir first, then FASHION_MNIST_DIR, then the cache, then the system directory', async () => {
    const a = await copyDir('a');
    const b = await copyDir('b');
    const c = await copyDir('c');
    const d = await copyDir('d');
    process.env.FASHION_MNIST_DIR = b;
    const opts = { cacheDir: c, systemDir: d, download: false };
    expect((await loadFashionMnist({ ...opts, dataDir: a })).sources.trainLabels).toBe(
      join(a, 'train-labels-idx1-ubyte.gz'),
    );
    expect((await loadFashionMnist(opts)).sources.testImages).toBe(join(b, 't10k-images-idx3-ubyte.gz'));
    delete process.env.FASHION_MNIST_DIR;
    expect((await loadFashionMnist(opts)).sources.trainImages).toBe(join(c, 'train-images-idx3-ubyte.gz'));
    const fromSystem = await loadFashionMnist({ ...opts, cacheDir: join(scratch, 'empty-cache') });
    expect(fromSystem.sources.testLabels).toBe(join(d, 't10k-labels-idx1-ubyte.gz'));
    expect(Array.from(fromSystem.train.labels.subarray(0, 3))).toEqual([9, 0, 0]);
  });

  it('accepts uncompressed files', async () => {
    const dir = await copyDir('raw', ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte']);
    const loaded = await loadFashionMnist({
      dataDir: dir,
      systemDir: null,
      cacheDir: join(scratch, 'nc'),
      download: false,
    });
    expect(loaded.sources.trainLabels).toBe(join(dir, 'train-labels-idx1-ubyte'));
    expect(Buffer.compare(loaded.test.images, data.test.images)).toBe(0);
  });

  it('a corrupt file in FASHION_MNIST_DIR is an error naming it, not a silent fallback', async () => {
    const dir = await copyDir('bad-env');
    await rm(join(dir, 't10k-labels-idx1-ubyte.gz'));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), 'not data');
    process.env.FASHION_MNIST_DIR = dir;
    const fallback = await copyDir('fallback');
    const error = await loadFashionMnist({ systemDir: fallback, cacheDir: join(scratch, 'nc2') }).catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistError);
    expect(error.file).toBe(join(dir, 't10k-labels-idx1-ubyte.gz'));
  });

  it('a corrupt cached file is deleted and the next copy used', async () => {
    const cache = join(scratch, 'bad-cache');
    await mkdir(cache);
    await writeFile(join(cache, 'train-labels-idx1-ubyte.gz'), 'garbage');
    const system = await copyDir('sys2');
    const loaded = await loadFashionMnist({ cacheDir: cache, systemDir: system, download: false });
    expect(loaded.sources.trainLabels).toBe(join(system, 'train-labels-idx1-ubyte.gz'));
    await expect(readFile(join(cache, 'train-labels-idx1-ubyte.gz'))).rejects.toThrow(/ENOENT/);
  });

  it('offline with no copy: one error listing every place and how to get the data', async () => {
    process.env.FASHION_MNIST_DIR = join(scratch, 'nowhere-env');
    const error = await loadFashionMnist({
      dataDir: join(scratch, 'nowhere'),
      cacheDir: join(scratch, 'nowhere-cache'),
      systemDir: join(scratch, 'nowhere-system'),
      download: false,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    for (const place of ['nowhere', 'nowhere-env', 'nowhere-cache', 'nowhere-system']) {
      expect(error.message).toContain(join(scratch, place));
    }
    expect(error.places).toHaveLength(5);
    expect(error.message).toMatch(/download: disabled/);
    expect(error.message).toMatch(/apt-get install dataset-fashion-mnist/);
    expect(error.message).toMatch(/dataDir.*FASHION_MNIST_DIR/);
    expect(error.message).toContain('train-images-idx3-ubyte(.gz)');
  });

  it('locateFashionMnist finds the files the loader reads, in the same order, without reading them', async () => {
    const a = await copyDir('loc-a');
    const b = await copyDir('loc-b');
    const c = await copyDir('loc-c');
    const d = await copyDir('loc-d');
    // dataDir holds two of the four: the other two come from the next place that has them.
    const partial = join(scratch, 'loc-partial');
    await mkdir(partial);
    for (const f of ['train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte'])
      await symlink(join(realDataDir(), `${f}.gz`), join(partial, `${f}.gz`));
    const cases: { dataDir?: string; env?: string; cacheDir: string }[] = [
      { dataDir: a, env: b, cacheDir: c },
      { env: b, cacheDir: c },
      { cacheDir: c },
      { cacheDir: join(scratch, 'loc-empty-cache') },
      { dataDir: partial, cacheDir: c },
    ];
    for (const { env, ...place } of cases) {
      if (env === undefined) delete process.env.FASHION_MNIST_DIR;
      else process.env.FASHION_MNIST_DIR = env;
      const options = { ...place, systemDir: d };
      const located = await locateFashionMnist(options);
      expect(located.files).toEqual((await loadFashionMnist({ ...options, download: false })).sources);
    }
    delete process.env.FASHION_MNIST_DIR;
    expect(await locateFashionMnist({ dataDir: a, systemDir: d })).toEqual({
      files: {
        trainImages: join(a, 'train-images-idx3-ubyte.gz'),
        trainLabels: join(a, 'train-labels-idx1-ubyte.gz'),
        testImages: join(a, 't10k-images-idx3-ubyte.gz'),
        testLabels: join(a, 't10k-labels-idx1-ubyte.gz'),
      },
      directory: a,
    });
    const mixed = await locateFashionMnist({
      dataDir: partial,
      cacheDir: join(scratch, 'loc-empty-cache'),
      systemDir: d,
    });
    expect(mixed.directory).toBeNull();
    expect(mixed.files.trainLabels).toBe(join(partial, 'train-labels-idx1-ubyte.gz'));
    expect(mixed.files.trainImages).toBe(join(d, 'train-images-idx3-ubyte.gz'));
    // It only looks: a damaged file is located (the loader is what verifies it).
    const damaged = join(scratch, 'loc-damaged');
    await mkdir(damaged);
    for (const f of FILE_NAMES) await writeFile(join(damaged, `${f}.gz`), 'not data');
    expect((await locateFashionMnist({ dataDir: damaged })).directory).toBe(damaged);
    await expect(loadFashionMnist({ dataDir: damaged })).rejects.toBeInstanceOf(FashionMnistError);
  });

  it("locateFashionMnist with a file found nowhere: the loader's error, every place listed, download not tried", async () => {
    process.env.FASHION_MNIST_DIR = join(scratch, 'loc-nowhere-env');
    const partial = join(scratch, 'loc-only-labels');
    await mkdir(partial);
    await symlink(join(realDataDir(), 'train-labels-idx1-ubyte.gz'), join(partial, 'train-labels-idx1-ubyte.gz'));
    const error = await locateFashionMnist({
      dataDir: partial,
      cacheDir: join(scratch, 'loc-nowhere-cache'),
      systemDir: join(scratch, 'loc-nowhere-system'),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(FashionMnistNotFoundError);
    for (const place of ['loc-only-labels', 'loc-nowhere-env', 'loc-nowhere-cache', 'loc-nowhere-system']) {
      expect(error.message).toContain(join(scratch, place));
    }
    expect(error.places).toHaveLength(5);
    expect(error.message).toContain(
      'no copy of t10k-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), train-images-idx3-ubyte(.gz).',
    );
    expect(error.message).toMatch(/download: not tried \(locateFashionMnist only looks for local copies\)/);
    expect(error.message).toMatch(/apt-get install dataset-fashion-mnist/);
  });

  it('the default cache is $XDG_CACHE_HOME/opt/fashion-mnist, else ~/.cache/opt/fashion-mnist', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/opt/fashion-mnist');
    expect(defaultCacheDir({})).toMatch(/\.cache\/opt\/fashion-mnist$/);
  });
});
