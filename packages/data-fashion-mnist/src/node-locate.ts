/**
 * Where the Node loader looks for local copies, in its one search order, and the error for files found nowhere.
 */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FASHION_MNIST_FILES, type FileKey, type FileSpec } from './files.js';
import { type CachePlace, defaultCacheDirs } from './node-cache.js';

/** Debian's `dataset-fashion-mnist` package installs the four .gz files here. */
export const DEBIAN_DATA_DIR = '/usr/share/datasets/fashion-mnist';

/** Where to look for local copies: the part of {@link LoadFashionMnistOptions} that {@link locateFashionMnist} takes. */
export interface LocateFashionMnistOptions {
  /** A directory holding the four files (`name.gz` or uncompressed `name`); looked at first. */
  dataDir?: string;
  /**
   * The download cache. Default: the first usable of `$XDG_CACHE_HOME/opt/fashion-mnist`,
   * `~/.cache/opt/fashion-mnist` and `<os tmpdir>/opt-fashion-mnist` (an unusable one is skipped with a warning
   * saying why). A `cacheDir` you give is the only one: if it is unusable, the error says why.
   */
  cacheDir?: string;
  /** The system-wide copy; default Debian's `/usr/share/datasets/fashion-mnist`, `null` to skip it. */
  systemDir?: string | null;
}

/** Where the four files are: {@link locateFashionMnist}'s answer. */
export interface FashionMnistLocation {
  /** The path of each file (`name.gz` or uncompressed `name`), by key. */
  readonly files: Readonly<Record<FileKey, string>>;
  /** The directory holding all four, or null when they were found in more than one place. */
  readonly directory: string | null;
}

/** No copy anywhere and no download: `places` lists where the loader looked. */
export class FashionMnistNotFoundError extends Error {
  override name = 'FashionMnistNotFoundError';
  readonly places: readonly string[];
  constructor(message: string, places: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.places = places;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The copy of `spec` in `dir` (`name.gz` first, then `name`), or null. */
async function findIn(dir: string, spec: FileSpec): Promise<string | null> {
  for (const candidate of [`${spec.name}.gz`, spec.name]) {
    const path = join(dir, candidate);
    if (await exists(path)) return path;
  }
  return null;
}

/** One place the files are looked for, in the search order. */
export interface SearchPlace {
  readonly label: string;
  readonly dir: string | null;
  /** A cache: a corrupt copy there is deleted rather than reported. */
  readonly isCache: boolean;
}

/**
 * The places looked in, in order: `dataDir`, `$FASHION_MNIST_DIR`, the cache (`cacheDir`, else the default
 * caches), the system directory. The one search order of {@link locateFashionMnist} and {@link loadFashionMnist}.
 */
export function searchPlaces(options: LocateFashionMnistOptions): { places: SearchPlace[]; caches: CachePlace[] } {
  const caches: CachePlace[] =
    options.cacheDir !== undefined
      ? [{ label: 'cacheDir option', dir: options.cacheDir }]
      : defaultCacheDirs(process.env);
  const envDir = process.env.FASHION_MNIST_DIR;
  const places: SearchPlace[] = [
    { label: 'dataDir option', dir: options.dataDir ?? null, isCache: false },
    {
      label: 'FASHION_MNIST_DIR environment variable',
      dir: envDir !== undefined && envDir !== '' ? envDir : null,
      isCache: false,
    },
    ...caches.map((c) => ({ label: `user cache (${c.label})`, dir: c.dir as string | null, isCache: true })),
    {
      label: "Debian's dataset-fashion-mnist package",
      dir: options.systemDir === undefined ? DEBIAN_DATA_DIR : options.systemDir,
      isCache: false,
    },
  ];
  return { places, caches };
}

/** A copy of one file: its path and the index of the place it is in. */
export interface Found {
  readonly path: string;
  readonly place: number;
}

/** The first copy of `spec` in `places`, looking from place `from` on; null when none has it. */
export async function findFile(places: readonly SearchPlace[], spec: FileSpec, from = 0): Promise<Found | null> {
  for (let place = from; place < places.length; place++) {
    const dir = (places[place] as SearchPlace).dir;
    if (dir === null) continue;
    const path = await findIn(dir, spec);
    if (path !== null) return { path, place };
  }
  return null;
}

/** The first copy of each file, by key (absent: no copy anywhere). */
export async function findFiles(places: readonly SearchPlace[]): Promise<Partial<Record<FileKey, Found>>> {
  const found: Partial<Record<FileKey, Found>> = {};
  for (const spec of FASHION_MNIST_FILES) {
    const hit = await findFile(places, spec);
    if (hit !== null) found[spec.key] = hit;
  }
  return found;
}

/** The error for files found nowhere: every place looked in, what happened to the download, how to get the data. */
export function notFound(
  places: readonly SearchPlace[],
  missing: readonly FileSpec[],
  download: string,
  fix: string,
  cause?: unknown,
): FashionMnistNotFoundError {
  const lines = places.map((p) => `  - ${p.label}: ${p.dir ?? '(not set)'}`);
  lines.push(`  - ${download}`);
  return new FashionMnistNotFoundError(
    `Fashion-MNIST not found: no copy of ${missing.map((s) => `${s.name}(.gz)`).join(', ')}. Looked in:\n${lines.join('\n')}\n` +
      "To get the data: install Debian's package (apt-get install dataset-fashion-mnist), or put the four files " +
      `in a directory and pass { dataDir } or set FASHION_MNIST_DIR, or ${fix}.`,
    lines.map((l) => l.slice(4)),
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Finds the four files where {@link loadFashionMnist} would look, in the same order (`dataDir`,
 * `$FASHION_MNIST_DIR`, the cache, the system directory; `name.gz`, then `name`), without reading them and
 * without downloading: their paths, and the directory when one holds all four. Use it to serve or copy the files;
 * `loadFashionMnist` reads and verifies them (a file found here may still be corrupt). With a file found nowhere,
 * the same {@link FashionMnistNotFoundError} as the loader's, listing every place looked in.
 */
export async function locateFashionMnist(options: LocateFashionMnistOptions = {}): Promise<FashionMnistLocation> {
  const { places, caches } = searchPlaces(options);
  const found = await findFiles(places);
  const missing = FASHION_MNIST_FILES.filter((spec) => found[spec.key] === undefined);
  if (missing.length > 0) {
    throw notFound(
      places,
      missing,
      'download: not tried (locateFashionMnist only looks for local copies)',
      `let loadFashionMnist() download them into ${(caches[0] as CachePlace).dir}`,
    );
  }
  const files = Object.fromEntries(
    FASHION_MNIST_FILES.map((spec) => [spec.key, (found[spec.key] as Found).path]),
  ) as Record<FileKey, string>;
  const dirs = new Set(Object.values(files).map((path) => dirname(path)));
  return { files, directory: dirs.size === 1 ? ([...dirs][0] as string) : null };
}
