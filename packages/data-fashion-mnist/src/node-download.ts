/**
 * The Node loader's download: resumable (HTTP Range), retried with a growing wait, verified before it is renamed
 * into the cache, so that nothing corrupt stays there.
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSpec, LoadProgress } from './files.js';
import { FashionMnistError } from './idx.js';
import { decodeFile } from './node-decode.js';

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

/** Where and how {@link downloadFile} downloads: the cache chosen and the loader's options. */
export interface DownloadContext {
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
export async function downloadFile(spec: FileSpec, ctx: DownloadContext): Promise<Uint8Array> {
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

/** An error's message with its cause's (fetch hides the network error in `cause`). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
