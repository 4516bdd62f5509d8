import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // package.json's `#directory-store` points at dist/ (Node's pick, the default condition): test the sources.
  resolve: { alias: { '#directory-store': fileURLToPath(new URL('./src/directory-store.ts', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.browser.test.ts'],
    // One process for all files: each file's fresh process re-imported TensorFlow.js and compiled its wasm, about
    // half of the suite's CPU time. The files set the backend they need themselves.
    isolate: false,
    // Only catches a hang: a loaded machine makes every test slower, and no test measures time.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
