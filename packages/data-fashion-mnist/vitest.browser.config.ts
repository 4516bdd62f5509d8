// The URL loader in a real Chromium (setup shared: scripts/vitest-browser.ts). The page fetches the real data
// files from the test server: as plain bytes from /fashion-mnist/, and through vite's /@fs/ route.
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { browserTestConfig } from '../../scripts/vitest-browser.js';

const shared = fileURLToPath(new URL('../../../shared/data/fashion-mnist/', import.meta.url));
const debian = '/usr/share/datasets/fashion-mnist/';
const dataDir = existsSync(`${shared}train-images-idx3-ubyte.gz`) ? shared : debian;

export default browserTestConfig({
  allowFs: [dataDir],
  define: {
    __FASHION_MNIST_URL__: JSON.stringify('/fashion-mnist/'),
    __FASHION_MNIST_FS_URL__: JSON.stringify(`/@fs${dataDir}`),
  },
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
});
