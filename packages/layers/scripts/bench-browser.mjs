// @opt/layers' fit against tfjs-layers' model.fit in headless Chromium (Debian's, at CHROMIUM_PATH or
// /usr/bin/chromium): on WebGL and WebGPU (SwiftShader, the flags of scripts/chromium.mjs; the page is served from
// 127.0.0.1, a secure context) and on wasm with threads (the page is cross-origin isolated: COOP/COEP headers). MLP 784-256-128-10, Adam, batch 128, random data, plain and
// Dense(useBias: false) -> BatchNormalization -> ReLU; ours with Adam's default non-finite guard and 'unchecked'.
// Each measurement runs in a fresh browser profile with the GPU program caches off, so that its first step pays
// the shader compilation a fresh page pays. Prints per configuration: the first step (ms), kernels per step (and
// on WebGL the programs run per step, the packs and unpacks the backend inserts included), steps per second (median
// of --rounds epochs of --steps steps) and the wasm thread count, then the ratios.
// Usage: node scripts/bench-browser.mjs [--backends webgl,wasm,webgpu] [--threads auto|N] [--steps 20] [--rounds 3]
//   [--repeat 1] [--models plain,bn] [--libs tfjs,throw,unchecked]   (after pnpm build)
//   --interleave [--rounds 7]: steps per second only, the trainers in one page in alternating epochs (the ratios
//     least disturbed by the machine's changes of pace; use this for them)
//   --list-programs: the programs compiled by the first step, and the programs per step by the kernel that ran them
//   --profile [--top 25]: where a step's time goes, each kernel followed by a wait for the device
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { BASE_ARGS, chromiumPath, GPU_ARGS } from '../../../scripts/chromium.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const backends = flag('backends', 'webgl,wasm,webgpu').split(',');
const models = flag('models', 'plain,bn').split(',');
const threads = flag('threads', 'auto') === 'auto' ? 'auto' : Number(flag('threads'));
const steps = Number(flag('steps', '20'));
const rounds = Number(flag('rounds', '3'));
const repeat = Number(flag('repeat', '1'));
const profile = args.includes('--profile');
// --verdict read|device: where the non-finite guard's verdict goes (default: by backend; 'read' on WebGL is the
// synchronous read per step that the device verdict replaced, kept for comparison).
const verdict = flag('verdict', null);
// --list-programs: print the WebGL programs compiled by the first step.
const listPrograms = args.includes('--list-programs');
// --flags NAME=true,NAME2=1: tfjs environment flags set in the page before anything runs (e.g. WebGL's).
const flags = Object.fromEntries(
  (flag('flags', '') || '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [k, v] = kv.split('=');
      return [k, v === 'true' ? true : v === 'false' ? false : Number(v)];
    }),
);
const CHROMIUM = chromiumPath('The browser benchmark');
const ARGS = [
  ...BASE_ARGS,
  ...GPU_ARGS,
  // Every page compiles its shaders afresh, as a first visit does.
  '--disable-gpu-program-cache',
  '--disable-gpu-shader-disk-cache',
];

const here = dirname(fileURLToPath(import.meta.url));
const tensorRequire = createRequire(createRequire(import.meta.url).resolve('@opt/tensor/package.json'));
const wasmDir = dirname(tensorRequire.resolve('@tensorflow/tfjs-backend-wasm'));
const wasmFiles = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));

/** tfjs-backend-wasm's .wasm files at /tfjs-wasm/ (the page passes it as wasmPaths). */
const serveWasm = {
  name: 'bench-tfjs-wasm',
  configureServer(server) {
    server.middlewares.use('/tfjs-wasm/', (req, res, next) => {
      const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '');
      if (!wasmFiles.includes(name)) return next();
      res.setHeader('Content-Type', 'application/wasm');
      res.end(readFileSync(join(wasmDir, name)));
    });
  },
};

const server = await createServer({
  configFile: false,
  root: join(here, 'browser-bench'),
  logLevel: 'error',
  plugins: [serveWasm],
  // Cross-origin isolation: SharedArrayBuffer, so tfjs-backend-wasm may start its threaded build.
  server: {
    host: '127.0.0.1',
    port: 0,
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    fs: { allow: [join(here, '..', '..', '..')] },
  },
  optimizeDeps: {
    // Bundled afresh at each start: the workspace packages' dist/ changes between runs.
    force: true,
    include: [
      '@opt/tensor',
      '@opt/tensor/testing',
      '@tensorflow/tfjs-layers',
      '@opt/tensor > @tensorflow/tfjs-core',
      '@opt/tensor > @tensorflow/tfjs-backend-webgl',
      '@opt/tensor > @tensorflow/tfjs-backend-webgpu',
      '@opt/tensor > @tensorflow/tfjs-backend-wasm',
      '@opt/tensor > @tensorflow/tfjs-backend-cpu',
    ],
  },
});
await server.listen();
const url = server.resolvedUrls.local[0];

/** Several trainers in one fresh profile and page, in alternating epochs (--interleave). */
const measureIn = (config) => measure(config, true);

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** One configuration in a fresh profile and page. */
async function measure(config, interleaved = false) {
  const profileDir = mkdtempSync(join(tmpdir(), 'opt-bench-browser-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 120_000 });
    const run = interleaved
      ? (c) => window.runInterleaved(c)
      : profile
        ? (c) => window.profileKernels(c)
        : (c) => window.runBench(c);
    const result = await page.evaluate(run, { ...config, wasmPaths: '/tfjs-wasm/' });
    if (errors.length > 0) throw new Error(errors.join('\n'));
    return result;
  } finally {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
}

// --libs tfjs,throw,unchecked: which of the three to run (default all).
const libs = [
  { key: 'tfjs', lib: 'tfjs-layers', label: 'tfjs-layers model.fit' },
  { key: 'throw', lib: 'ours', guard: 'throw', label: "ours, guard 'throw'" },
  { key: 'unchecked', lib: 'ours', guard: 'unchecked', label: "ours, 'unchecked'" },
  // The guard reading its verdict back every step (as on cpu and wasm), for comparison on WebGL.
  { key: 'throw-read', lib: 'ours', guard: 'throw', verdict: 'read', label: "ours, 'throw', read" },
].filter((l) => flag('libs', 'tfjs,throw,unchecked').split(',').includes(l.key));
const results = new Map();
if (profile) {
  // --profile: the kernels of one epoch, each followed by a wait for the device; the top ones per configuration.
  try {
    for (const backend of backends) {
      for (const model of models) {
        for (const l of libs) {
          const res = await measure({ backend, threads, model, lib: l.lib, guard: l.guard, steps: 10 });
          console.log(
            `${backend} ${model} ${l.label}: ${res.msPerStep.toFixed(1)} ms/step profiled, kernels ${res.kernelMsPerStep.toFixed(1)} ms/step: ${res.perStep
              .slice(0, Number(flag('top', '25')))
              .map(([k, v]) => `${k} ${v.toFixed(2)}`)
              .join(', ')}`,
          );
        }
      }
    }
  } finally {
    await server.close();
  }
  process.exit(0);
}
if (args.includes('--interleave')) {
  // --interleave: steps per second only, every trainer in one page in alternating epochs (--rounds of them).
  try {
    for (const backend of backends) {
      for (const model of models) {
        const trainers = libs.map((l) => ({ lib: l.lib, guard: l.guard }));
        const res = await measureIn({ backend, threads, model, trainers, steps, rounds: Number(flag('rounds', '7')) });
        libs.forEach((l, i) => {
          const rate = median(res.rates[i]);
          const ratio = median(res.ratios[i]);
          console.log(
            `${backend.padEnd(6)} ${model.padEnd(5)} ${l.label.padEnd(22)} threads ${String(res.threads ?? '-').padStart(2)}  ${rate.toFixed(1).padStart(6)} steps/s  x${ratio.toFixed(2)} of ${libs[0].label} (median of ${res.rates[i].length} alternating epochs: ${res.rates[i].map((v) => v.toFixed(1)).join(' ')})  load ${loadavg()[0].toFixed(1)}`,
          );
        });
      }
    }
  } finally {
    await server.close();
  }
  process.exit(0);
}
try {
  for (let r = 0; r < repeat; r++) {
    for (const backend of backends) {
      for (const model of models) {
        // Alternate which library goes first, so that a change of load does not favour one.
        const order = r % 2 === 0 ? libs : [...libs].reverse();
        for (const l of order) {
          const key = `${backend}|${model}|${l.label}`;
          const res = await measure({
            backend,
            threads,
            model,
            lib: l.lib,
            guard: l.guard,
            steps,
            rounds,
            flags,
            listPrograms,
            verdict: l.verdict ?? verdict,
          });
          if (listPrograms) console.log(`${res.programKeys.join('\n')}\nper step: ${res.programRuns.join(', ')}`);
          console.log(
            `${backend.padEnd(6)} ${model.padEnd(5)} ${l.label.padEnd(22)} threads ${String(res.threads ?? '-').padStart(2)}  first step ${res.firstStepMs.toFixed(0).padStart(6)} ms (${res.programs} programs)  ${res.kernelsPerStep.toFixed(1).padStart(6)} kernels/step${res.programsPerStep === null ? '' : ` ${res.programsPerStep.toFixed(1)} programs/step`}  ${res.stepsPerSecond.toFixed(1).padStart(6)} steps/s  (${res.rates.map((v) => v.toFixed(1)).join(' ')})  load ${loadavg()[0].toFixed(1)}`,
          );
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(res);
        }
      }
    }
  }
} finally {
  await server.close();
}

console.log(
  `\nmedians over ${repeat} run(s); ${steps} steps of batch 128 per epoch, median of ${rounds} epochs per page`,
);
for (const backend of backends) {
  for (const model of models) {
    const get = (label) => results.get(`${backend}|${model}|${label}`) ?? [];
    const theirs = get('tfjs-layers model.fit');
    const theirRate = median(theirs.map((x) => x.stepsPerSecond));
    const theirFirst = median(theirs.map((x) => x.firstStepMs));
    for (const l of libs) {
      const rs = get(l.label);
      const rate = median(rs.map((x) => x.stepsPerSecond));
      const first = median(rs.map((x) => x.firstStepMs));
      console.log(
        `${backend.padEnd(6)} ${model.padEnd(5)} ${l.label.padEnd(22)} threads ${String(rs[0]?.threads ?? '-').padStart(2)}  ${rate.toFixed(1).padStart(6)} steps/s (x${(rate / theirRate).toFixed(2)})  first step ${first.toFixed(0).padStart(6)} ms (x${(first / theirFirst).toFixed(2)})  ${rs[0]?.kernelsPerStep.toFixed(1)} kernels/step${rs[0]?.programsPerStep == null ? '' : ` (${rs[0].programsPerStep.toFixed(1)} programs)`}  [${rs[0]?.backend}]`,
      );
    }
  }
}
