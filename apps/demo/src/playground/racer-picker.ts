/**
 * The racers' controls: per racer, the optimizer (any preset of the catalog), its learning rate and its own knobs
 * from the catalog's option specs (number inputs with the valid range, a switch for a boolean), and buttons to add
 * (up to {@link MAX_RACERS}) and remove racers.
 */
import { CATALOG, type CatalogOption, describeOption, type OptimizerName } from '@opt/optimizers/catalog';
import { button, checkboxField, h, numberField, selectField } from '../ui.js';
import {
  entryOf,
  type KnobValue,
  knobValue,
  learningRateFor,
  MAX_RACERS,
  newRacer,
  nextOptimizer,
  onAVector,
  RACER_COLORS,
  type RacerSpec,
  type RatePreset,
} from './racers.js';
import type { Surface } from './surfaces.js';

export interface RacerPicker {
  readonly element: HTMLElement;
  racers(): RacerSpec[];
  set(racers: readonly RacerSpec[]): void;
  /** Every racer's learning rate to the preset's on `surface` (a classic's own, else the catalog's scaled). */
  applyRates(surface: Surface, preset: RatePreset): void;
}

/** Knobs of presets with more options than this start folded (Muon has 13). */
const OPEN_KNOBS = 4;

export function racerPicker(options: { surface: () => Surface; onChange: () => void }): RacerPicker {
  let racers: RacerSpec[] = [];
  const list = h('div', { class: 'racers' });
  const addButton = button('Add racer', () => add(), { 'data-action': 'add-racer' });
  const element = h('div', { class: 'racer-picker' }, list, h('div', { class: 'button-row' }, addButton));

  /** Replaces racer `i` and tells the view (a rebuild only when the controls themselves change). */
  function update(i: number, spec: RacerSpec, rebuild: boolean): void {
    racers = racers.map((r, j) => (j === i ? spec : r));
    if (rebuild) render();
    options.onChange();
  }

  function add(): void {
    if (racers.length >= MAX_RACERS) return;
    racers = [...racers, newRacer(nextOptimizer(racers), options.surface())];
    render();
    options.onChange();
  }

  function remove(i: number): void {
    if (racers.length <= 1) return;
    racers = racers.filter((_, j) => j !== i);
    render();
    options.onChange();
  }

  function render(): void {
    list.replaceChildren(...racers.map((spec, i) => racerControls(spec, i)));
    addButton.disabled = racers.length >= MAX_RACERS;
    addButton.title = addButton.disabled ? `At most ${MAX_RACERS} racers: remove one first.` : '';
  }

  function racerControls(spec: RacerSpec, i: number): HTMLElement {
    const n = i + 1;
    const entry = entryOf(spec.optimizer);
    const pick = selectField<OptimizerName>({
      label: 'Optimizer',
      name: `racer-${n}-optimizer`,
      value: spec.optimizer,
      choices: CATALOG.map((e) => [e.name, e.className] as const),
      onChange: (name) => update(i, newRacer(name, options.surface()), true),
    });
    const lr = numberField({
      label: 'learning rate',
      name: `racer-${n}-lr`,
      value: spec.learningRate,
      min: 0,
      step: 'any',
      onChange: (value) => update(i, { ...(racers[i] as RacerSpec), learningRate: value }, false),
    });
    const setKnob = (key: string, value: KnobValue) => {
      const current = racers[i] as RacerSpec;
      update(i, { ...current, options: { ...current.options, [key]: value } }, false);
    };
    const knobs = (entry.options as readonly CatalogOption[]).map((o) =>
      knobControl(o, knobValue(spec, o), n, setKnob),
    );
    const vector = onAVector(entry);
    const removeButton = button('Remove', () => remove(i), {
      'data-action': 'remove-racer',
      'aria-label': `Remove racer ${n}`,
      disabled: racers.length <= 1,
    });
    return h(
      'fieldset',
      { class: 'racer', 'data-racer': n },
      h(
        'legend',
        {},
        h('span', { class: 'swatch', style: `background:${RACER_COLORS[i]}` }),
        `Racer ${n}: ${entry.className}`,
      ),
      pick.element,
      h(
        'p',
        { class: 'help' },
        `${entry.whenToUse}.`,
        vector === null ? null : h('span', { class: 'note' }, ` ${vector}`),
      ),
      lr.element,
      knobs.length === 0
        ? null
        : h('details', { open: knobs.length <= OPEN_KNOBS }, h('summary', {}, `${entry.className}'s knobs`), ...knobs),
      h('div', { class: 'button-row' }, removeButton),
    );
  }

  return {
    element,
    racers: () => racers,
    set(next) {
      racers = next.slice(0, MAX_RACERS);
      render();
    },
    applyRates(surface, preset) {
      racers = racers.map((r) => ({ ...r, learningRate: learningRateFor(r, surface, preset) }));
      render();
    },
  };
}

/** One knob: a number input with the option's range (two for a pair), or a switch for a boolean, with its help. */
function knobControl(
  option: CatalogOption,
  value: KnobValue,
  n: number,
  set: (key: string, value: KnobValue) => void,
): HTMLElement {
  const name = `racer-${n}-${option.key}`;
  const help = h('small', { class: 'help' }, `${option.help}; ${describeOption(option)}.`);
  if (option.kind === 'boolean') {
    const field = checkboxField({
      label: option.key,
      name,
      checked: value === true,
      onChange: (checked) => set(option.key, checked),
    });
    field.input.setAttribute('role', 'switch');
    return h('div', { class: 'knob' }, field.element, help);
  }
  const range = option.range ?? {};
  const step = option.kind === 'integer' ? 1 : 'any';
  if (option.kind === 'numberPair') {
    const pair = value as readonly [number, number];
    const ends = (['low', 'high'] as const).map((end, k) =>
      numberField({
        label: `${option.key} ${end}`,
        name: `${name}-${end}`,
        value: pair[k] as number,
        min: range.min,
        max: range.max,
        step,
        onChange: () => set(option.key, [ends[0]?.value() ?? Number.NaN, ends[1]?.value() ?? Number.NaN]),
      }),
    );
    return h('div', { class: 'knob' }, h('div', { class: 'row' }, ...ends.map((e) => e.element)), help);
  }
  const field = numberField({
    label: option.key,
    name,
    value: value as number,
    min: range.min,
    max: range.max,
    step,
    onChange: (v) => set(option.key, v),
  });
  return h('div', { class: 'knob' }, field.element, help);
}
