/**
 * @opt/data-fashion-mnist for Node.js: everything the browser entry has, plus
 * `loadFashionMnist` (local copies, the cache, Debian's package, download) and `locateFashionMnist` (where the
 * local copies are).
 */
export * from './common.js';
export {
  DEBIAN_DATA_DIR,
  defaultCacheDir,
  type FashionMnistLocation,
  type FashionMnistNodeData,
  FashionMnistNotFoundError,
  type LoadFashionMnistOptions,
  type LocateFashionMnistOptions,
  loadFashionMnist,
  locateFashionMnist,
} from './node.js';
