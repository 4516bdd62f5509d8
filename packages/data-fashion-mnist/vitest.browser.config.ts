// Runs src/**/*.browser.test.ts in a real headless Chromium (Debian's, at CHROMIUM_PATH or
// /usr/bin/chromium). The page fetches the real data files from the test server's /@fs/ route.
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(
    `Browser tests need Chromium at ${executablePath}. Install it with \`apt-get install chromium\` or set CHROMIUM_PATH.`,
  );
}
const shared = fileURLToPath(new URL('../../../shared/data/fashion-mnist/', import.meta.url));
const debian = '/usr/share/datasets/fashion-mnist/';
const dataDir = existsSync(`${shared}train-images-idx3-ubyte.gz`) ? shared : debian;

export default defineConfig({
  define: {
    __FASHION_MNIST_URL__: JSON.stringify('/fashion-mnist/'),
    __FASHION_MNIST_FS_URL__: JSON.stringify(`/@fs${dataDir}`),
  },
  server: { fs: { allow: ['../..', dataDir] } },
  plugins: [
    {
      // The .gz files as plain bytes (no Content-Encoding), as a static host serving them as files would.
      name: 'fashion-mnist-files',
      configureServer(server) {
        server.middlewares.use('/fashion-mnist/', (req, res) => {
          const name = (req.url ?? '').replace(/^\//, '').split('?')[0] ?? '';
          if (!/^[\w.-]+$/.test(name) || !existsSync(`${dataDir}${name}`)) {
            res.statusCode = 404;
            res.end('not found');
            return;
          }
          res.setHeader('Content-Type', 'application/octet-stream');
          createReadStream(`${dataDir}${name}`).pipe(res);
        });
      },
    },
  ],
  test: {
    include: ['src/**/*.browser.test.ts'],
    testTimeout: 120_000,
    browser: {
      enabled: true,
      screenshotFailures: false,
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
