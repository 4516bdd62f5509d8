// The IndexedDB checkpoint store against a real Chromium's own IndexedDB, and fit on WebGL and WebGPU through SwiftShader
// (setup shared: scripts/vitest-browser.ts).
import { fileURLToPath } from 'node:url';
import { browserTestConfig, GPU_ARGS } from '../../scripts/vitest-browser.js';

export default browserTestConfig({
  chromiumArgs: GPU_ARGS,
  // package.json's `#directory-store` points a browser at dist/directory-store.browser.js: test the sources.
  alias: { '#directory-store': fileURLToPath(new URL('./src/directory-store.browser.ts', import.meta.url)) },
});
