// Runs src/**/*.browser.test.ts in a real headless Chromium (Debian's, at
// CHROMIUM_PATH or /usr/bin/chromium) with WebGL2 through SwiftShader.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(
    `Browser tests need Chromium at ${executablePath}. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`,
  );
}

const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

export default defineConfig({
  define: {
    __TFJS_WASM_DIST__: JSON.stringify(`/@fs${wasmDist}/`),
  },
  server: { fs: { allow: ['../..', wasmDist] } },
  test: {
    include: ['src/**/*.browser.test.ts'],
    testTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath,
          args: [
            '--no-sandbox',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--use-angle=swiftshader',
            '--enable-unsafe-swiftshader',
            '--ignore-gpu-blocklist',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
