/**
 * Serves Fashion-MNIST from the local copy on the dev and preview servers, at
 * `/fashion-mnist/<file>`. Where the copy is comes from the data package's own
 * Node lookup (`dataDir` option, FASHION_MNIST_DIR, the user cache, Debian's
 * package), which also verifies every file; nothing is downloaded.
 */
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { FashionMnistError, FashionMnistNotFoundError, loadFashionMnist } from '@opt/data-fashion-mnist';
import type { Connect, Plugin } from 'vite';

/** The URL path the servers answer on; the page's default data URL is this path relative to the site. */
export const DATA_ROUTE = '/fashion-mnist/';

export interface FashionMnistFilesOptions {
  /** A directory holding the four files, looked at before FASHION_MNIST_DIR (the data package's `dataDir`). */
  dataDir?: string;
}

/** File name in the URL -> path on disk, for the four files the lookup found. */
type Located = Map<string, string>;

export function fashionMnistFiles(options: FashionMnistFilesOptions = {}): Plugin {
  let located: Promise<Located> | null = null;
  const locate = (): Promise<Located> => {
    // Remembered once found; a failure is not, so installing the data and reloading the page is enough.
    located ??= loadFashionMnist({
      download: false,
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    }).then(
      (data) => new Map(Object.values(data.sources).map((path) => [basename(path), path])),
      (error: unknown) => {
        located = null;
        throw error;
      },
    );
    return located;
  };

  const handler: Connect.NextHandleFunction = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/').replace(/^\/+/, '');
    locate().then(
      (files) => {
        const path = files.get(name);
        if (path === undefined) return sendText(res, 404, `No Fashion-MNIST file named "${name}" here.`);
        // The raw bytes as stored (gzip or not): no Content-Encoding, the page's loader gunzips and verifies.
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Cache-Control', 'no-cache');
        if (req.method === 'HEAD') return res.end();
        createReadStream(path)
          .on('error', (error) => sendText(res, 500, `Reading ${path} failed: ${error.message}`))
          .pipe(res);
      },
      (error: unknown) => {
        if (error instanceof FashionMnistNotFoundError) return sendText(res, 404, error.message);
        if (error instanceof FashionMnistError) return sendText(res, 500, error.message);
        next(error);
      },
    );
  };

  return {
    name: 'opt-fashion-mnist-files',
    configureServer(server) {
      server.middlewares.use(DATA_ROUTE, handler);
    },
    configurePreviewServer(server) {
      server.middlewares.use(DATA_ROUTE, handler);
    },
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(text);
}
