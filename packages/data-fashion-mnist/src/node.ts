/**
 * The Node.js loader: local copies first, then a verified, resumable download
 * into the user cache. Node-only (node:fs, node:zlib); the browser entry leaves
 * this file out.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import {
  assembleDataset,
  checkDigest,
  FASHION_MNIST_FILES,
  type FileKey,
  type FileSpec,
  type LoadProgress,
  parseFile,
  UPSTREAM_BASE_URL,
} from './files.js';
import { type FashionMnistData, FashionMnistError, isGzip } from './idx.js';

const gunzip = promisify(gunzipCallback);

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

export interface LoadFashionMnistOptions extends LocateFashionMnistOptions {
  /** Where warnings go (an unusable cache skipped). Default: `process.emitWarning`. */
  onWarning?: (message: string) => void;
  /** Download missing files into the cache (default `true`). */
  download?: boolean;
  /** Called as download bytes arrive and when each file is ready. */
  onProgress?: (progress: LoadProgress) => void;
  /** Where to download from: this URL plus the file name. Default: the upstream S3 website. */
  baseUrl?: string;
  /** Download attempts per file after the first, resuming where the last one stopped (default 3). */
  retries?: number;
  /** Wait before retry `k` (1-based): `k * retryDelayMs` milliseconds (default 1000). */
  retryDelayMs?: number;
}

/** The dataset, and the path each file was read from (for logs: which copy was used). */
export interface FashionMnistNodeData extends FashionMnistData {
  readonly sources: Readonly<Record<FileKey, string>>;
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

/** The user cache directory the loader downloads into (without `cacheDir`), when it is usable. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (defaultCacheDirs(env)[0] as { dir: string }).dir;
}

interface CachePlace {
  /** How the place was chosen, for messages. */
  readonly label: string;
  readonly dir: string;
}

/** The cache directories tried in order without a `cacheDir` option: XDG, then home, then the OS temp directory. */
function defaultCacheDirs(env: Readonly<Record<string, string | undefined>>): CachePlace[] {
  const xdg = env.XDG_CACHE_HOME;
  const places: CachePlace[] = [];
  if (xdg !== undefined && xdg !== '')
    places.push({ label: '$XDG_CACHE_HOME/opt/fashion-mnist', dir: join(xdg, 'opt', 'fashion-mnist') });
  places.push({ label: '~/.cache/opt/fashion-mnist', dir: join(homedir(), '.cache', 'opt', 'fashion-mnist') });
  places.push({ label: 'the temporary directory', dir: join(tmpdir(), 'opt-fashion-mnist') });
  return places;
}

function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code !== undefined
    ? `${e.code}: ${e.message.replace(/^\w+: /, '')}`
    : String((error as Error)?.message ?? error);
}

/**
 * Why `dir` cannot hold the cache, or null once it exists and takes a file. The directories are created one
 * level at a time: Node's recursive mkdir spins at 100% CPU forever where directories cannot be created (under
 * /proc), so it is never used here.
 */
async function cacheUnusable(dir: string): Promise<string | null> {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      if (!(await stat(existing)).isDirectory()) return `${existing} is a file, not a directory`;
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot look at ${existing} (${errorText(error)})`;
    }
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot create ${d} (${errorText(error)})`;
    }
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    return `cannot write in ${dir} (${errorText(error)})`;
  }
  return null;
}

/**
 * The first usable cache directory for a download, warning about each one skipped; or an error listing every
 * one and why.
 */
async function chooseCache(places: readonly CachePlace[], warn: (message: string) => void): Promise<string> {
  const refused: string[] = [];
  for (const [i, place] of places.entries()) {
    const why = await cacheUnusable(place.dir);
    if (why === null) return place.dir;
    refused.push(`${place.label} (${place.dir}): ${why}`);
    const next = places[i + 1];
    if (next !== undefined) {
      warn(
        `Fashion-MNIST: the cache ${place.label} (${place.dir}) is not usable: ${why}; using ${next.label} (${next.dir}) instead.`,
      );
    }
  }
  throw new Error(`no usable cache directory to download into: ${refused.join('; ')}`);
}

function toUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Decompresses (when gzip), parses and verifies one file's bytes. Throws a
 * {@link FashionMnistError} naming `file` for anything wrong.
 */
async function decodeFile(spec: FileSpec, raw: Uint8Array, file: string): Promise<Uint8Array> {
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      // One output chunk of the expected size: zlib's default 16 KiB chunks made inflating 3x slower.
      bytes = toUint8(await gunzip(raw, { chunkSize: Math.max(spec.size, 16 * 1024) }));
    } catch (error) {
      throw new FashionMnistError(file, `corrupt gzip stream (${(error as Error).message}).`, { cause: error });
    }
  }
  parseFile(spec, bytes, file);
  checkDigest(spec, createHash('sha256').update(bytes).digest('hex'), file);
  return bytes;
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

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface DownloadContext {
  readonly cacheDir: string;
  readonly baseUrl: string;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly onProgress: ((progress: LoadProgress) => void) | undefined;
}

/**
 * Downloads `spec`'s .gz into `<cacheDir>/<name>.gz.partial`, resuming with an
 * HTTP Range request when a partial file exists and the server answers 206
 * (else it starts over), verifies the uncompressed sha256, then fsyncs and
 * renames it to `<name>.gz`. A body that fails verification is deleted.
 */
async function downloadFile(spec: FileSpec, ctx: DownloadContext): Promise<Uint8Array> {
  const fileName = `${spec.name}.gz`;
  const url = new URL(fileName, ctx.baseUrl.endsWith('/') ? ctx.baseUrl : `${ctx.baseUrl}/`).href;
  const partial = join(ctx.cacheDir, `${fileName}.partial`);
  const final = join(ctx.cacheDir, fileName);
  let lastError: unknown = null;
  for (let attempt = 0; attempt <= ctx.retries; attempt++) {
    if (attempt > 0 && ctx.retryDelayMs > 0) await new Promise((r) => setTimeout(r, attempt * ctx.retryDelayMs));
    let start = 0;
    try {
      start = (await stat(partial)).size;
    } catch {
      start = 0;
    }
    let response: Response;
    try {
      response = await fetch(url, start > 0 ? { headers: { Range: `bytes=${start}-` } } : {});
    } catch (error) {
      lastError = error;
      continue;
    }
    if (response.status === 416) {
      // The partial file is as long as (or longer than) the resource: start over.
      await response.body?.cancel();
      await unlink(partial).catch(() => {});
      lastError = new HttpError(416, `${url}: HTTP 416 for a resumed download`);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      lastError = new HttpError(response.status, `${url}: HTTP ${response.status} ${response.statusText}`);
      if (response.status >= 400 && response.status < 500) break; // 404 and friends will not change on retry
      continue;
    }
    const resumed =
      start > 0 &&
      response.status === 206 &&
      (response.headers.get('content-range') ?? '').startsWith(`bytes ${start}-`);
    if (!resumed) start = 0;
    const length = Number(response.headers.get('content-length'));
    const totalBytes = Number.isFinite(length) && response.headers.has('content-length') ? start + length : undefined;
    const handle = await open(partial, resumed ? 'a' : 'w');
    let loadedBytes = start;
    let interrupted: unknown = null;
    try {
      if (response.body === null) throw new Error('response has no body');
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        loadedBytes += chunk.length;
        ctx.onProgress?.({ file: fileName, phase: 'download', loadedBytes, totalBytes });
      }
      // A connection closed cleanly before Content-Length is a cut, not a corrupt body: keep it and resume.
      if (totalBytes !== undefined && loadedBytes < totalBytes) {
        throw new Error(`connection closed after ${loadedBytes} of ${totalBytes} bytes`);
      }
    } catch (error) {
      interrupted = error;
    } finally {
      await handle.sync();
      await handle.close();
    }
    if (interrupted !== null) {
      lastError = interrupted; // keep the partial file: the next attempt resumes it
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await decodeFile(spec, await readFile(partial), url);
    } catch (error) {
      await unlink(partial).catch(() => {});
      lastError = error;
      // A resumed body may have joined two different versions: one fresh try.
      if (resumed) continue;
      break;
    }
    await rename(partial, final);
    await fsyncDir(ctx.cacheDir);
    ctx.onProgress?.({ file: fileName, phase: 'done', loadedBytes, totalBytes });
    return bytes;
  }
  throw lastError instanceof FashionMnistError
    ? lastError
    : new FashionMnistError(url, `download failed: ${describeError(lastError)}`, { cause: lastError });
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** One place the files are looked for, in the search order. */
interface SearchPlace {
  readonly label: string;
  readonly dir: string | null;
  /** A cache: a corrupt copy there is deleted rather than reported. */
  readonly isCache: boolean;
}

/**
 * The places looked in, in order: `dataDir`, `$FASHION_MNIST_DIR`, the cache (`cacheDir`, else the default
 * caches), the system directory. The one search order of {@link locateFashionMnist} and {@link loadFashionMnist}.
 */
function searchPlaces(options: LocateFashionMnistOptions): { places: SearchPlace[]; caches: CachePlace[] } {
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
interface Found {
  readonly path: string;
  readonly place: number;
}

/** The first copy of `spec` in `places`, looking from place `from` on; null when none has it. */
async function findFile(places: readonly SearchPlace[], spec: FileSpec, from = 0): Promise<Found | null> {
  for (let place = from; place < places.length; place++) {
    const dir = (places[place] as SearchPlace).dir;
    if (dir === null) continue;
    const path = await findIn(dir, spec);
    if (path !== null) return { path, place };
  }
  return null;
}

/** The first copy of each file, by key (absent: no copy anywhere). */
async function findFiles(places: readonly SearchPlace[]): Promise<Partial<Record<FileKey, Found>>> {
  const found: Partial<Record<FileKey, Found>> = {};
  for (const spec of FASHION_MNIST_FILES) {
    const hit = await findFile(places, spec);
    if (hit !== null) found[spec.key] = hit;
  }
  return found;
}

/** The error for files found nowhere: every place looked in, what happened to the download, how to get the data. */
function notFound(
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

/**
 * Loads Fashion-MNIST, verified by the sha256 of each file's uncompressed
 * content. Each file is looked for, in order, in `dataDir`, `$FASHION_MNIST_DIR`,
 * the cache directory, and `/usr/share/datasets/fashion-mnist`, as `name.gz`
 * or `name`; a missing file is downloaded into the cache (unless `download` is
 * false).
 *
 * A corrupt file in `dataDir`, `$FASHION_MNIST_DIR` or the system directory is
 * an error naming it: the loader does not hide a broken copy you pointed it
 * at. A corrupt file in the cache is deleted and downloaded again.
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions = {}): Promise<FashionMnistNodeData> {
  const { places, caches } = searchPlaces(options);
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'FashionMnistCacheWarning'));
  const download = options.download ?? true;
  const baseUrl = options.baseUrl ?? UPSTREAM_BASE_URL;
  const retries = options.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`loadFashionMnist: retries must be a non-negative integer, got ${String(options.retries)}.`);
  }
  const retryDelayMs = options.retryDelayMs ?? 1000;
  if (!(retryDelayMs >= 0)) {
    throw new RangeError(`loadFashionMnist: retryDelayMs must be >= 0, got ${String(options.retryDelayMs)}.`);
  }
  // The cache to download into is chosen (and checked) only when a file has to be downloaded.
  let ctx: DownloadContext | null = null;
  let cacheDir = (caches[0] as CachePlace).dir;
  const located = await findFiles(places);
  const found = {} as Record<FileKey, { bytes: Uint8Array; file: string }>;
  const missing: FileSpec[] = [];
  let downloadError: unknown = null;
  for (const spec of FASHION_MNIST_FILES) {
    let bytes: Uint8Array | null = null;
    let file = '';
    for (let hit = located[spec.key] ?? null; hit !== null && bytes === null; ) {
      try {
        bytes = await decodeFile(spec, toUint8(await readFile(hit.path)), hit.path);
        file = hit.path;
      } catch (error) {
        if (!(places[hit.place] as SearchPlace).isCache || !(error instanceof FashionMnistError)) throw error;
        // A corrupt cached copy is deleted; the next place or a fresh download replaces it.
        const corrupt = hit.path;
        await unlink(corrupt).catch((e: unknown) =>
          warn(`Fashion-MNIST: cannot delete the corrupt cached ${corrupt} (${errorText(e)}).`),
        );
        hit = await findFile(places, spec, hit.place + 1);
      }
    }
    if (bytes === null && download && downloadError === null) {
      try {
        if (ctx === null) {
          cacheDir = await chooseCache(caches, warn);
          ctx = { cacheDir, baseUrl, retries, retryDelayMs, onProgress: options.onProgress };
        }
        bytes = await downloadFile(spec, ctx);
        file = join(cacheDir, `${spec.name}.gz`);
      } catch (error) {
        downloadError = error;
      }
    }
    if (bytes === null) {
      missing.push(spec);
      continue;
    }
    found[spec.key] = { bytes, file };
  }
  if (missing.length > 0) {
    throw notFound(
      places,
      missing,
      download ? `download from ${baseUrl}: ${describeError(downloadError)}` : 'download: disabled (download: false)',
      `allow network access so that the loader can download them into ${cacheDir}`,
      downloadError ?? undefined,
    );
  }
  const sources = Object.fromEntries(FASHION_MNIST_FILES.map((s) => [s.key, found[s.key].file])) as Record<
    FileKey,
    string
  >;
  return { ...assembleDataset(found), sources };
}
