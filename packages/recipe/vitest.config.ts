import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Only catches a hang: a loaded machine makes every test slower, and no test measures time.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
