/**
 * View 3, schedules: every learning-rate schedule of @opt/schedules plotted
 * over the steps (its own `sampleSchedule`), redrawn as its knobs change.
 */
import * as Plot from '@observablehq/plot';
import {
  constant,
  cosineDecay,
  cosineDecayRestarts,
  exponentialDecay,
  inverseTimeDecay,
  type LearningRateSchedule,
  linearWarmup,
  piecewiseConstantDecay,
  polynomialDecay,
  sampleSchedule,
  sequence,
} from '@opt/schedules';
import { viewIntro } from '../chapter.js';
import { chartWidth, checkboxField, h, messageLine, numberField, onWidthChange, perFrame } from '../ui.js';

type KnobValue = number | boolean | number[];

interface Knob {
  readonly key: string;
  readonly label: string;
  readonly value: KnobValue;
  readonly step?: number;
}

interface Card {
  readonly id: string;
  /** Keras's class name (or the optax-style helper's). */
  readonly title: string;
  readonly formula: string;
  readonly knobs: readonly Knob[];
  make(lr0: number, v: Record<string, KnobValue>): LearningRateSchedule;
}

const num = (v: KnobValue | undefined) => v as number;

const CARDS: readonly Card[] = [
  {
    id: 'constant',
    title: 'constant',
    formula: 'lr = lr0',
    knobs: [],
    make: (lr0) => constant(lr0),
  },
  {
    id: 'exponential',
    title: 'exponentialDecay',
    formula: 'lr0 · decayRate^(step / decaySteps), floored with staircase',
    knobs: [
      { key: 'decaySteps', label: 'decaySteps', value: 100, step: 1 },
      { key: 'decayRate', label: 'decayRate', value: 0.5, step: 0.05 },
      { key: 'staircase', label: 'staircase', value: false },
    ],
    make: (lr0, v) =>
      exponentialDecay({
        initialLearningRate: lr0,
        decaySteps: num(v.decaySteps),
        decayRate: num(v.decayRate),
        staircase: v.staircase === true,
      }),
  },
  {
    id: 'inverse-time',
    title: 'inverseTimeDecay',
    formula: 'lr0 / (1 + decayRate · step / decaySteps): the chapter’s initial_lr / (1 + decay_rate · epoch)',
    knobs: [
      { key: 'decaySteps', label: 'decaySteps (one epoch)', value: 100, step: 1 },
      { key: 'decayRate', label: 'decayRate', value: 1, step: 0.1 },
      { key: 'staircase', label: 'staircase (once per epoch)', value: true },
    ],
    make: (lr0, v) =>
      inverseTimeDecay({
        initialLearningRate: lr0,
        decaySteps: num(v.decaySteps),
        decayRate: num(v.decayRate),
        staircase: v.staircase === true,
      }),
  },
  {
    id: 'piecewise',
    title: 'piecewiseConstantDecay',
    formula: 'values[i] between boundaries (a boundary step keeps the earlier value)',
    knobs: [
      { key: 'boundaries', label: 'boundaries', value: [150, 300] },
      { key: 'factors', label: 'values, as multiples of lr0', value: [1, 0.3, 0.1] },
    ],
    make: (lr0, v) =>
      piecewiseConstantDecay({
        boundaries: v.boundaries as number[],
        values: (v.factors as number[]).map((f) => f * lr0),
      }),
  },
  {
    id: 'polynomial',
    title: 'polynomialDecay',
    formula: '(lr0 − end) · (1 − step / decaySteps)^power + end',
    knobs: [
      { key: 'decaySteps', label: 'decaySteps', value: 300, step: 1 },
      { key: 'endLearningRate', label: 'endLearningRate', value: 0.0001, step: 0.0001 },
      { key: 'power', label: 'power', value: 2, step: 0.5 },
      { key: 'cycle', label: 'cycle', value: false },
    ],
    make: (lr0, v) =>
      polynomialDecay({
        initialLearningRate: lr0,
        decaySteps: num(v.decaySteps),
        endLearningRate: num(v.endLearningRate),
        power: num(v.power),
        cycle: v.cycle === true,
      }),
  },
  {
    id: 'cosine',
    title: 'cosineDecay',
    formula: 'lr0 · ((1 − alpha) · ½ (1 + cos(π · step / decaySteps)) + alpha), after an optional linear warmup',
    knobs: [
      { key: 'decaySteps', label: 'decaySteps', value: 350, step: 1 },
      { key: 'alpha', label: 'alpha', value: 0, step: 0.05 },
      { key: 'warmupSteps', label: 'warmupSteps (to 2 · lr0)', value: 50, step: 1 },
    ],
    make: (lr0, v) =>
      num(v.warmupSteps) > 0
        ? cosineDecay({
            initialLearningRate: lr0,
            decaySteps: num(v.decaySteps),
            alpha: num(v.alpha),
            warmupTarget: 2 * lr0,
            warmupSteps: num(v.warmupSteps),
          })
        : cosineDecay({ initialLearningRate: lr0, decaySteps: num(v.decaySteps), alpha: num(v.alpha) }),
  },
  {
    id: 'restarts',
    title: 'cosineDecayRestarts',
    formula: 'cosine periods, each tMul times longer and mMul times lower (SGDR)',
    knobs: [
      { key: 'firstDecaySteps', label: 'firstDecaySteps', value: 60, step: 1 },
      { key: 'tMul', label: 'tMul', value: 2, step: 0.5 },
      { key: 'mMul', label: 'mMul', value: 0.8, step: 0.1 },
      { key: 'alpha', label: 'alpha', value: 0, step: 0.05 },
    ],
    make: (lr0, v) =>
      cosineDecayRestarts({
        initialLearningRate: lr0,
        firstDecaySteps: num(v.firstDecaySteps),
        tMul: num(v.tMul),
        mMul: num(v.mMul),
        alpha: num(v.alpha),
      }),
  },
  {
    id: 'warmup',
    title: 'linearWarmup + exponentialDecay',
    formula: 'a linear ramp from 0 over warmupSteps, then the decay (optax’s warmup in front of any schedule)',
    knobs: [
      { key: 'warmupSteps', label: 'warmupSteps', value: 40, step: 1 },
      { key: 'decaySteps', label: 'decaySteps', value: 100, step: 1 },
      { key: 'decayRate', label: 'decayRate', value: 0.5, step: 0.05 },
    ],
    make: (lr0, v) =>
      linearWarmup({
        warmupSteps: num(v.warmupSteps),
        schedule: exponentialDecay({
          initialLearningRate: lr0,
          decaySteps: num(v.decaySteps),
          decayRate: num(v.decayRate),
        }),
      }),
  },
  {
    id: 'sequence',
    title: 'sequence (joinSchedules)',
    formula:
      'one schedule after another: here a constant rate, then a cosine decay from its boundary on (optax’s join_schedules)',
    knobs: [
      { key: 'boundary', label: 'boundary (step)', value: 200, step: 1 },
      { key: 'decaySteps', label: 'decaySteps of the cosine', value: 250, step: 1 },
    ],
    make: (lr0, v) =>
      sequence({
        schedules: [constant(lr0), cosineDecay({ initialLearningRate: lr0, decaySteps: num(v.decaySteps) })],
        boundaries: [num(v.boundary)],
      }),
  },
];

/** "150, 300" -> [150, 300]; a clear error for anything else. */
function parseList(label: string, text: string): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const values = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isFinite(values[i]));
  if (bad !== undefined)
    throw new RangeError(`${label}: "${bad}" is not a number; write numbers separated by commas, e.g. 150, 300.`);
  return values;
}

export function schedulesView(): HTMLElement {
  const root = h('section', { class: 'view', id: 'schedules', 'aria-labelledby': 'schedules-title' });
  const lr0 = numberField({
    label: 'Initial learning rate (lr0)',
    name: 'lr0',
    value: 0.01,
    min: 0,
    onChange: () => drawAll(),
  });
  const total = numberField({
    label: 'Steps plotted',
    name: 'total-steps',
    value: 500,
    min: 1,
    step: 1,
    onChange: () => drawAll(),
  });
  const cards = CARDS.map((card) => {
    const message = messageLine(`schedule-${card.id}`);
    const chart = h('div', { class: 'chart' });
    const readers = card.knobs.map((knob) => {
      const name = `${card.id}-${knob.key}`;
      if (typeof knob.value === 'boolean') {
        const f = checkboxField({ label: knob.label, name, checked: knob.value, onChange: () => draw() });
        return { element: f.element, read: (): KnobValue => f.value() };
      }
      if (Array.isArray(knob.value)) {
        const id = `${name}-input`;
        const input = h('input', { id, name, type: 'text', value: knob.value.join(', '), inputmode: 'decimal' });
        input.addEventListener('input', () => draw());
        return {
          element: h('div', { class: 'field' }, h('label', { for: id }, knob.label), input),
          read: (): KnobValue => parseList(knob.label, input.value),
        };
      }
      const f = numberField({
        label: knob.label,
        name,
        value: knob.value,
        step: knob.step ?? 'any',
        onChange: () => draw(),
      });
      return { element: f.element, read: (): KnobValue => f.value() };
    });
    const element = h(
      'article',
      { class: 'schedule-card', 'data-schedule': card.id, 'aria-labelledby': `${card.id}-title` },
      h('h3', { id: `${card.id}-title` }, h('code', {}, card.title)),
      h('p', { class: 'formula' }, card.formula),
      h('div', { class: 'knob-row' }, ...readers.map((r) => r.element)),
      chart,
      message.element,
    );
    const draw = perFrame(() => {
      let points: Array<{ step: number; learningRate: number }> = [];
      try {
        const values = Object.fromEntries(
          card.knobs.map((k, i) => [k.key, (readers[i] as { read(): KnobValue }).read()]),
        );
        const schedule = card.make(lr0.value(), values);
        // Every step up to 1,000: staircases stay sharp.
        points = sampleSchedule(schedule, { steps: total.value(), points: 1001 });
        message.show('', 'info');
        element.dataset.first = String(points[0]?.learningRate);
        element.dataset.last = String(points.at(-1)?.learningRate);
      } catch (error) {
        message.show(error instanceof Error ? error.message : String(error));
      }
      chart.replaceChildren(
        Plot.plot({
          width: chartWidth(chart, 240),
          height: 170,
          x: { label: 'step' },
          y: { label: 'learning rate', grid: true, zero: true },
          marks: [Plot.line(points, { x: 'step', y: 'learningRate', stroke: '#4269d0', strokeWidth: 2 })],
        }),
      );
    });
    onWidthChange(chart, draw);
    return { element, draw };
  });
  const drawAll = () => {
    for (const c of cards) c.draw();
  };

  root.append(
    h('h2', { id: 'schedules-title' }, 'Learning-rate schedules'),
    viewIntro(
      ['decay'],
      'how each schedule trades early progress (a high rate) for late fine-tuning (a low one); change a knob and watch the curve.',
    ),
    h('form', { class: 'controls inline', onsubmit: (e: Event) => e.preventDefault() }, lr0.element, total.element),
    h('div', { class: 'cards' }, ...cards.map((c) => c.element)),
  );
  root.addEventListener('view-shown', drawAll);
  return root;
}
