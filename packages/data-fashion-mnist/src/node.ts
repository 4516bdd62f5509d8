/**
 * The Node.js loader: local copies first, then a verified, resumable download
 * into the user cache. Node-only (node:fs, node:zlib); the browser entry leaves
 * this file out.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assembleDataset,
  FASHION_MNIST_FILES,
  type FileKey,
  type FileSpec,
  type LoadProgress,
  UPSTREAM_BASE_URL,
} from './files.js';
import { type FashionMnistData, FashionMnistError } from './idx.js';
import { type CachePlace, chooseCache, errorText } from './node-cache.js';
import { decodeFile, toUint8 } from './node-decode.js';
import { type DownloadContext, describeError, downloadFile } from './node-download.js';
import {
  findFile,
  findFiles,
  type LocateFashionMnistOptions,
  notFound,
  type SearchPlace,
  searchPlaces,
} from './node-locate.js';

export { defaultCacheDir } from './node-cache.js';
export {
  DEBIAN_DATA_DIR,
  type FashionMnistLocation,
  FashionMnistNotFoundError,
  type LocateFashionMnistOptions,
  locateFashionMnist,
} from './node-locate.js';

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
