/**
 * The browser loader: the four files from a base URL with `fetch`, gunzipped
 * with `DecompressionStream`, verified with `crypto.subtle`. Uses only web
 * platform APIs, so it runs in browsers and in Node 20.
 */
import {
  assembleDataset,
  checkDigest,
  FASHION_MNIST_FILES,
  type FileKey,
  type LoadProgress,
  parseFile,
} from './files.js';
import { type FashionMnistData, FashionMnistError, isGzip } from './idx.js';

/** Options of {@link loadFashionMnistFromUrl}. */
export interface LoadFromUrlOptions {
  /** Called as bytes arrive and when each file is ready. */
  onProgress?: (progress: LoadProgress) => void;
  /** Passed to `fetch` (e.g. an `AbortSignal`). */
  signal?: AbortSignal;
}

async function readBody(response: Response, file: string, onProgress: LoadFromUrlOptions['onProgress']) {
  const header = response.headers.get('content-length');
  const totalBytes = header === null ? undefined : Number(header);
  const chunks: Uint8Array[] = [];
  let loadedBytes = 0;
  if (response.body === null) throw new FashionMnistError(file, 'the response has no body.');
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loadedBytes += value.length;
      onProgress?.({ file, phase: 'download', loadedBytes, totalBytes });
    }
  } catch (error) {
    throw new FashionMnistError(
      file,
      `download interrupted after ${loadedBytes} bytes (${(error as Error).message}).`,
      {
        cause: error,
      },
    );
  }
  return { bytes: concat(chunks, loadedBytes), loadedBytes, totalBytes };
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Gunzips `bytes` with the web platform's `DecompressionStream`. */
export async function gunzipWeb(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new FashionMnistError(file, `corrupt gzip stream (${(error as Error).message}).`, { cause: error });
  }
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Loads Fashion-MNIST from `baseUrl` + file name (`name.gz`; on a 404 the
 * uncompressed `name`), with the same checks as the Node loader: IDX
 * structure and the sha256 of the uncompressed content.
 */
export async function loadFashionMnistFromUrl(
  baseUrl: string | URL,
  options: LoadFromUrlOptions = {},
): Promise<FashionMnistData> {
  const base = String(baseUrl).endsWith('/') ? String(baseUrl) : `${String(baseUrl)}/`;
  const found = {} as Record<FileKey, { bytes: Uint8Array; file: string }>;
  await Promise.all(
    FASHION_MNIST_FILES.map(async (spec) => {
      let url = new URL(`${spec.name}.gz`, base).href;
      let response = await fetchOrThrow(url, options.signal);
      if (response.status === 404) {
        await response.body?.cancel();
        const plain = new URL(spec.name, base).href;
        const second = await fetchOrThrow(plain, options.signal);
        if (second.ok) [url, response] = [plain, second];
        else await second.body?.cancel();
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new FashionMnistError(url, `download failed: HTTP ${response.status} ${response.statusText}`.trim());
      }
      const body = await readBody(response, url, options.onProgress);
      const bytes = isGzip(body.bytes) ? await gunzipWeb(body.bytes, url) : body.bytes;
      parseFile(spec, bytes, url);
      checkDigest(spec, hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)), url);
      options.onProgress?.({ file: url, phase: 'done', loadedBytes: body.loadedBytes, totalBytes: body.totalBytes });
      found[spec.key] = { bytes, file: url };
    }),
  );
  return assembleDataset(found);
}

async function fetchOrThrow(url: string, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetch(url, signal === undefined ? {} : { signal });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const why = cause instanceof Error ? `${(error as Error).message} (${cause.message})` : (error as Error).message;
    throw new FashionMnistError(url, `download failed: ${why}`, { cause: error });
  }
}
