/** tfjs-backend-wasm as this package imports it (`#tfjs-backend-wasm`): see `tfjs-core.ts`. */
export * from '@tensorflow/tfjs-backend-wasm';
