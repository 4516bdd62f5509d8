// The backends in a real Chromium, webgl and webgpu through SwiftShader (setup shared: scripts/vitest-browser.ts).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { browserTestConfig, GPU_ARGS } from '../../scripts/vitest-browser.js';

const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

export default browserTestConfig({
  chromiumArgs: GPU_ARGS,
  allowFs: [wasmDist],
  define: { __TFJS_WASM_DIST__: JSON.stringify(`/@fs${wasmDist}/`) },
});
