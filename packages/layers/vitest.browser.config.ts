// Runs src/**/*.browser.test.ts in a real headless Chromium (Debian's, at CHROMIUM_PATH or /usr/bin/chromium):
// the IndexedDB checkpoint store against the browser's own IndexedDB.
import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(
    `Browser tests need Chromium at ${executablePath}. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`,
  );
}

export default defineConfig({
  server: { fs: { allow: ['../..'] } },
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
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
