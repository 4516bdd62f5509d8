/**
 * @opt/data-fashion-mnist for Node.js: everything the browser entry has, plus
 * `loadFashionMnist` (local copies, the cache, Debian's package, download).
 */
export * from './common.js';
export {
  DEBIAN_DATA_DIR,
  defaultCacheDir,
  type FashionMnistNodeData,
  FashionMnistNotFoundError,
  type LoadFashionMnistOptions,
  loadFashionMnist,
} from './node.js';
