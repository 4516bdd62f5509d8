/** The page's backend (see backend-choice.ts) and the header's badge that names it. */
import { tf } from '@opt/tensor';
import { type BackendChoice, chooseBackend } from './backend-choice.js';
import { requestedBackend, wasmPaths } from './config.js';
import { h } from './ui.js';

export async function startBackend(): Promise<BackendChoice> {
  const { request, error } = requestedBackend();
  const choice = await chooseBackend(request, wasmPaths);
  return error === null ? choice : { report: choice.report, notice: error };
}

/** The badge and, after a fallback, the notice with the reason. */
export function backendStatus(choice: BackendChoice, where: string): HTMLElement {
  const { report, notice } = choice;
  const float32 = report.backend !== 'webgl' || tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  return h(
    'div',
    { class: 'backend-status' },
    h(
      'span',
      { class: 'badge', 'data-backend': report.backend, 'data-where': where },
      `${where}: `,
      h('strong', {}, report.backend),
      float32 ? '' : ' (16-bit textures: less precise)',
    ),
    notice === null ? null : h('p', { class: 'notice', role: 'alert', 'data-notice': where }, notice),
  );
}
