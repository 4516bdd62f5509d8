/**
 * The one vitest browser-mode setup of the workspace: `src/**\/*.browser.test.ts` in Debian's headless Chromium
 * (at CHROMIUM_PATH or /usr/bin/chromium), driven by playwright without a downloaded browser. Each package's
 * vitest.browser.config.ts calls {@link browserTestConfig} with what is its own (extra Chromium flags, defines,
 * a plugin serving test data).
 */
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type UserConfig } from 'vitest/config';
import { BASE_ARGS, chromiumPath } from './chromium.mjs';

// The flags live in chromium.mjs, shared with the Vite test, the demo's end-to-end tests and the benchmarks.
export { GPU_ARGS, WEBGL_ARGS, WEBGPU_ARGS } from './chromium.mjs';

export interface BrowserTestOptions {
  /** Chromium flags beyond the base ones, e.g. {@link WEBGL_ARGS} or {@link GPU_ARGS}. */
  readonly chromiumArgs?: readonly string[];
  /** Directories the test server may serve besides the workspace (`/@fs/...`). */
  readonly allowFs?: readonly string[];
  readonly define?: UserConfig['define'];
  readonly plugins?: UserConfig['plugins'];
  /** Module aliases, e.g. a package's conditional `#imports` pointed at its sources instead of dist/. */
  readonly alias?: Record<string, string>;
}

export function browserTestConfig(options: BrowserTestOptions = {}): UserConfig {
  const executablePath = chromiumPath('The browser tests');
  return defineConfig({
    ...(options.define === undefined ? {} : { define: options.define }),
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
    ...(options.alias === undefined ? {} : { resolve: { alias: options.alias } }),
    server: { fs: { allow: ['../..', ...(options.allowFs ?? [])] } },
    test: {
      include: ['src/**/*.browser.test.ts'],
      // Only catches a hang: SwiftShader is slower on a loaded machine, and no test measures time.
      testTimeout: 600_000,
      hookTimeout: 600_000,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        // A secure context by its address (WebGPU needs one), and only this machine can reach the server.
        api: { host: '127.0.0.1' },
        provider: playwright({
          launchOptions: { executablePath, args: [...BASE_ARGS, ...(options.chromiumArgs ?? [])] },
        }),
        instances: [{ browser: 'chromium' }],
      },
    },
  });
}
