// Issue 22's bundler consumer: a Vite app (the vite apps/demo uses) installs @tensorflow/tfjs and our packed
// tarballs with npm, is built for production, and runs in headless Chromium on tfjs's webgl backend. It checks that
// the bundle holds one tfjs-core (our optimizers are `instanceof tf.Optimizer`), that one step of tfjs-layers'
// `model.fit` with our SGD is `w - lr * grad` with the gradient from `tf.grad`, and that AdamW's steps match a
// float64 transcription of Keras 3's AdamW.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright';
import { BASE_ARGS, chromiumPath, WEBGL_ARGS } from './chromium.mjs';
import { closure, pack, root, tarballOf } from './tarballs.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'opt-vite-'));
const tarballs = join(scratch, 'tarballs');
const app = join(scratch, 'app');

const viteVersion = JSON.parse(readFileSync(join(root, 'apps/demo/package.json'), 'utf8')).devDependencies.vite;

// The AdamW run the page makes and the oracle transcribes: fixed gradients, so the two see the same inputs.
const ADAMW = { learningRate: 0.01, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const W0 = [0.5, -1.25, 2, 0.75];
const GRADS = [
  [0.1, -0.2, 0.3, 0],
  [-0.05, 0.4, 0.25, 1],
  [0.3, 0.3, -0.6, -0.01],
];

/**
 * Keras 3's `AdamW.update_step` in float64 (keras/src/optimizers/adamw.py, base_optimizer's decoupled decay):
 * `w -= lr * wd * w`, then `m += (g - m) * (1 - b1)`, `v += (g^2 - v) * (1 - b2)`,
 * `alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)`, `w -= alpha * m / (sqrt(v) + eps)`, with t the 1-based step.
 */
function kerasAdamW(w0, grads, { learningRate: lr, weightDecay: wd, beta1: b1, beta2: b2, epsilon: eps }) {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, step) => {
    const t = step + 1;
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = 0; i < w.length; i++) {
      w[i] -= lr * wd * w[i];
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] ** 2 - v[i]) * (1 - b2);
      w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  });
  return w;
}

const MAIN = `import * as tf from '@tensorflow/tfjs';
import { AdamW, SGD } from '@opt/optimizers';

async function run() {
  await tf.setBackend('webgl');
  const sgd = new SGD({ learningRate: 0.1 });
  // One SGD step inside tfjs-layers' fit, against w - lr * grad from tf.grad on the same batch and loss.
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], useBias: false })] });
  const kernel = tf.tensor2d([[0.2], [-0.4], [0.7]]);
  model.layers[0].setWeights([kernel]);
  const x = tf.tensor2d([[1, 2, 3], [-1, 0.5, 2], [0.3, -0.7, 1.1], [2, 1, -1]]);
  const y = tf.tensor2d([[1], [0], [-1], [0.5]]);
  const mse = (w) => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y)));
  const grad = tf.grad(mse)(kernel);
  const expected = tf.sub(kernel, tf.mul(0.1, grad));
  model.compile({ optimizer: sgd, loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  const fitted = model.layers[0].getWeights()[0];

  const adamw = new AdamW(${JSON.stringify(ADAMW)});
  const w = tf.variable(tf.tensor1d(${JSON.stringify(W0)}), true, 'w');
  for (const g of ${JSON.stringify(GRADS)}) adamw.applyGradients({ w: tf.tensor1d(g) });

  return {
    backend: tf.getBackend(),
    float32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
    sgdIsTfOptimizer: sgd instanceof tf.Optimizer,
    adamwIsTfOptimizer: adamw instanceof tf.Optimizer,
    fitted: Array.from(await fitted.data()),
    expected: Array.from(await expected.data()),
    sgdIterations: sgd.iterations,
    adamw: Array.from(await w.data()),
  };
}

run().then(
  (result) => { window.__result = result; },
  (error) => { window.__result = { error: String(error && error.stack || error) }; },
);
`;

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

function serve(dir) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

let server;
let context;

before(() => {
  const ours = [...closure('@opt/optimizers')];
  pack(tarballs, ours);
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'vite-app', private: true, type: 'module' }));
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>opt in Vite</title></head><body><script type="module" src="/src/main.js"></script></body></html>\n',
  );
  writeFileSync(join(app, 'src/main.js'), MAIN);
  const opts = { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } };
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '@tensorflow/tfjs@4.22.0',
      `vite@${viteVersion}`,
      ...ours.map((name) => tarballOf(name, tarballs)),
    ],
    opts,
  );
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], opts);
});

after(async () => {
  await context?.close();
  server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a Vite app with @tensorflow/tfjs and the tarballs, in Chromium', () => {
  it('bundles one tfjs-core; SGD in model.fit is w - lr * grad; AdamW matches Keras', {
    timeout: 300_000,
  }, async () => {
    const executablePath = chromiumPath('The Vite test');
    server = await serve(join(app, 'dist'));
    context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
      executablePath,
      headless: true,
      args: [...BASE_ARGS, ...WEBGL_ARGS],
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 0 });
    const result = await page.evaluate(() => window.__result);
    assert.equal(result.error, undefined, result.error);

    assert.deepEqual(
      {
        backend: result.backend,
        float32: result.float32,
        sgd: result.sgdIsTfOptimizer,
        adamw: result.adamwIsTfOptimizer,
      },
      { backend: 'webgl', float32: true, sgd: true, adamw: true },
    );
    assert.equal(result.sgdIterations, 1);
    result.fitted.forEach((value, i) => {
      assert.ok(
        Math.abs(value - result.expected[i]) <= 1e-6,
        `SGD kernel[${i}]: fit ${value}, w - lr * grad ${result.expected[i]}`,
      );
    });
    const oracle = kerasAdamW(W0, GRADS, ADAMW);
    result.adamw.forEach((value, i) => {
      assert.ok(Math.abs(value - oracle[i]) <= 1e-6, `AdamW w[${i}]: ${value}, Keras (float64) ${oracle[i]}`);
    });
  });
});
