/**
 * The wasm backend's `.wasm` binaries at one fixed folder, `tfjs-wasm/`, so that
 * `useBackend('wasm', { wasmPaths })` can find them by prefix: served by the
 * dev server, emitted into the build (the preview server serves the build).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

export const WASM_ROUTE = '/tfjs-wasm/';

/** tfjs-backend-wasm's dist folder, as @opt/tensor (which depends on it) resolves it. */
function wasmDist(): string {
  const require = createRequire(import.meta.url);
  const tensor = createRequire(require.resolve('@opt/tensor/package.json'));
  return dirname(tensor.resolve('@tensorflow/tfjs-backend-wasm'));
}

export function tfjsWasmFiles(): Plugin {
  const dir = wasmDist();
  const files = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  return {
    name: 'opt-tfjs-wasm-files',
    configureServer(server) {
      server.middlewares.use(WASM_ROUTE, (req, res, next) => {
        const name = (req.url ?? '/').split('?')[0]?.replace(/^\/+/, '') ?? '';
        if (!files.includes(name)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(join(dir, name)));
      });
    },
    generateBundle() {
      for (const name of files) {
        this.emitFile({ type: 'asset', fileName: `tfjs-wasm/${name}`, source: readFileSync(join(dir, name)) });
      }
    },
  };
}
