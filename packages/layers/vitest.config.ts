import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // package.json's `#directory-store` points at dist/ (Node's pick, the default condition): test the sources.
  resolve: { alias: { '#directory-store': fileURLToPath(new URL('./src/directory-store.ts', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.browser.test.ts'],
    testTimeout: 60_000,
  },
});
