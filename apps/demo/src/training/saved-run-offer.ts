/** The offer to continue a run saved in this browser's IndexedDB, or to discard it (also when it is damaged). */
import { button, h } from '../ui.js';
import type { SavedRun } from './protocol.js';

export interface SavedRunOffer {
  readonly element: HTMLElement;
  hide(): void;
  /** A saved run that can continue: its optimizer, step and epochs, with Continue and Discard. */
  show(saved: SavedRun): void;
  /** A saved run that cannot continue (damaged, or from another version of the demo): why, with Discard. */
  showUnusable(reason: string): void;
}

export function savedRunOffer(actions: { continue(): void; discard(): void }): SavedRunOffer {
  const element = h('div', { class: 'offer', hidden: true, role: 'region', 'aria-label': 'Saved run' });
  const discardButton = () => button('Discard it', () => actions.discard(), { 'data-action': 'discard' });
  return {
    element,
    hide() {
      element.hidden = true;
    },
    show(saved) {
      const s = saved.record.settings;
      element.hidden = false;
      element.replaceChildren(
        h(
          'p',
          {},
          `A run from earlier is saved in this browser: ${s.optimizer} (learning rate ${s.learningRate}), `,
          h('span', { 'data-saved-step': String(saved.step) }, `step ${saved.step}`),
          `, ${saved.epoch} of ${s.epochs} epochs.`,
        ),
        h(
          'div',
          { class: 'button-row' },
          button('Continue it', () => actions.continue(), { 'data-action': 'continue' }),
          discardButton(),
        ),
      );
    },
    showUnusable(reason) {
      element.hidden = false;
      element.replaceChildren(
        h('p', {}, `A saved run cannot be continued: ${reason}`),
        h('div', { class: 'button-row' }, discardButton()),
      );
    },
  };
}
