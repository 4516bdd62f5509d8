import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, describeBackend, useBackend } from './backends.js';
import { Random, tf } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'opt-wasm-threads-'));
/** A worker script that fails the way `source` does, for the fallback path. */
function brokenWorker(name: string, source: string): string {
  const file = join(scratch, name);
  writeFileSync(file, source);
  return file;
}

/** The Emscripten module of the wasm backend now registered: its PThread pool is the backend's own threads. */
function wasmModule(): { PThread?: { runningWorkers: Worker[]; unusedWorkers: Worker[] } } {
  return (tf.findBackend('wasm') as unknown as { wasm: ReturnType<typeof wasmModule> }).wasm;
}

/** Resolves once `worker` has exited: with no time limit of its own (the test's timeout only turns a hang into a failure). */
const exited = (worker: Worker) => new Promise<number>((resolve) => worker.once('exit', resolve));

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** Runs `body` as an ES module that has `tf` and `useBackend` from the built package; resolves to how it ended. */
function run(body: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const file = join(scratch, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, `import { tf, useBackend } from ${JSON.stringify(dist)};\ntf.enableProdMode();\n${body}`);
  return new Promise((resolve) => {
    // The timeout only turns a hang into a failure; nothing here measures time.
    execFile(process.execPath, [file], { timeout: 300_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

const handlerCount = () =>
  process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;

beforeAll(() => {
  tf.enableProdMode();
  // Another file of the suite (one process for all) may have started wasm already: its thread count is fixed then.
  if (tf.findBackend('wasm') != null) tf.removeBackend('wasm');
});
afterEach(() => {
  // Each test starts the wasm backend afresh: its thread count is fixed once it runs.
  if (tf.findBackend('wasm') != null) tf.removeBackend('wasm');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** y = x W on the active backend, against the same product on cpu. */
async function productMatchesCpu(): Promise<number> {
  const backend = tf.getBackend();
  const x = Array.from({ length: 64 * 96 }, (_, i) => Math.sin(i));
  const w = Array.from({ length: 96 * 80 }, (_, i) => Math.cos(i * 0.7));
  const on = async (name: string) => {
    await tf.setBackend(name);
    return tf.tidy(() => tf.matMul(tf.tensor2d(x, [64, 96]), tf.tensor2d(w, [96, 80])).dataSync());
  };
  const cpu = await on('cpu');
  const got = await on(backend);
  return Math.max(...got.map((v, i) => Math.abs(v - (cpu[i] as number))));
}

describe('wasm threads in Node', () => {
  it('starts the threaded build on the threads asked for, and computes what cpu computes', async () => {
    await useBackend('cpu');
    const report = await useBackend('wasm', { threads: 2 });
    expect(report.threads).toEqual({ count: 2, requested: 2, reason: expect.stringMatching(/^2 requested/) });
    expect(describeBackend(report)).toMatch(/^wasm \(requested; 2 threads: 2 requested/);
    expect(await productMatchesCpu()).toBeLessThan(1e-4);
  });

  it('computes bit for bit what the single-threaded build computes: a training step of an MLP', async () => {
    // tfjs's single-threaded build stays registered as 'wasm-1', with wasm's kernels, beside the threaded 'wasm'.
    await useBackend('wasm', { threads: 1 });
    const singleThreaded = tf.findBackendFactory('wasm');
    const kernels = tf.getKernelsForBackend('wasm');
    for (const kernel of kernels) tf.registerKernel({ ...kernel, backendName: 'wasm-1' });
    tf.registerBackend('wasm-1', singleThreaded);
    tf.removeBackend('wasm');
    expect((await useBackend('wasm', { threads: 2 })).threads?.count).toBe(2);

    const step = async (backend: string) => {
      await tf.setBackend(backend);
      const random = new Random(3);
      const w1 = tf.variable(tf.tensor2d(random.uniform(784 * 256, -0.05, 0.05), [784, 256]));
      const w2 = tf.variable(tf.tensor2d(random.uniform(256 * 10, -0.1, 0.1), [256, 10]));
      const x = tf.tensor2d(random.uniform(128 * 784), [128, 784]);
      const y = tf.oneHot(
        tf.tensor1d(
          Int32Array.from({ length: 128 }, (_, i) => i % 10),
          'int32',
        ),
        10,
      );
      const loss = () => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.relu(tf.matMul(x, w1)), w2)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, [w1, w2]);
      const out = [value, grads[w1.name] as tf.Tensor, grads[w2.name] as tf.Tensor].map((t) =>
        Array.from(t.dataSync()),
      );
      tf.dispose([w1, w2, x, y, value, ...Object.values(grads)]);
      return out;
    };
    const single = await step('wasm-1');
    const threaded = await step('wasm');
    expect(threaded).toEqual(single);
    tf.removeBackend('wasm-1');
    for (const kernel of kernels) tf.unregisterKernel(kernel.kernelName, 'wasm-1');
  });

  it('auto takes one thread per core, at most 8', async () => {
    const report = await useBackend('wasm');
    const cores = (await import('node:os')).availableParallelism();
    expect(report.threads?.requested).toBe('auto');
    expect(report.threads?.count).toBe(Math.min(cores, 8));
    expect(report.threads?.reason).toBe(cores === 1 ? '1 core here' : `one per core (${cores} cores)`);
  });

  it('threads: 1 is the single-threaded build, without worker threads', async () => {
    const report = await useBackend('wasm', { threads: 1 });
    expect(report.threads).toEqual({ count: 1, requested: 1, reason: '1 requested' });
    expect(wasmModule().PThread).toBeUndefined();
    expect(await productMatchesCpu()).toBeLessThan(1e-4);
  });

  it('keeps the thread count of a running backend, and says how to change it', async () => {
    await useBackend('wasm', { threads: 2 });
    expect((await useBackend('wasm', { threads: 'auto' })).threads?.count).toBe(2);
    const error = (await useBackend('wasm', { threads: 1 }).catch((e: unknown) => e)) as BackendUnavailableError;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.message).toBe(
      'Backend "wasm" is not available: it is already running on 2 threads, and its thread count is fixed once it starts.\n' +
        "Ask for { threads: 2 } or 'auto', or call tf.removeBackend('wasm') first (it frees every tensor on it).",
    );
    tf.removeBackend('wasm');
    expect((await useBackend('wasm', { threads: 1 })).threads?.count).toBe(1);
  });

  it('keeps one worker thread for a second thread, and ends it with the backend', async () => {
    await useBackend('wasm', { threads: 2 });
    // XNNPACK's one extra thread; Emscripten's other seven pool workers were ended before they loaded anything.
    const pool = wasmModule().PThread;
    expect(pool?.unusedWorkers).toEqual([]);
    expect(pool?.runningWorkers).toHaveLength(1);
    const ending = exited(pool?.runningWorkers[0] as Worker);
    tf.removeBackend('wasm');
    expect(await ending).toBeTypeOf('number');
  });

  it('rejects a thread count it cannot use, naming what it may be', async () => {
    for (const threads of [0, 9, 1.5, 'two']) {
      await expect(useBackend('wasm', { threads: threads as never })).rejects.toThrow(
        `useBackend: \`threads\` must be 'auto' or an integer from 1 to 8, got ${JSON.stringify(threads)}.`,
      );
    }
  });
});

describe('when threads cannot start', () => {
  const failures = {
    'a worker that throws': [
      'throws.cjs',
      'throw new Error("no threads today");',
      /a worker thread failed: no threads today/,
    ],
    'a worker that exits': ['exits.cjs', 'process.exit(3);', /a worker thread exited \(code 3\) before it started/],
    'a missing worker': ['', '', /a worker thread failed: Cannot find module/],
  } as const;

  for (const [what, [name, source, reason]] of Object.entries(failures)) {
    it(`falls back to the single-threaded build with the reason: ${what}`, async () => {
      const wasmThreadWorker = name === '' ? join(scratch, 'missing.cjs') : brokenWorker(name, source);
      const handlers = handlerCount();
      const report = await useBackend('wasm', { threads: 2, wasmThreadWorker });
      expect(report.threads?.count).toBe(1);
      expect(report.threads?.reason).toMatch(/^2 requested, but threads could not start \(/);
      expect(report.threads?.reason).toMatch(reason);
      expect(report.threads?.reason).toMatch(/\), so it runs the single-threaded build$/);
      expect(await productMatchesCpu()).toBeLessThan(1e-4);
      // The failed module's process handlers went with it; tfjs's single-threaded build added its own two.
      expect(handlerCount()).toBeLessThanOrEqual(handlers + 2);
    });
  }

  it('gives up on workers that never report, and ends them (the process then exits by itself)', async () => {
    const silent = brokenWorker('silent.cjs', 'setInterval(() => {}, 1000);');
    const threads = fileURLToPath(new URL('../dist/wasm-threads-node.js', import.meta.url));
    // A worker left running would keep this process alive (its interval) until run()'s hang guard kills it.
    const child = await run(`
const { startThreadedWasm } = await import(${JSON.stringify(threads)});
await startThreadedWasm(2, { worker: ${JSON.stringify(silent)}, timeoutMs: 1000 }).catch((e) => console.log(e.message));
`);
    expect(child).toMatchObject({ code: 0, signal: null, stdout: 'its worker threads did not start within 1 s\n' });
  });
});

describe('a Node process on the threaded build', () => {
  it('exits by itself after training', async () => {
    const child = await run(`
const report = await useBackend('wasm', { threads: 2 });
const w = tf.variable(tf.randomNormal([784, 256], 0, 0.05, 'float32', 1));
const x = tf.randomUniform([128, 784], 0, 1, 'float32', 2);
for (let step = 0; step < 5; step++) {
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.relu(tf.matMul(x, w)))));
  w.assign(tf.sub(w, tf.mul(grads[w.name], 0.1)));
  tf.dispose([value, grads[w.name]]);
}
console.log(JSON.stringify(report.threads));
`);
    expect(child).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(child.stdout.trim())).toMatchObject({ count: 2, requested: 2 });
  });

  it('ends with the error, not a hang, when the application throws', async () => {
    for (const fault of ['setTimeout(() => { throw new Error("boom"); });', 'Promise.reject(new Error("boom"));']) {
      const child = await run(`await useBackend('wasm', { threads: 2 });\n${fault}`);
      expect(child.code).toBe(1);
      expect(child.stderr).toContain('Error: boom');
      // Emscripten's own handlers, had they stayed, would rethrow from a line of minified code and print it.
      expect(child.stderr.length).toBeLessThan(5000);
    }
  });

  it('ends with an error, not a hang, when a worker thread goes while the backend is in use', async () => {
    const child = await run(`
await useBackend('wasm', { threads: 2 });
const [worker] = tf.backend().wasm.PThread.runningWorkers;
await worker.terminate();
setTimeout(() => tf.sum(tf.matMul(tf.ones([256, 256]), tf.ones([256, 256]))).dataSync(), 1000);
`);
    expect(child.code).toBe(1);
    expect(child.stderr).toContain('A worker thread of the wasm backend exited (code 1) while the backend was in use');
  });

  it("lets the application's own uncaughtException handler decide", async () => {
    const child = await run(`
await useBackend('wasm', { threads: 2 });
process.on('uncaughtException', (error) => console.log('handled', error.message));
setTimeout(() => { throw new Error('boom'); });
`);
    expect(child).toMatchObject({ code: 0, stdout: 'handled boom\n' });
  });
});
