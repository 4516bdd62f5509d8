import { defineConfig } from 'vite';
import { fashionMnistFiles } from './vite/fashion-mnist.js';
import { tfjsWasmFiles } from './vite/tfjs-wasm.js';

export default defineConfig({
  // Relative URLs: the built site works from any folder of any static host.
  base: './',
  // One page with hash routes: a missing file is a 404, not index.html (the data loader then says what is missing).
  appType: 'mpa',
  plugins: [fashionMnistFiles(), tfjsWasmFiles()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // TensorFlow.js core with its WebGL backend is one ~1 MB chunk by itself.
    chunkSizeWarningLimit: 1500,
    // The build-time hint "plugins took N% of the build" depends on the machine's load, not on the code.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  optimizeDeps: {
    // Found late by the dev server (dynamic imports inside @opt/tensor): listed so that it never reloads the page.
    include: [
      '@opt/tensor > @tensorflow/tfjs-core',
      '@opt/tensor > @tensorflow/tfjs-backend-webgl',
      '@opt/tensor > @tensorflow/tfjs-backend-wasm',
      '@opt/tensor > @tensorflow/tfjs-backend-cpu',
    ],
  },
});
