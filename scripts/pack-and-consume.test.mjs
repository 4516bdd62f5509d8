// The publish test: packs every publishable package with `pnpm pack` and checks what the tarballs hold (and the
// metadata and README install lines beside them), installs each tarball (with the tarballs of its @opt
// dependencies, as if published) into a scratch project outside the workspace with npm, then imports it from
// plain Node ESM and compiles a TypeScript file against its types. The release rehearsal
// (release-rehearsal.test.mjs) does the same through a real registry.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closure, pack, publishable, root, tarballOf as tarballIn } from './tarballs.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'opt-pack-'));
const tarballs = join(scratch, 'tarballs');

/**
 * What a user would write first with each package: run in Node ESM, then type-checked. The last line printed
 * is JSON compared with `expected`, so a package that imports but does not work fails here.
 */
const smoke = {
  '@opt/tensor': `
import { tf, useBackend, Random, initialize } from '@opt/tensor';
tf.enableProdMode();
const report = await useBackend('cpu');
const w = tf.variable(initialize('glorotUniform', [3, 2], new Random(1)));
const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(w);
console.log(JSON.stringify({ backend: report.backend, grad: Array.from(g.dataSync()).length }));
`,
  // Depends on @opt/optimizers alone: trains a tfjs-core linear model with Adam.
  '@opt/optimizers': `
import { Adam } from '@opt/optimizers';
import { CATALOG } from '@opt/optimizers/catalog';
import { tf, useBackend } from '@opt/tensor';
await useBackend('cpu');
const w = tf.variable(tf.zeros([3, 1]));
const x = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 10]]);
const y = tf.tensor2d([[1], [2], [3]]);
const optimizer = new Adam({ learningRate: 0.05 });
const mse = () => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar;
const first = mse().dataSync()[0] as number;
for (let step = 0; step < 300; step++) optimizer.minimize(mse, [w])?.dispose();
const last = mse().dataSync()[0] as number;
const state = await optimizer.getState();
console.log(JSON.stringify({ learned: last < first / 100, iterations: optimizer.iterations, hasState: state !== undefined, lion: CATALOG.some((e) => e.name === 'lion') }));
`,
  // No tfjs at all: pure functions of the step.
  '@opt/schedules': `
import { exponentialDecay, sampleSchedule, scheduleFromConfig } from '@opt/schedules';
const schedule = exponentialDecay({ initialLearningRate: 1e-3, decaySteps: 375, decayRate: 0.9, staircase: true });
const again = scheduleFromConfig(JSON.parse(JSON.stringify(schedule.config)));
const points = sampleSchedule(schedule, { steps: 7500 });
console.log(JSON.stringify({ at2500: Number(again(2500).toPrecision(9)), points: points.length > 100 }));
`,
  // A two-class problem a Dense -> BatchNormalization -> ReLU model must learn in a few epochs.
  '@opt/layers': `
import { tf, useBackend } from '@opt/tensor';
import { Adam } from '@opt/optimizers';
import { BatchNormalization, Dense, ReLU, Sequential } from '@opt/layers';
await useBackend('cpu');
const n = 256;
const xs = Array.from({ length: n * 2 }, (_, i) => Math.sin(i * 12.9898) * 2);
const labels = Array.from({ length: n }, (_, i) => ((xs[2 * i] as number) + (xs[2 * i + 1] as number) > 0 ? 1 : 0));
const x = tf.tensor2d(xs, [n, 2]);
const y = tf.tensor1d(labels, 'int32');
const model = new Sequential(
  [new Dense({ units: 16, useBias: false }), new BatchNormalization(), new ReLU(), new Dense({ units: 2, activation: 'softmax' })],
  { inputShape: [2], seed: 1 },
);
model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(x, y, { batchSize: 32, epochs: 10, seed: 1 });
const accuracy = history.history.accuracy?.at(-1) ?? 0;
console.log(JSON.stringify({ epochs: history.history.loss?.length, learned: accuracy > 0.9 }));
`,
  // The real files: .ci/run installs Debian's dataset-fashion-mnist, which the loader finds without a download.
  '@opt/data-fashion-mnist': `
import { loadFashionMnist } from '@opt/data-fashion-mnist';
const data = await loadFashionMnist({ download: false });
console.log(JSON.stringify({ train: data.train.count, test: data.test.count, first: data.classNames[data.train.labels[0] as number] }));
`,
};

const expected = {
  '@opt/tensor': { backend: 'cpu', grad: 6 },
  '@opt/optimizers': { learned: true, iterations: 300, hasState: true, lion: true },
  '@opt/schedules': { at2500: 0.000531441, points: true },
  '@opt/layers': { epochs: 10, learned: true },
  '@opt/data-fashion-mnist': { train: 60000, test: 10000, first: 'Ankle boot' },
};

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
}

function tarballOf(name) {
  return tarballIn(name, tarballs);
}

const consumers = new Map();
/** A scratch project outside the workspace with `name` and the @opt packages it needs installed from their tarballs. */
function consumer(name) {
  if (!consumers.has(name)) {
    const project = join(scratch, name.replace('/', '__'));
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const needed = [...closure(name)].map(tarballOf);
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...needed], project);
    consumers.set(name, project);
  }
  return consumers.get(name);
}

const unpackedDirs = new Map();
/** The directory `name`'s tarball is unpacked into (once), holding its `package/`. */
function unpacked(name) {
  if (!unpackedDirs.has(name)) {
    const dir = join(scratch, 'unpacked', name.replace('/', '__'));
    mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tarballOf(name), '-C', dir], scratch);
    unpackedDirs.set(name, dir);
  }
  return unpackedDirs.get(name);
}

before(() => pack(tarballs));

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('pack and consume', () => {
  it('packs only dist, src, README, CHANGELOG and LICENSE, with workspace ranges rewritten', () => {
    for (const name of publishable.keys()) {
      const listing = run('tar', ['-tzf', tarballOf(name)], scratch)
        .split('\n')
        .filter(Boolean);
      for (const entry of listing) {
        assert.match(
          entry,
          /^package\/(dist\/|src\/|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/,
          `${name} ships ${entry}`,
        );
        assert.doesNotMatch(entry, /\.test\./, `${name} ships a test file: ${entry}`);
      }
      assert.ok(listing.includes('package/dist/index.js'), `${name} has no dist/index.js`);
      assert.ok(
        listing.includes('package/README.md') && listing.includes('package/LICENSE'),
        `${name} lacks README or LICENSE`,
      );
      const manifest = JSON.parse(readFileSync(join(unpacked(name), 'package/package.json'), 'utf8'));
      for (const range of Object.values(manifest.dependencies ?? {})) {
        assert.doesNotMatch(range, /^workspace:/, `${name} publishes a workspace: range`);
      }
    }
  });

  // src/ ships for the source maps and declaration maps: a stack trace (node --enable-source-maps) and an editor's
  // "go to definition" land in the TypeScript source. Every source a map names must be in the tarball, and every
  // shipped source must be named by some map.
  it('ships src/ exactly as the source maps and declaration maps need it', () => {
    for (const name of publishable.keys()) {
      const listing = new Set(
        run('tar', ['-tzf', tarballOf(name)], scratch)
          .split('\n')
          .filter(Boolean),
      );
      const named = new Set();
      for (const entry of [...listing].filter((e) => e.endsWith('.map'))) {
        const map = JSON.parse(readFileSync(join(unpacked(name), entry), 'utf8'));
        for (const source of map.sources) {
          const shipped = posix.normalize(posix.join(posix.dirname(entry), map.sourceRoot ?? '', source));
          assert.ok(listing.has(shipped), `${name}: ${entry} names ${source}, which is not in the tarball`);
          named.add(shipped);
        }
      }
      for (const entry of [...listing].filter((e) => e.startsWith('package/src/'))) {
        assert.ok(named.has(entry), `${name} ships ${entry}, which no source map names`);
      }
    }
  });

  it('names the repository (with its directory), homepage and bugs, as the root package.json does', () => {
    const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const base = rootManifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    for (const [name, { dir, manifest }] of publishable) {
      const directory = relative(root, dir).split(sep).join('/');
      assert.deepEqual(manifest.repository, { ...rootManifest.repository, directory }, name);
      assert.equal(manifest.homepage, `${base}/tree/main/${directory}#readme`, name);
      assert.deepEqual(manifest.bugs, rootManifest.bugs, name);
      assert.ok(manifest.files.includes('CHANGELOG.md'), `${name} does not ship its CHANGELOG`);
    }
  });

  // The release rehearsal (pnpm test:release) installs exactly these lines in pnpm projects and runs the example.
  it("each README's install line names every @opt package its first example imports", () => {
    for (const [name, { dir }] of publishable) {
      const text = readFileSync(join(dir, 'README.md'), 'utf8');
      const install = text.match(/^```sh\n(?:.*\n)*?(npm install .*)\n(?:.*\n)*?```$/m);
      assert.ok(install, `${name}'s README has no npm install line`);
      const names = install[1].replace(/#.*/, '').trim().split(/\s+/).slice(2);
      assert.equal(names[0], name, `${name}'s install line starts with another package`);
      const example = text.slice(install.index + install[0].length).match(/^```ts\n([\s\S]*?)^```$/m);
      assert.ok(example, `${name}'s README has no ts example after its install line`);
      for (const [, imported] of example[1].matchAll(/from '(@opt\/[\w-]+)'/g)) {
        assert.ok(names.includes(imported), `${name}'s example imports ${imported}, which \`${install[1]}\` omits`);
      }
    }
  });

  for (const name of publishable.keys()) {
    it(`installs ${name} alone with npm and imports it from plain Node ESM`, () => {
      const project = consumer(name);

      const installed = readdirSync(join(project, 'node_modules', '@opt'));
      assert.deepEqual(installed.sort(), [...closure(name)].map((n) => n.slice(5)).sort());

      const code = smoke[name];
      assert.ok(code, `${name} has no smoke script: add one to \`smoke\` and \`expected\``);
      // Node runs the JavaScript; tsc checks the same code against the published types (it exits non-zero on a
      // type error even as it emits).
      writeFileSync(join(project, 'smoke.ts'), code);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['smoke.ts'],
        }),
      );
      run(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.', '--noEmit', 'false', '--outDir', 'out'],
        project,
      );
      const out = run(process.execPath, [join(project, 'out', 'smoke.js')], project);
      assert.ok(out.trim().length > 0, `${name}'s smoke script printed nothing`);
      assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), expected[name]);
    });
  }

  // Issue 22: a TensorFlow.js user's project. tfjs-layers' compile takes only a tf.Optimizer of its own tfjs-core,
  // and tf.loadLayersModel finds our classes in that copy's registry: the install must hold one tfjs-core.
  for (const manager of ['npm', 'pnpm']) {
    it(`a tfjs app (${manager}: @tensorflow/tfjs and the tarballs) trains a LayersModel with AdamW, saves and loads it, and loads an exportLayersModel export`, () => {
      const project = join(scratch, `tfjs-app-${manager}`);
      mkdirSync(project, { recursive: true });
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'tfjs-app', private: true, type: 'module' }));
      const ours = [...closure('@opt/layers')].map(tarballOf);
      if (manager === 'npm') {
        run(
          'npm',
          ['install', '--no-audit', '--no-fund', '--loglevel=error', '@tensorflow/tfjs@4.22.0', ...ours],
          project,
        );
      } else {
        // Strict: a package sees only what it declares; tfjs-core is a peer that must resolve to the app's copy.
        // The overrides stand in for the registry: each @opt dependency comes from its tarball.
        const overrides = [...closure('@opt/layers')].map((n) => `  '${n}': 'file:${tarballOf(n)}'`);
        writeFileSync(
          join(project, 'pnpm-workspace.yaml'),
          `allowBuilds:\n  core-js: false\noverrides:\n${overrides.join('\n')}\n`,
        );
        const dependencies = {
          '@tensorflow/tfjs': '4.22.0',
          '@opt/optimizers': `file:${tarballOf('@opt/optimizers')}`,
          '@opt/layers': `file:${tarballOf('@opt/layers')}`,
        };
        writeFileSync(
          join(project, 'package.json'),
          JSON.stringify({ name: 'tfjs-app', private: true, type: 'module', dependencies }),
        );
        run('pnpm', ['install'], project);
      }
      const copies = run('find', ['-L', 'node_modules', '-path', '*/@tensorflow/tfjs-core/package.json'], project)
        .split('\n')
        .filter(Boolean)
        .map((file) => resolve(project, file))
        .map((file) => execFileSync('realpath', [file], { encoding: 'utf8' }).trim());
      assert.equal(new Set(copies).size, 1, `more than one tfjs-core: ${[...new Set(copies)].join(', ')}`);
      writeFileSync(
        join(project, 'app.mjs'),
        `import * as tf from '@tensorflow/tfjs';
import { AdamW } from '@opt/optimizers';
tf.enableProdMode();
const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });
model.compile({ optimizer: new AdamW({ learningRate: 0.01, weightDecay: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
const x = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]);
const y = tf.tensor1d([0, 1, 1, 0]);
await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
let saved;
await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
await loaded.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
// Our Sequential, exported to a directory, then opened by this app's tf.loadLayersModel (tfjs-node's file:// is
// not installed here, so the two files are read and handed over as tfjs's fromMemory).
const { BatchNormalization, Dense, ReLU, Rescaling, Sequential, exportLayersModel } = await import('@opt/layers');
const { readFileSync } = await import('node:fs');
const ours = new Sequential(
  [new Rescaling({ scale: 1 / 255 }), new Dense({ units: 4, useBias: false }), new BatchNormalization(), new ReLU(), new Dense({ units: 2, activation: 'softmax' })],
  { inputShape: [3], seed: 1 },
);
ours.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
const pixels = tf.tensor2d([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]]);
await ours.fit(pixels, y, { epochs: 2, batchSize: 2 });
await exportLayersModel(ours, 'export');
const json = JSON.parse(readFileSync('export/model.json', 'utf8'));
const bin = readFileSync('export/weights.bin');
const served = await tf.loadLayersModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest[0].weights,
  weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
}));
const diff = tf.max(tf.abs(tf.sub(ours.predict(pixels), served.predict(pixels)))).dataSync()[0];
console.log(JSON.stringify({ className: loaded.optimizer.getClassName(), iterations: loaded.optimizer.iterations, exportMatches: diff < 1e-6 }));
`,
      );
      const out = run(process.execPath, ['app.mjs'], project);
      assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), {
        className: 'opt.AdamW',
        iterations: 8,
        exportMatches: true,
      });
    });
  }

  // @opt/tensor's wasm threads need a worker file from its tarball; a missing one would fall back to one thread.
  it('starts the threaded wasm backend from the @opt/tensor tarball, and the process exits by itself', () => {
    const project = consumer('@opt/tensor');
    writeFileSync(
      join(project, 'threads.mjs'),
      `import { tf, useBackend } from '@opt/tensor';
tf.enableProdMode();
const { threads } = await useBackend('wasm', { threads: 2 });
const sum = tf.sum(tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]))).dataSync()[0];
console.log(JSON.stringify({ count: threads.count, reason: threads.reason, sum }));
`,
    );
    // The timeout turns a process that does not exit by itself into a failure.
    const out = execFileSync(process.execPath, ['threads.mjs'], { cwd: project, encoding: 'utf8', timeout: 300_000 });
    const { count, reason, sum } = JSON.parse(out.trim().split('\n').pop());
    assert.deepEqual({ count, sum }, { count: 2, sum: 64 ** 3 }, reason);
    assert.match(reason, /^2 requested/);
  });
});
