import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    // One browser at a time on a 2-core machine: SwiftShader is CPU-bound.
    fileParallelism: false,
    // Only catch a hang: SwiftShader and vite are slower on a loaded machine, and no test measures time.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
