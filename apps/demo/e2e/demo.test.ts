/**
 * The demo end to end: the built site in Debian's headless Chromium with WebGL and WebGPU (SwiftShader), the real
 * Fashion-MNIST served by `vite preview` through the data package's lookup. Screenshots of every view go
 * to test-results/ (git-ignored). Waits have no time limit of their own (`timeout: 0`): SwiftShader is slower on a
 * loaded machine, and vitest's test timeout catches a hang.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingSnapshot } from '../src/training/protocol.js';
import { ARTIFACTS, type Browser, launchBrowser, type Preview, startPreview } from './harness.js';

const VIEWS = ['playground', 'moving-averages', 'schedules', 'training'] as const;

let preview: Preview;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  preview = await startPreview();
  browser = await launchBrowser();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await preview?.stop();
});

async function open(view: (typeof VIEWS)[number]): Promise<void> {
  if (!page.url().startsWith(preview.url)) await page.goto(`${preview.url}#${view}`);
  else
    await page.evaluate((v) => {
      location.hash = v;
    }, view);
  await page.waitForSelector(`#${view}:not([hidden])`);
}

/** What the browser downloaded of the site's code so far: files, KiB, KiB if served gzip-compressed. */
function downloaded(): string {
  const bodies = [...browser.assets.values()];
  const raw = bodies.reduce((a, b) => a + b.length, 0);
  const gzip = bodies.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0);
  return `${bodies.length} files, ${(raw / 1024).toFixed(0)} KiB (${(gzip / 1024).toFixed(0)} KiB gzip)`;
}

const snapshot = (): Promise<TrainingSnapshot> =>
  page.evaluate(() => {
    const s = window.optDemo?.training();
    if (s == null) throw new Error('the training view is not built');
    return s;
  });

interface Runner {
  id: string;
  distance: number;
  loss: number;
  status: string;
}

async function race(
  surface: string,
  preset: 'tuned' | 'tooHigh' | null,
  until: 'done' | 'sgd-diverged',
): Promise<Runner[]> {
  await open('playground');
  await page.selectOption('select[name=surface]', surface);
  if (preset !== null) await page.click(`[data-preset=${preset}]`);
  await page.fill('input[name=speed]', '10');
  await page.click('#playground [data-action=run]');
  if (until === 'done') {
    await page.waitForSelector('#playground[data-state=done]', { state: 'attached', timeout: 0 });
  } else {
    await page.waitForSelector('#playground tr[data-optimizer=sgd][data-status=diverged]', { timeout: 0 });
    await page.click('#playground [data-action=run]');
  }
  return page.$$eval('#playground tr[data-optimizer]', (rows) =>
    rows.map((r) => ({
      id: r.getAttribute('data-optimizer') ?? '',
      distance: Number(r.getAttribute('data-distance')),
      loss: Number(r.getAttribute('data-loss')),
      status: r.getAttribute('data-status') ?? '',
    })),
  );
}

describe('the demo in Chromium with WebGL', () => {
  it('auto passes over the software GPUs here for wasm, says why beside the badge, and offers the others', async () => {
    await page.goto(`${preview.url}#moving-averages`);
    await page.waitForSelector('[data-backend]');
    expect(await page.getAttribute('[data-backend]', 'data-backend')).toBe('wasm');
    expect(await page.textContent('[data-backend-reason="page backend"]')).toBe(
      'auto: skipped webgpu: software adapter SwiftShader (fallback adapter), wasm is faster here; ' +
        'webgl: software renderer SwiftShader, wasm is faster here',
    );
    expect(await page.$('[data-notice]')).toBeNull();
    expect(await page.$$eval('select[name=backend] option', (o) => o.map((x) => x.textContent))).toEqual([
      'auto',
      'webgpu',
      'webgl',
      'wasm',
      'cpu',
    ]);
    await page.selectOption('select[name=backend]', 'webgl');
    await page.waitForURL(/\?backend=webgl#moving-averages$/);
    await page.waitForSelector('[data-backend=webgl]');
  });

  it('reports the webgl backend asked for, and every view has labelled controls, links its chapter section and fits a phone', async () => {
    await page.goto(`${preview.url}?backend=webgl#playground`);
    await page.waitForSelector('[data-backend]');
    await page.waitForSelector('#playground svg.paths');
    expect(await page.getAttribute('[data-backend]', 'data-backend')).toBe('webgl');
    console.log(`code downloaded for the playground on WebGL: ${downloaded()}`);
    expect(await page.$('[data-notice]')).toBeNull();
    for (const view of VIEWS) {
      await open(view);
      expect(await page.textContent(`#${view} .intro .chapter`)).toMatch(/^Chapter: .+\.$/);
      expect(await page.textContent(`#${view} .intro .look-for`)).toMatch(/^Look for: .{20,}/);
      const unlabelled = await page.$$eval(`#${view} input, #${view} select, #${view} button`, (controls) =>
        controls
          .filter((c) => {
            const labelled = (c as HTMLInputElement).labels?.length ?? 0;
            return labelled === 0 && (c.getAttribute('aria-label') ?? c.textContent ?? '').trim() === '';
          })
          .map((c) => c.outerHTML.slice(0, 80)),
      );
      expect(unlabelled).toEqual([]);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    for (const view of VIEWS) {
      await open(view);
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `#${view} is wider than a phone`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(ARTIFACTS, `phone-${view}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('playground: on the convex bowl every optimizer ends near the minimum', async () => {
    const runners = await race('bowl', 'tuned', 'done');
    expect(runners.map((r) => r.id)).toEqual(['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam']);
    for (const r of runners) {
      expect(r.status, r.id).toBe('running');
      expect(r.distance, r.id).toBeLessThan(0.3);
    }
    expect(await page.getAttribute('#playground', 'data-step')).toBe('100');
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });
  });

  it('playground: in the ravine momentum ends closer to the minimum than plain SGD after the same steps', async () => {
    const runners = await race('ravine', 'tuned', 'done');
    const distance = Object.fromEntries(runners.map((r) => [r.id, r.distance]));
    expect(await page.getAttribute('#playground', 'data-step')).toBe('100');
    expect(distance.momentum).toBeLessThan((distance.sgd as number) / 5);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-ravine.png') });
    // The README's picture (docs/playground-ravine.jpg is a copy of this one).
    await page.screenshot({
      path: join(ARTIFACTS, 'playground-ravine.jpg'),
      type: 'jpeg',
      quality: 70,
      clip: { x: 0, y: 100, width: 1280, height: 640 },
    });
  });

  it('playground: "learning rate too high" makes SGD diverge', async () => {
    const runners = await race('bowl', 'tooHigh', 'sgd-diverged');
    const sgd = runners.find((r) => r.id === 'sgd');
    expect(sgd?.status).toBe('diverged');
    await page.click('[data-preset=tuned]');
  });

  it('playground: Lion picked from the catalog for racer 1 races (its path moves, its legend row names it)', async () => {
    await open('playground');
    await page.selectOption('select[name=racer-1-optimizer]', 'lion');
    const lion = '#playground tr[data-optimizer=lion]';
    await page.waitForSelector(lion);
    expect(await page.textContent(`${lion} th`)).toBe('Lion');
    // Lion's Keras rate 0.001 times the bowl's scale (Adam's 0.1 there over Adam's 0.001); its knobs are Lion's.
    expect(await page.inputValue('input[name=racer-1-lr]')).toBe('0.1');
    expect(await page.inputValue('input[name=racer-1-beta2]')).toBe('0.99');
    expect(page.url()).toContain('racer=lion,lr=0.1&racer=sgd,lr=0.01,momentum=0.9');
    const before = Number(await page.getAttribute(lion, 'data-distance'));
    for (const step of [1, 2, 3]) {
      await page.click('#playground [data-action=step]');
      await page.waitForSelector(`#playground[data-step="${step}"]`, { state: 'attached', timeout: 0 });
    }
    // Lion steps lr sign(...) on each coordinate: 3 steps of 0.1 towards the minimum bring it ~0.42 closer.
    expect(Number(await page.getAttribute(lion, 'data-distance'))).toBeLessThan(before - 0.3);
    expect(await page.getAttribute(lion, 'data-status')).toBe('running');
    expect(await page.$$eval('#playground svg.paths path[stroke="#4269d0"]', (p) => p.length)).toBe(1);
    // Add racer appends the first preset not racing (AdamW) and stops at 6; Remove takes one out.
    await page.click('[data-action=add-racer]');
    await page.waitForSelector('#playground tr[data-optimizer=adamw]');
    expect(await page.isDisabled('[data-action=add-racer]')).toBe(true);
    await page.click('[data-racer="6"] [data-action=remove-racer]');
    await page.waitForSelector('#playground tr[data-optimizer=adamw]', { state: 'detached' });
    // A bad knob: Lion's own message, named by racer, and no race.
    await page.fill('input[name=racer-1-beta1]', '0');
    await page.waitForSelector('[data-message=playground][data-kind=error]');
    expect(await page.textContent('[data-message=playground]')).toMatch(
      /^Racer 1: \w+: `beta1` must be a number in \(0, 1\], got 0\./,
    );
    // A bad value in the address: named with its fix, and the chapter's five race instead.
    await page.goto(`${preview.url}?backend=webgl&racer=lion,beta1=2#playground`);
    await page.waitForSelector('#playground tr[data-optimizer=adam]');
    expect(await page.textContent('[data-message=playground-address]')).toBe(
      '?racer=lion,beta1=2 (racer 1): beta1 must be a number in (0, 1], got "2". ' +
        "Racing the chapter's five instead: fix the address.",
    );
    expect(page.url()).not.toContain('racer=');
  });

  it('moving averages: the ema of the optimizers package, starting at (1 - beta) x1 without bias correction', async () => {
    await open('moving-averages');
    await page.waitForSelector('#moving-averages figure svg');
    const first = await page.$eval('#moving-averages', (e) => ({
      beta: Number(e.getAttribute('data-beta')),
      corrected: Number(e.getAttribute('data-first-corrected')),
      biased: Number(e.getAttribute('data-first-biased')),
    }));
    expect(first.beta).toBe(0.9);
    // Step 1: v = 0.1 x1; bias-corrected v / (1 - 0.9) = x1.
    expect(first.biased).toBeCloseTo(0.1 * first.corrected, 5);
    await page.screenshot({ path: join(ARTIFACTS, 'moving-averages.png') });
  });

  it("schedules: every schedule plotted, and a bad knob gets the package's message", async () => {
    await open('schedules');
    await page.waitForSelector('#schedules [data-schedule=restarts] svg');
    expect(await page.$$eval('#schedules [data-schedule] svg', (s) => s.length)).toBe(9);
    expect(Number(await page.getAttribute('[data-schedule=exponential]', 'data-first'))).toBeCloseTo(0.01, 10);
    // 500 steps of exponentialDecay(0.01, decaySteps 100, rate 0.5): 0.01 * 0.5^5.
    expect(Number(await page.getAttribute('[data-schedule=exponential]', 'data-last'))).toBeCloseTo(0.01 / 32, 10);
    await page.screenshot({ path: join(ARTIFACTS, 'schedules.png'), fullPage: true });
    await page.fill('input[name=exponential-decaySteps]', '0');
    await page.waitForSelector('[data-message=schedule-exponential][data-kind=error]');
    expect(await page.textContent('[data-message=schedule-exponential]')).toContain('decaySteps');
    await page.fill('input[name=exponential-decaySteps]', '100');
  });

  it('training in the worker raises validation accuracy above 75% within a few hundred steps, without blocking the page', async () => {
    await open('training');
    await page.waitForSelector('[data-data=ready]', { timeout: 0 });
    expect(await page.getAttribute('[data-worker-backend]', 'data-worker-backend')).toBe('webgl');
    console.log(`code downloaded with every view and the training worker: ${downloaded()}`);
    await page.selectOption('#training select[name=per-class]', '100');
    await page.fill('#training input[name=batch-size]', '32');
    await page.fill('#training input[name=epochs]', '20');
    await page.evaluate(() => {
      // A 20 ms timer on the main thread: the longest gap between its ticks is the longest the page froze.
      // The Long Tasks API gives the longest stretch of the page's own work on that thread.
      const g = { max: 0, last: performance.now(), ticks: 0, longestTask: 0 };
      (window as unknown as { timerGaps: typeof g }).timerGaps = g;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) g.longestTask = Math.max(g.longestTask, e.duration);
      }).observe({ type: 'longtask' });
      setInterval(() => {
        const now = performance.now();
        g.max = Math.max(g.max, now - g.last);
        g.last = now;
        g.ticks += 1;
      }, 20);
    });
    const loadBefore = loadavg()[0] as number;
    // TensorFlow.js numbers every tensor it creates in its realm: the page's count must not move while training.
    const tensorIds = () =>
      page.evaluate(
        () =>
          (globalThis as unknown as { _tfengine?: { constructor: { nextTensorId: number } } })._tfengine?.constructor
            .nextTensorId ?? 0,
      );
    const pageTensorsBefore = await tensorIds();
    await page.click('[data-action=start]');
    await page.waitForFunction(
      () => (window.optDemo?.training()?.epochs ?? []).some((e) => (e.logs.val_accuracy ?? 0) > 0.75),
      undefined,
      { timeout: 0, polling: 1000 },
    );
    const load = Math.max(loadBefore, loadavg()[0] as number);
    const s = await snapshot();
    const reached = s.epochs.find((e) => (e.logs.val_accuracy ?? 0) > 0.75);
    const gaps = await page.evaluate(
      () => (window as unknown as { timerGaps: { max: number; ticks: number; longestTask: number } }).timerGaps,
    );
    console.log(
      `training: val_accuracy ${reached?.logs.val_accuracy} at step ${reached?.step}; ${s.msPerStep.toFixed(0)} ms/step on webgl; ` +
        `longest main-thread timer gap ${gaps.max.toFixed(0)} ms over ${gaps.ticks} ticks, longest task ${gaps.longestTask.toFixed(0)} ms ` +
        `(load average ${load.toFixed(1)} on ${cpus().length} cores)`,
    );
    expect(reached?.step).toBeLessThanOrEqual(300);
    expect(s.backend).toBe('webgl');
    expect(s.msPerStep).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('[data-step-time]', 'data-ms-per-step'))).toBeGreaterThan(0);
    expect(gaps.ticks).toBeGreaterThan(100);
    // Training runs in the worker, whatever the load: the worker's TensorFlow.js made the tensors, the page's none.
    // (The timer gaps and longest task above are figures to read, not bounds: the OS stretches both under load.)
    expect(await tensorIds()).toBe(pageTensorsBefore);
    const worker = page.workers().find((w) => w.url().includes('worker'));
    const workerTensors = await worker?.evaluate(
      () =>
        (globalThis as unknown as { _tfengine?: { constructor: { nextTensorId: number } } })._tfengine?.constructor
          .nextTensorId ?? 0,
    );
    expect(workerTensors).toBeGreaterThan(1000);
    await page.screenshot({ path: join(ARTIFACTS, 'training.png'), fullPage: true });
  });

  it('pause then resume keeps the step count and the curves', async () => {
    await page.click('[data-action=pause]');
    await page.waitForSelector('#training[data-state=paused]');
    const paused = await snapshot();
    await page.waitForTimeout(1500);
    const still = await snapshot();
    expect(still.step).toBe(paused.step);
    expect(still.trainLoss).toEqual(paused.trainLoss);
    await page.click('[data-action=pause]');
    await page.waitForFunction((step) => (window.optDemo?.training()?.step ?? 0) > step, paused.step, {
      timeout: 0,
    });
    const resumed = await snapshot();
    expect(resumed.trainLoss.slice(0, paused.trainLoss.length)).toEqual(paused.trainLoss);
    expect(resumed.epochs.slice(0, paused.epochs.length)).toEqual(paused.epochs);
  });

  it('reload then continue restarts from the last checkpoint with its step count and curves', async () => {
    await page.click('[data-action=pause]');
    await page.waitForSelector('#training[data-state=paused]');
    const before = await snapshot();
    expect(before.epochsDone).toBeGreaterThan(0);
    await page.reload();
    await page.waitForSelector('[data-action=continue]', { timeout: 0 });
    const savedStep = Number(await page.getAttribute('[data-saved-step]', 'data-saved-step'));
    const lastEpoch = before.epochs.at(-1);
    expect(savedStep).toBe(lastEpoch?.step);
    await page.click('[data-action=continue]');
    await page.waitForFunction((step) => (window.optDemo?.training()?.step ?? 0) > step, savedStep, {
      timeout: 0,
    });
    const after = await snapshot();
    expect(after.trainLoss.slice(0, savedStep)).toEqual(before.trainLoss.slice(0, savedStep));
    expect(after.epochs.slice(0, before.epochs.length)).toEqual(before.epochs);
    await page.click('[data-action=reset]');
    await page.waitForSelector('#training[data-state=idle]', { timeout: 0 });
  });

  it('reset deleted the saved run; a damaged one is named, with an offer to discard it', async () => {
    /** The demo's checkpoint record in IndexedDB (IndexedDbStore('fashion-mnist-run', 'opt-demo')), read or written here. */
    const record = (write?: { modelJson: string }) =>
      page.evaluate(
        (value) =>
          new Promise<unknown>((resolve, reject) => {
            const open = indexedDB.open('opt-demo', 1);
            open.onupgradeneeded = () => open.result.createObjectStore('checkpoints');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const tx = open.result.transaction('checkpoints', value === null ? 'readonly' : 'readwrite');
              const store = tx.objectStore('checkpoints');
              const request =
                value === null
                  ? store.get('fashion-mnist-run')
                  : store.put({ ...value, weights: new Uint8Array(4) }, 'fashion-mnist-run');
              tx.oncomplete = () => {
                open.result.close();
                resolve(value === null ? request.result : 'written');
              };
              tx.onerror = () => reject(tx.error);
            };
          }),
        write ?? null,
      );
    expect(await record()).toBeUndefined();
    await record({ modelJson: '{"format": "opt.layers.checkpoint.v1", "weights' });
    await page.reload();
    const offer = page.locator('[aria-label="Saved run"]');
    await offer.getByText('A saved run cannot be continued').waitFor({ timeout: 0 });
    expect(await offer.textContent()).toContain(
      'Checkpoint indexeddb://opt-demo/fashion-mnist-run: model.json is not valid JSON',
    );
    expect(await page.locator('[data-action=continue]').count()).toBe(0);
    await offer.locator('[data-action=discard]').click();
    await offer.waitFor({ state: 'hidden' });
    expect(await record()).toBeUndefined();
  });

  it('the WebGL and cpu backends agree on one training step to 1e-5', async () => {
    await page.click('[data-action=parity]');
    await page.waitForSelector('.parity[data-max-weight-difference]', { timeout: 0 });
    const max = Number(await page.getAttribute('.parity', 'data-max-weight-difference'));
    const loss = Number(await page.getAttribute('.parity', 'data-loss-difference'));
    console.log(`parity: ${await page.textContent('.parity')}`);
    expect(max).toBeLessThan(1e-5);
    expect(loss).toBeLessThan(1e-5);
  });

  it('on the wasm backend (asked for with ?backend=wasm) the worker trains past an epoch, pauses and stops too', async () => {
    await page.goto(`${preview.url}?backend=wasm#training`);
    await page.waitForSelector('[data-data=ready]', { timeout: 0 });
    expect(await page.getAttribute('[data-backend]', 'data-backend')).toBe('wasm');
    expect(await page.getAttribute('[data-worker-backend]', 'data-worker-backend')).toBe('wasm');
    await page.selectOption('#training select[name=per-class]', '100');
    await page.click('[data-action=start]');
    // Past an epoch's end: the validation pass (confusion matrix included) and the checkpoint run on wasm too.
    await page.waitForFunction(() => (window.optDemo?.training()?.epochsDone ?? 0) >= 1, undefined, {
      timeout: 0,
    });
    await page.click('[data-action=pause]');
    await page.waitForSelector('#training[data-state=paused]', { timeout: 0 });
    await page.click('[data-action=reset]');
    await page.waitForSelector('#training[data-state=idle]', { timeout: 0 });
    expect((await snapshot()).step).toBe(0);
  });

  it('on webgpu (asked for with ?backend=webgpu) the worker trains a few steps, and one step agrees with cpu', async () => {
    await page.goto(`${preview.url}?backend=webgpu#training`);
    await page.waitForSelector('[data-data=ready]', { timeout: 0 });
    expect(await page.getAttribute('[data-backend]', 'data-backend')).toBe('webgpu');
    expect(await page.getAttribute('[data-worker-backend]', 'data-worker-backend')).toBe('webgpu');
    await page.selectOption('#training select[name=per-class]', '100');
    // Small batches, few steps: SwiftShader's WebGPU is the slowest backend here (seconds per step under load).
    await page.fill('#training input[name=batch-size]', '32');
    await page.click('[data-action=start]');
    await page.waitForFunction(() => (window.optDemo?.training()?.step ?? 0) >= 3, undefined, { timeout: 0 });
    await page.click('[data-action=pause]');
    await page.waitForSelector('#training[data-state=paused]', { timeout: 0 });
    const s = await snapshot();
    expect(s.backend).toBe('webgpu');
    console.log(`webgpu: ${s.step} steps, ${s.msPerStep.toFixed(0)} ms/step (SwiftShader)`);
    await page.click('[data-action=reset]');
    await page.waitForSelector('#training[data-state=idle]', { timeout: 0 });
    await page.click('[data-action=parity]');
    await page.waitForSelector('.parity[data-max-weight-difference]', { timeout: 0 });
    console.log(`parity on webgpu: ${await page.textContent('.parity')}`);
    expect(Number(await page.getAttribute('.parity', 'data-max-weight-difference'))).toBeLessThan(1e-5);
    expect(Number(await page.getAttribute('.parity', 'data-loss-difference'))).toBeLessThan(1e-5);
  });

  it('wrote no console errors or warnings on any view', () => {
    expect(browser.problems).toEqual([]);
  });
});
