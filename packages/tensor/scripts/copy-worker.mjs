// Puts the wasm backend's pthread worker (plain CommonJS, nothing to compile) beside the module that starts it.
import { copyFileSync } from 'node:fs';

copyFileSync('src/wasm-pthread-worker.cjs', 'dist/wasm-pthread-worker.cjs');
