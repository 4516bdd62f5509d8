/** The line that says whether Fashion-MNIST loaded, how far the download got, or how to make it loadable. */
import { dataUrl } from '../config.js';
import { h } from '../ui.js';
import type { DataSummary } from './protocol.js';

export interface DataStatus {
  readonly element: HTMLElement;
  loading(): void;
  progress(bytes: number): void;
  ready(data: DataSummary): void;
  missing(reason: string): void;
}

export function dataStatus(): DataStatus {
  const element = h(
    'p',
    { class: 'data-status', 'data-data': 'pending', role: 'status' },
    'Fashion-MNIST: not loaded yet.',
  );
  return {
    element,
    loading() {
      element.dataset.data = 'loading';
      element.textContent = `Fashion-MNIST: loading from ${dataUrl}…`;
    },
    progress(bytes) {
      element.textContent = `Fashion-MNIST: loading from ${dataUrl}… ${(bytes / 2 ** 20).toFixed(1)} MiB`;
    },
    ready(data) {
      element.dataset.data = 'ready';
      element.textContent = `Fashion-MNIST: ${data.trainCount.toLocaleString('en')} training and ${data.testCount.toLocaleString('en')} test images, verified (sha256), from ${dataUrl}`;
    },
    missing(reason) {
      element.dataset.data = 'missing';
      element.replaceChildren(...dataHelp(reason));
    },
  };
}

/** What to do when the data cannot be loaded, with the loader's own message. */
function dataHelp(reason: string): Node[] {
  return [
    h('strong', {}, 'Fashion-MNIST is not reachable, so training is off (the other views work without it). '),
    h('span', { class: 'reason' }, reason),
    h(
      'span',
      {},
      ' To fix it: with `pnpm demo` or `pnpm --filter @opt/demo preview`, install Debian’s dataset-fashion-mnist package, ' +
        'or set FASHION_MNIST_DIR to a folder with the four files, and reload. For a static copy of the site, put ' +
        'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz ' +
        `at ${dataUrl}, or open the page with ?data=<a URL that serves them>.`,
    ),
  ];
}
