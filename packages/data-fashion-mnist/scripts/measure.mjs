// Measures load time and resident bytes, and the batch iterator's speed and memory.
// Run after `pnpm --filter @opt/data-fashion-mnist build`:
//   node --expose-gc packages/data-fashion-mnist/scripts/measure.mjs [dataDir]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { batches, computeStatistics, loadFashionMnist, locateFashionMnist } from '../dist/index.js';

const dataDir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
// Buffers' external memory is released a tick after the collection that frees them: collect and wait, a few times.
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
};
await useTestBackend();
await settle();
const base = process.memoryUsage().arrayBuffers;
const times = [];
let data;
for (let i = 0; i < 3; i++) {
  data = undefined;
  await settle();
  const t0 = performance.now();
  data = await loadFashionMnist({ dataDir, download: false });
  times.push(performance.now() - t0);
}
await settle();
const resident = process.memoryUsage().arrayBuffers - base;
console.log(
  `load from ${dataDir} (gunzip + parse + sha256 of 4 files): ${times.map((t) => t.toFixed(0)).join(', ')} ms`,
);
console.log(
  `dataset bytes: ${mib(data.train.images.byteLength + data.test.images.byteLength + 70000)}; ArrayBuffer bytes resident after load: ${mib(resident)}`,
);

// Finding the files without reading them, against loading them, alternated in one process.
const locateTimes = [];
const loadTimes = [];
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  for (let j = 0; j < 10; j++) await locateFashionMnist({ dataDir });
  locateTimes.push((performance.now() - t) / 10);
  t = performance.now();
  await loadFashionMnist({ dataDir, download: false });
  loadTimes.push(performance.now() - t);
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(
  `locateFashionMnist: ${locateTimes.map((t) => t.toFixed(2)).join(', ')} ms; loadFashionMnist ${loadTimes.map((t) => t.toFixed(0)).join(', ')} ms; ` +
    `ratio of medians ${(median(loadTimes) / median(locateTimes)).toFixed(0)}x`,
);

// Inflating the train images as the loader does (one output chunk of the file's size) against zlib's default
// 16 KiB chunks, alternated in one process.
const gunzip = promisify(gunzipCallback);
const trainImagesGz = await readFile(join(dataDir, 'train-images-idx3-ubyte.gz'));
const inflate = { chunk: [], default: [] };
for (let i = 0; i < 7; i++) {
  let t = performance.now();
  await gunzip(trainImagesGz, { chunkSize: 47_040_016 });
  inflate.chunk.push(performance.now() - t);
  t = performance.now();
  await gunzip(trainImagesGz);
  inflate.default.push(performance.now() - t);
}
console.log(
  `inflate train images: one chunk ${inflate.chunk.map((t) => t.toFixed(0)).join(', ')} ms; zlib's 16 KiB chunks ` +
    `${inflate.default.map((t) => t.toFixed(0)).join(', ')} ms; ratio of medians ${(median(inflate.default) / median(inflate.chunk)).toFixed(1)}x`,
);

const t1 = performance.now();
const stats = computeStatistics(data.train);
console.log(
  `computeStatistics(train) global: mean ${stats.mean[0].toFixed(4)}, std ${stats.std[0].toFixed(4)} in ${(performance.now() - t1).toFixed(0)} ms`,
);

for (const normalize of ['rescale', 'standardize']) {
  const it = batches(data.train, { batchSize: 128, seed: 0, normalize, statistics: stats });
  await settle();
  const before = process.memoryUsage().arrayBuffers;
  let peakTensorBytes = 0;
  let peakArrayBuffers = 0;
  const t2 = performance.now();
  for (const b of it.batches(0)) {
    peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
    peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - before);
    tf.dispose([b.x, b.y]);
  }
  const ms = performance.now() - t2;
  await settle();
  const retained = process.memoryUsage().arrayBuffers - before;
  console.log(
    `batches(train, 128, ${normalize}): one epoch (${it.batchesPerEpoch} batches) in ${ms.toFixed(0)} ms ` +
      `(${((it.batchesPerEpoch / ms) * 1000).toFixed(0)} batches/s); peak tensor bytes ${mib(peakTensorBytes)}; ` +
      `peak ArrayBuffer growth ${mib(peakArrayBuffers)} (batch buffers awaiting GC), retained after GC ${mib(retained)} ` +
      `(a float32 copy of the training set would be ${mib(60000 * 784 * 4)})`,
  );
}
