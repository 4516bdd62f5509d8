/**
 * The playground's surface and racers in the page's address, so that a line-up can be reloaded and shared:
 * `?surface=ravine&racer=sgd,lr=0.4&racer=lion,lr=0.3,beta1=0.95` (one `racer` per racer: the preset's name, its
 * learning rate, then the knobs that differ from the catalog's defaults; `true`/`false` for a switch, `low~high`
 * for a pair). Nothing is written while the page shows the defaults (the bowl and the chapter's five).
 */
import {
  CATALOG,
  type CatalogOption,
  catalogEntry,
  describeOption,
  type OptimizerName,
  optionAccepts,
} from '@opt/optimizers/catalog';
import { defaultRacers, entryOf, type KnobValue, learningRateFor, MAX_RACERS, type RacerSpec } from './racers.js';
import { SURFACE_IDS, type Surface, type SurfaceId } from './surfaces.js';

type Surfaces = Readonly<Record<SurfaceId, Pick<Surface, 'learningRates'>>>;

/** A knob's value as the address writes it. */
function formatValue(value: KnobValue): string {
  return Array.isArray(value) ? value.join('~') : String(value);
}

/** One racer as a `racer` value: `lion,lr=0.3,beta1=0.95` (knobs at the catalog's default left out). */
export function formatRacer(spec: RacerSpec): string {
  const options = entryOf(spec.optimizer).options as readonly CatalogOption[];
  const knobs = options
    .filter((o) => o.key in spec.options && formatValue(spec.options[o.key] as KnobValue) !== formatValue(o.default))
    .map((o) => `${o.key}=${formatValue(spec.options[o.key] as KnobValue)}`);
  return [spec.optimizer, `lr=${spec.learningRate}`, ...knobs].join(',');
}

/** A knob's value read from the address, by the option's kind and range, or why not. */
function parseValue(option: CatalogOption, text: string): KnobValue | string {
  const number = (t: string) => (t.trim() === '' ? Number.NaN : Number(t));
  let value: KnobValue;
  if (option.kind === 'boolean') {
    if (text !== 'true' && text !== 'false') return `${option.key} must be true or false, got "${text}"`;
    value = text === 'true';
  } else if (option.kind === 'numberPair') {
    const ends = text.split('~');
    if (ends.length !== 2) return `${option.key} must be two numbers written low~high, got "${text}"`;
    value = [number(ends[0] as string), number(ends[1] as string)];
  } else {
    value = number(text);
  }
  return optionAccepts(option, value) ? value : `${option.key} must be ${describeOption(option)}, got "${text}"`;
}

/** A `racer` value back to a racer on `surface` (its rate there when `lr` is left out), or why it cannot be. */
export function parseRacer(text: string, surface: Pick<Surface, 'learningRates'>): RacerSpec | string {
  const [name = '', ...pairs] = text.split(',');
  const entry = catalogEntry(name.trim());
  if (entry === undefined) {
    return `"${name}" is not an optimizer of the catalog; use one of ${CATALOG.map((e) => e.name).join(', ')}`;
  }
  const optimizer = entry.name as OptimizerName;
  const own = entry.options as readonly CatalogOption[];
  const options: Record<string, KnobValue> = {};
  let learningRate: number | null = null;
  for (const pair of pairs) {
    const [key = '', value] = pair.split('=');
    if (value === undefined) return `"${pair}" is not key=value`;
    if (key === 'lr') {
      learningRate = value.trim() === '' ? Number.NaN : Number(value);
      if (!(Number.isFinite(learningRate) && learningRate > 0)) return `lr must be a number > 0, got "${value}"`;
      continue;
    }
    const option = own.find((o) => o.key === key);
    if (option === undefined) {
      const knobs = ['lr', ...own.map((o) => o.key)].join(', ');
      return `${entry.className} has no knob "${key}"; its knobs are ${knobs}`;
    }
    const parsed = parseValue(option, value);
    if (typeof parsed === 'string') return parsed;
    options[key] = parsed;
  }
  return { optimizer, options, learningRate: learningRate ?? learningRateFor({ optimizer, options }, surface) };
}

/** The surface and racers an address asks for; a bad one is named in `error` and the defaults stand in for it. */
export function readRaceQuery(
  search: string,
  surfaces: Surfaces,
): { surface: SurfaceId; racers: RacerSpec[] | null; error: string | null } {
  const query = new URLSearchParams(search);
  const errors: string[] = [];
  let surface: SurfaceId = 'bowl';
  const askedSurface = query.get('surface');
  if (askedSurface !== null) {
    if ((SURFACE_IDS as readonly string[]).includes(askedSurface)) surface = askedSurface as SurfaceId;
    else errors.push(`?surface=${askedSurface} is not a surface; use one of ${SURFACE_IDS.join(', ')}.`);
  }
  const asked = query.getAll('racer');
  let racers: RacerSpec[] | null = null;
  if (asked.length > MAX_RACERS) {
    errors.push(`The address names ${asked.length} racers; the playground races at most ${MAX_RACERS}.`);
  } else if (asked.length > 0) {
    const parsed = asked.map((text) => parseRacer(text, surfaces[surface]));
    const bad = parsed.findIndex((p) => typeof p === 'string');
    if (bad === -1) racers = parsed as RacerSpec[];
    else errors.push(`?racer=${asked[bad]} (racer ${bad + 1}): ${parsed[bad]}.`);
  }
  if (racers === null && asked.length > 0) errors.push("Racing the chapter's five instead: fix the address.");
  return { surface, racers, error: errors.length === 0 ? null : errors.join(' ') };
}

/** `search` with the playground's surface and racers in it, or without them where they are the defaults. */
export function raceQuery(
  search: string,
  surface: SurfaceId,
  racers: readonly RacerSpec[],
  surfaces: Surfaces,
): string {
  const query = new URLSearchParams(search);
  query.delete('surface');
  query.delete('racer');
  if (surface !== 'bowl') query.set('surface', surface);
  const line = racers.map(formatRacer);
  if (line.join('&') !== defaultRacers(surfaces[surface]).map(formatRacer).join('&')) {
    for (const racer of line) query.append('racer', racer);
  }
  // `,` `=` `~` `:` are safe in a query: kept readable instead of URLSearchParams's %2C and %3D.
  const text = query.toString().replace(/%2C/g, ',').replace(/%3D/g, '=').replace(/%7E/g, '~');
  return text === '' ? '' : `?${text}`;
}

/** Writes the playground's state into the address (no reload, no history entry). */
export function writeRaceQuery(surface: SurfaceId, racers: readonly RacerSpec[], surfaces: Surfaces): void {
  const search = raceQuery(location.search, surface, racers, surfaces);
  if (search !== location.search)
    history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
}
