import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The real dataset inflated once for every `opt` the tests start ($FASHION_MNIST_DIR).
    globalSetup: ['src/testing/global-setup.ts'],
    // Two files at once: most of a file's time is its `opt` processes, so the second core stays busy (vitest's
    // default is cores - 1, one file at a time here, which left the suite the last to finish by minutes).
    maxWorkers: 2,
    // One worker process for many files: each file's fresh worker re-imported vitest and the fixtures.
    isolate: false,
    // Only catches a hang: a loaded machine makes every process slower, and no test measures time.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Every `opt` these tests start computes on one wasm thread ($OPT_THREADS), as a CI runner beside other work
    // should: a second thread per process spins on cores the other suites need. The tests of threads set their own.
    env: { OPT_THREADS: '1' },
  },
});
