/**
 * The playground's racers: which optimizer of @opt/optimizers' catalog each one runs, with its own knobs and learning
 * rate. Plain data from `@opt/optimizers/catalog` (no TensorFlow.js, no DOM): the picker, the race and the URL read it.
 */
import {
  CATALOG,
  type CatalogEntry,
  type CatalogOption,
  catalogEntry,
  type OptimizerName,
} from '@opt/optimizers/catalog';
import type { LearningRates, Surface } from './surfaces.js';

/** A knob's value, by the catalog's kinds: number or integer, boolean, or a `[low, high]` pair. */
export type KnobValue = number | boolean | readonly [number, number];

/** One racer: a catalog preset, its learning rate and the options it sets (the others take the catalog's default). */
export interface RacerSpec {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly options: Readonly<Record<string, KnobValue>>;
}

/** Six paths are still told apart on the plot, and six optimizers step in about the time five did. */
export const MAX_RACERS = 6;

/** Observable Plot's categorical colours, one per racer slot (today's five first). */
export const RACER_COLORS = ['#4269d0', '#efb118', '#ff725c', '#3ca951', '#a463f2', '#9c6b4e'] as const;

/** The chapter's five: SGD, momentum, Nesterov, RMSprop, Adam, each with its own learning-rate presets per surface. */
export type ClassicId = keyof LearningRates;

export const CLASSICS: ReadonlyArray<{
  readonly id: ClassicId;
  readonly label: string;
  readonly optimizer: OptimizerName;
  readonly options: Readonly<Record<string, KnobValue>>;
}> = [
  { id: 'sgd', label: 'SGD', optimizer: 'sgd', options: {} },
  { id: 'momentum', label: 'SGD + momentum', optimizer: 'sgd', options: { momentum: 0.9 } },
  { id: 'nesterov', label: 'Nesterov', optimizer: 'sgd', options: { momentum: 0.9, nesterov: true } },
  { id: 'rmsprop', label: 'RMSprop', optimizer: 'rmsprop', options: {} },
  { id: 'adam', label: 'Adam', optimizer: 'adam', options: {} },
];

export type RatePreset = 'tuned' | 'tooHigh' | 'tooLow';

/** The catalog entry of a racer (its name comes from the catalog or was checked against it). */
export function entryOf(optimizer: OptimizerName): CatalogEntry {
  return catalogEntry(optimizer) as CatalogEntry;
}

/** A racer's value of `option`: what it sets, else the catalog's default. */
export function knobValue(spec: Pick<RacerSpec, 'options'>, option: CatalogOption): KnobValue {
  return spec.options[option.key] ?? option.default;
}

/**
 * Which of the chapter's five a racer is, from its knobs: SGD without momentum is `sgd`, with momentum `momentum`,
 * with Nesterov `nesterov`; RMSprop and Adam are themselves whatever their knobs. Null for every other preset.
 */
export function classicOf(spec: Pick<RacerSpec, 'optimizer' | 'options'>): ClassicId | null {
  if (spec.optimizer === 'rmsprop' || spec.optimizer === 'adam') return spec.optimizer;
  if (spec.optimizer !== 'sgd') return null;
  const momentum = spec.options.momentum ?? 0;
  if (momentum === 0) return 'sgd';
  return spec.options.nesterov === true ? 'nesterov' : 'momentum';
}

/**
 * The learning rate a racer starts with on `surface`: a classic's own preset there; any other preset's catalog
 * default times the surface's scale, the ratio of Adam's preset there to Adam's catalog default:
 * `lr = lrCatalog · lrSurface(adam) / lrCatalog(adam)` (Keras's defaults are sized for network weights, not for
 * points a few units from their minimum).
 */
export function learningRateFor(
  spec: Pick<RacerSpec, 'optimizer' | 'options'>,
  surface: Pick<Surface, 'learningRates'>,
  preset: RatePreset = 'tuned',
): number {
  const rates = surface.learningRates[preset];
  const classic = classicOf(spec);
  if (classic !== null) return rates[classic];
  // 12 significant digits: 0.001 x 300 is 0.30000000000000004 in floats, shown to the user as typed.
  return Number(((entryOf(spec.optimizer).learningRate * rates.adam) / entryOf('adam').learningRate).toPrecision(12));
}

/** The chapter's five with their tuned rates on `surface`: the default line-up. */
export function defaultRacers(surface: Pick<Surface, 'learningRates'>): RacerSpec[] {
  return CLASSICS.map((c) => ({
    optimizer: c.optimizer,
    options: c.options,
    learningRate: surface.learningRates.tuned[c.id],
  }));
}

/** A racer for a newly picked preset: the catalog's defaults and the surface's rate for it. */
export function newRacer(optimizer: OptimizerName, surface: Pick<Surface, 'learningRates'>): RacerSpec {
  return { optimizer, options: {}, learningRate: learningRateFor({ optimizer, options: {} }, surface) };
}

/** The preset an added racer gets: the first of the catalog not racing yet. */
export function nextOptimizer(racing: readonly RacerSpec[]): OptimizerName {
  const used = new Set(racing.map((r) => r.optimizer));
  return (CATALOG.find((e) => !used.has(e.name))?.name ?? 'adam') as OptimizerName;
}

/** Each racer's id (the legend's `data-optimizer`) and label: a classic's, else the preset's; repeats numbered. */
export function racerNames(racers: readonly Pick<RacerSpec, 'optimizer' | 'options'>[]): Array<{
  readonly id: string;
  readonly label: string;
}> {
  const seen = new Map<string, number>();
  return racers.map((spec) => {
    const classic = classicOf(spec);
    const id = classic ?? spec.optimizer;
    const label = CLASSICS.find((c) => c.id === classic)?.label ?? entryOf(spec.optimizer).className;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? { id, label } : { id: `${id}-${n}`, label: `${label} (${n})` };
  });
}

/**
 * What the catalog says a preset does with a vector of weights, where its formula or slots split on the rank (the
 * race's point is one vector of 2 weights), or null: Muon's "others: AdamW at lr adamLrRatio", Adafactor's "vectors: 1
 * (velocity)".
 */
export function onAVector(entry: CatalogEntry): string | null {
  const clauses = [entry.formula, entry.slots].flatMap((text) => text.split(';').map((c) => c.trim()));
  const matrix = clauses.find((c) => /^(2-D|rank ≥ 2):/.test(c));
  const vector = clauses.find((c) => /^(others|vectors):/.test(c));
  if (matrix === undefined || vector === undefined) return null;
  return (
    `${entry.className} treats matrices apart: the race's point is one vector of 2 weights, so it takes the ` +
    `catalog's "${vector}", not "${matrix}".`
  );
}
