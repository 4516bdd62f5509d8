/** `pnpm demo`'s dev server, and the page when no Fashion-MNIST copy is reachable. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, type Browser, freePort, launchBrowser, type Preview, startPreview } from './harness.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function startDev(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(APP_DIR, 'node_modules', 'vite', 'bin', 'vite.js'),
      '--port',
      String(port),
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    // Plain text: with CI set, vite's colours are on even in a pipe and split the URL with escape codes.
    { cwd: APP_DIR, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const url = `http://127.0.0.1:${port}/`;
  // No time limit of its own (the test's timeout catches a hang): a loaded machine only makes vite slower.
  while (!output.includes(url)) {
    if (child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`vite did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child };
}

describe('servers', () => {
  it('the dev server prints its URL, serves the data from the local copy, and the page trains the playground on WebGL', async () => {
    const dev = await startDev();
    try {
      const response = await fetch(`${dev.url}fashion-mnist/train-labels-idx1-ubyte.gz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBeNull();
      const bytes = new Uint8Array(await response.arrayBuffer());
      // gzip as stored (Debian's copy or the original), 60,000 labels inside
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
      expect((await fetch(`${dev.url}fashion-mnist/no-such-file`)).status).toBe(404);
      const page = await browser.newPage();
      await page.goto(`${dev.url}?backend=webgl#playground`);
      await page.waitForSelector('[data-backend=webgl]', { timeout: 0 });
      await page.waitForSelector('#playground svg.paths', { timeout: 0 });
      await page.click('#playground [data-action=step]');
      await page.waitForSelector('#playground[data-step="1"]');
      expect(browser.problems).toEqual([]);
    } finally {
      dev.child.kill('SIGTERM');
    }
  });

  it('with no data reachable the training view says so and how to fix it, and the playground still works', async () => {
    const preview: Preview = await startPreview();
    try {
      const page = await browser.newPage();
      await page.goto(`${preview.url}?data=${encodeURIComponent(`${preview.url}nowhere/`)}#training`);
      await page.waitForSelector('[data-data=missing]', { timeout: 0 });
      const text = await page.textContent('[data-data=missing]');
      expect(text).toContain('not reachable');
      expect(text).toContain('404');
      expect(text).toContain('To fix it');
      expect(await page.isDisabled('[data-action=start]')).toBe(true);
      await page.evaluate(() => {
        location.hash = 'playground';
      });
      await page.waitForSelector('#playground svg.paths');
      await page.click('#playground [data-action=step]');
      await page.waitForSelector('#playground[data-step="1"]');
      // The browser logs each 404 itself; nothing else may appear.
      expect(browser.problems.filter((p) => !p.includes('404'))).toEqual([]);
    } finally {
      await preview.stop();
    }
  });
});
