/**
 * The page: the backend in the header, four views behind hash links
 * (#playground, #moving-averages, #schedules, #training), each built on first
 * visit and kept afterwards.
 */
import './style.css';
import { backendPicker, backendStatus, startBackend } from './backend.js';
import { movingAveragesView } from './moving-averages/view.js';
import { playgroundView } from './playground/view.js';
import { schedulesView } from './schedules/view.js';
import type { TrainingSnapshot } from './training/protocol.js';
import { trainingView } from './training/view.js';
import { h } from './ui.js';

declare global {
  interface Window {
    /** Read-only state for automation (the end-to-end tests). */
    optDemo?: { training(): TrainingSnapshot | null };
  }
}

const status = document.getElementById('status') as HTMLElement;
const nav = document.getElementById('views') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;
const stepTime = h('span', { class: 'badge step-time', 'data-step-time': '' }, 'training step: not running');

let training: ReturnType<typeof trainingView> | null = null;
const VIEWS = [
  { id: 'playground', title: 'Optimizer playground', make: playgroundView },
  { id: 'moving-averages', title: 'Moving averages', make: movingAveragesView },
  { id: 'schedules', title: 'Schedules', make: schedulesView },
  {
    id: 'training',
    title: 'Fashion-MNIST training',
    make: () => {
      training = trainingView(stepTime);
      return training.element;
    },
  },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

const built = new Map<ViewId, HTMLElement>();
const links = VIEWS.map((v) => h('a', { href: `#${v.id}`, 'data-view': v.id }, v.title));
nav.append(...links);

function show(id: ViewId): void {
  let view = built.get(id);
  if (view === undefined) {
    view = VIEWS.find((v) => v.id === id)?.make() as HTMLElement;
    built.set(id, view);
    main.append(view);
  }
  for (const [other, element] of built) element.hidden = other !== id;
  for (const link of links) {
    if (link.dataset.view === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${VIEWS.find((v) => v.id === id)?.title} · opt`;
  view.dispatchEvent(new Event('view-shown'));
}

function current(): ViewId {
  const id = location.hash.slice(1);
  return (VIEWS.some((v) => v.id === id) ? id : 'playground') as ViewId;
}

window.optDemo = { training: () => training?.snapshot() ?? null };

const choice = await startBackend();
status.replaceChildren(backendStatus(choice, 'page backend'), backendPicker(), stepTime);
document.body.dataset.backend = choice.report.backend;
window.addEventListener('hashchange', () => show(current()));
show(current());
