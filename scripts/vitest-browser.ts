/**
 * The one vitest browser-mode setup of the workspace: `src/**\/*.browser.test.ts` in Debian's headless Chromium
 * (at CHROMIUM_PATH or /usr/bin/chromium), driven by playwright without a downloaded browser. Each package's
 * vitest.browser.config.ts calls {@link browserTestConfig} with what is its own (extra Chromium flags, defines,
 * a plugin serving test data).
 */
import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type UserConfig } from 'vitest/config';

/** Flags every run gets: a clean, quiet, offline profile. */
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** WebGL2 through ANGLE + SwiftShader (software), for the tfjs webgl backend in a machine without a GPU. */
export const WEBGL_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

/**
 * WebGPU on SwiftShader's Vulkan (software), for the tfjs webgpu backend in a machine without a GPU. WebGPU also
 * needs a secure context: the test page is served from http://127.0.0.1 (below).
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

/** Both GPU APIs, for suites that compare webgl and webgpu against cpu. */
export const GPU_ARGS = [...WEBGL_ARGS, ...WEBGPU_ARGS];

/** The Chromium executable, or an error that says how to get one (before vitest starts anything). */
export function chromiumPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const executablePath = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `Browser tests need Chromium at ${executablePath}. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`,
    );
  }
  return executablePath;
}

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
  const executablePath = chromiumPath();
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
