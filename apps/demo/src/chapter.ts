/** The chapter's sections each view illustrates, and the line under each view's title. */
import { chapterUrl } from './config.js';
import { h } from './ui.js';

/** The chapter's headings, verbatim (their anchors are GitHub-style slugs of these). */
export const SECTIONS = {
  process: 'Optimization as a process',
  failures: 'Where basic gradient descent fails',
  normalize: 'Normalize inputs (make gradients behave)',
  batches: 'Batch, stochastic, and mini-batch gradient descent',
  movingAverages: 'Moving averages (a core building block)',
  momentum: 'Momentum (smooth direction)',
  rmsprop: 'RMSProp (adapt step sizes per parameter)',
  adam: 'Adam (momentum + adaptive scaling)',
  decay: 'Learning rate decay (schedule smaller steps later)',
  batchNorm: 'Batch normalization (stabilize activations)',
  workflow: 'Practical workflow',
} as const;

export type SectionKey = keyof typeof SECTIONS;

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

/** A link to a section when the chapter's URL is known, else its title in quotes. */
export function sectionRef(key: SectionKey): HTMLElement {
  const title = SECTIONS[key];
  if (chapterUrl === '') return h('cite', {}, title);
  return h('a', { href: `${chapterUrl}#${slug(title)}`, target: '_blank', rel: 'noopener' }, title);
}

/** "Chapter: <sections>. Look for: <sentence>" under a view's title. */
export function viewIntro(keys: readonly SectionKey[], lookFor: string): HTMLElement {
  const refs: (Node | string)[] = [];
  keys.forEach((k, i) => {
    if (i > 0) refs.push(i === keys.length - 1 ? ' and ' : ', ');
    refs.push(sectionRef(k));
  });
  return h(
    'div',
    { class: 'intro' },
    h('p', { class: 'chapter' }, 'Chapter: ', ...refs, '.'),
    h('p', { class: 'look-for' }, h('strong', {}, 'Look for: '), lookFor),
  );
}
