// The pthread worker of tfjs-backend-wasm's threaded build, as a file: Node's Worker cannot start from the blob: URL
// tfjs makes of it (tfjs issue 3830). The package ships the worker's source only as a string, whose "\n" escapes its
// template literal turned into newlines; tfjs escapes them again before it makes the blob, and so does this file.
'use strict';
const {
  wasmWorkerContents,
} = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');

// The worker's source is a script that expects `require` and `__filename` in scope, as a CommonJS file has them.
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);
