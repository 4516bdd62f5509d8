/**
 * The training worker's lifecycle: created on first use, wrapped with Comlink, started on the backend the page
 * asked for; its line under the title says which backend it got and why.
 */
import * as Comlink from 'comlink';
import { requestedBackend, wasmPaths } from '../config.js';
import { h } from '../ui.js';
import type { WorkerBackend } from './protocol.js';
import type { Trainer } from './trainer.js';

export type Remote = Comlink.Remote<Trainer>;

/** The worker, started once: later calls get the same one. `onFailure` hears a worker that stopped or never loaded. */
export function workerClient(onFailure: (message: string) => void): {
  readonly status: HTMLElement;
  get(): Promise<Remote>;
  backend(): string | null;
} {
  const status = h('div', { class: 'worker-status' });
  let trainer: Promise<Remote> | null = null;
  let backend: string | null = null;

  async function create(): Promise<Remote> {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'opt-training' });
    worker.addEventListener('error', (event) => {
      onFailure(`The training worker stopped: ${event.message || 'it could not load'}. Reload the page to try again.`);
    });
    const remote = Comlink.wrap<Trainer>(worker);
    const choice = await remote.start(requestedBackend().request, wasmPaths);
    backend = choice.report.backend;
    status.replaceChildren(...statusNodes(choice));
    return remote;
  }

  return {
    status,
    get: () => {
      trainer ??= create();
      return trainer;
    },
    backend: () => backend,
  };
}

/** How the worker draws: WebGL and WebGPU each say where their context lives. */
function backendNote(backend: string): string {
  if (backend === 'webgl') return ' (WebGL through an OffscreenCanvas).';
  if (backend === 'webgpu') return " (WebGPU, the worker's own device).";
  return '.';
}

function statusNodes(choice: WorkerBackend): Array<Node | string> {
  return [
    h(
      'p',
      {},
      'Training runs in a Web Worker on ',
      h('strong', { 'data-worker-backend': choice.report.backend }, choice.report.backend),
      backendNote(choice.report.backend),
    ),
    choice.reason === null ? '' : h('p', { class: 'backend-reason', 'data-backend-reason': 'worker' }, choice.reason),
    choice.notice === null ? '' : h('p', { class: 'notice', role: 'alert', 'data-notice': 'worker' }, choice.notice),
  ];
}
