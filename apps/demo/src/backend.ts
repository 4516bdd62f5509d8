/** The page's backend (see backend-choice.ts): the header's badge that names it, auto's reason, and the picker. */
import { tf } from '@opt/tensor';
import { type BackendChoice, chooseBackend } from './backend-choice.js';
import { BACKEND_CHOICES, requestedBackend, wasmPaths } from './config.js';
import { h } from './ui.js';

export async function startBackend(): Promise<BackendChoice> {
  const { request, error } = requestedBackend();
  const choice = await chooseBackend(request, wasmPaths);
  return error === null ? choice : { ...choice, notice: error };
}

/** The badge, auto's reason beside it, and, after a failure, the notice with the reason. */
export function backendStatus(choice: BackendChoice, where: string): HTMLElement {
  const { report, reason, notice } = choice;
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
    reason === null ? null : h('span', { class: 'backend-reason', 'data-backend-reason': where }, reason),
    notice === null ? null : h('p', { class: 'notice', role: 'alert', 'data-notice': where }, notice),
  );
}

/** A choice of backend for this page and its worker: reloads with `?backend=` (a saved run continues on any). */
export function backendPicker(): HTMLElement {
  const { request } = requestedBackend();
  const select = h(
    'select',
    {
      name: 'backend',
      onchange: () => {
        const url = new URL(location.href);
        if (select.value === 'auto') url.searchParams.delete('backend');
        else url.searchParams.set('backend', select.value);
        location.assign(url.href);
      },
    },
    ...BACKEND_CHOICES.map((b) => h('option', { value: b, selected: b === request }, b)),
  );
  return h('label', { class: 'backend-picker' }, 'backend ', select);
}
