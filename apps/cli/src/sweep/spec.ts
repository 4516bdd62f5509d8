/**
 * A sweep file (JSON or YAML): a base config, a grid and/or a list of variations, and seeds, expanded into
 * trials. Every trial is resolved and checked here, before anything runs or is enqueued, and each message names
 * the field and the value.
 *
 *   name: lr-grid                        # optional: names the sweep (default: the file's name)
 *   base: { perClass: 500, epochs: 5 }   # knobs every trial shares (the camelCase fields of --config files)
 *   variations:                          # knob sets, each crossed with the grid; "name" labels one
 *     - { name: sgd, optimizer: sgd }
 *     - { optimizer: adam }
 *   grid:                                # every combination of these values
 *     learningRate: [0.1, 0.01]
 *   seeds: [1, 2, 3]                     # each trial once per seed
 *
 * The trials are variations x grid points x seeds, in that order; a knob is set by at most one of a
 * variation, the grid and the seeds (each over the base). A sweep is a compare of its trials, so every trial
 * trains on the same data and split, and its table and charts are compare's.
 */
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { UsageError } from '../cli/errors.js';
import { readConfigFile } from '../config/files.js';
import { KNOB_BY_KEY, type Knob, type KnobKey, KnobValueError } from '../config/knobs.js';
import {
  type ConfigInput,
  configId,
  describeKnobs,
  EMPTY_INPUT,
  inputFromObject,
  mergeInputs,
  resolveConfig,
  suggestKnob,
} from '../config/resolve.js';
import { checkPlan, type PlannedEntry } from '../engine/plan.js';

export const SWEEP_FORMAT = 'opt.sweep.v1';

export interface Trial extends PlannedEntry {
  /** The queue's job id: `trial-<configId>`, the same for the same config on every machine. */
  readonly jobId: string;
}

export interface Sweep {
  readonly format: typeof SWEEP_FORMAT;
  /** Stable id of the sweep: its name and its trials' labels and job ids. */
  readonly id: string;
  readonly name: string;
  /** The file it was read from, as given. */
  readonly file: string;
  readonly trials: readonly Trial[];
}

const FIELDS = ['name', 'base', 'grid', 'variations', 'seeds'] as const;

/** `trial-<configId>`: BullMQ refuses job ids that are plain integers, which 16 hex digits can be. */
export const jobIdOf = (config: PlannedEntry['config']): string => `trial-${configId(config)}`;

const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value));

function knobNamed(file: string, where: string, key: string): Knob {
  const knob = KNOB_BY_KEY.get(key as KnobKey);
  if (knob !== undefined) return knob;
  const near = suggestKnob(key);
  throw new UsageError(
    `${file}: ${where}: unknown field "${key}"${near !== undefined ? ` (did you mean "${near.key}"?)` : ''}; the fields are the knobs listed by \`opt train --help\` in camelCase, e.g. learningRate.`,
    `${where}.${key}`,
    key,
  );
}

/** One value through its knob's check, the message naming where it was (`grid.learningRate value 2`). */
function checked(file: string, knob: Knob, where: string, value: unknown): unknown {
  try {
    return knob.check(value);
  } catch (error) {
    if (error instanceof KnobValueError) throw new UsageError(`${file}: ${where} ${error.message}.`, where, value);
    throw error;
  }
}

function nonEmptyList(file: string, where: string, value: unknown, example: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new UsageError(
      `${file}: ${where} must be a non-empty list such as ${example}, got ${show(value)}.`,
      where,
      value,
    );
  return value;
}

interface Part {
  readonly label: string;
  readonly input: ConfigInput;
  /** Where it came from, for conflicts: `variation 2`, `grid`, `seeds`. */
  readonly source: string;
}

function variationsOf(file: string, value: unknown): Part[] {
  const list = nonEmptyList(file, 'variations', value, '[{ "optimizer": "sgd" }, { "optimizer": "adam" }]');
  return list.map((entry, i) => {
    const where = `variation ${i + 1}`;
    const input = inputFromObject(entry, `${file}: ${where}`, ['name']);
    const name = (entry as { name?: unknown }).name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === ''))
      throw new UsageError(`${file}: ${where}: name must be a non-empty string, got ${show(name)}.`, 'name', name);
    const own = [...KNOB_BY_KEY.keys()]
      .filter((k) => input.values[k] !== undefined)
      .map((key) => ({ key, value: input.values[key] }));
    const label = (name as string | undefined) ?? (own.length > 0 ? describeKnobs(own) : where);
    return { label, input, source: where };
  });
}

/** The grid's points, first field slowest (as nested loops in the order written). */
function gridOf(file: string, value: unknown): Part[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
    throw new UsageError(
      `${file}: grid must be an object of lists such as { "learningRate": [0.1, 0.01] }, got ${show(value)}.`,
      'grid',
      value,
    );
  }
  let points: Array<Array<{ key: KnobKey; value: unknown }>> = [[]];
  for (const [key, list] of Object.entries(value)) {
    const knob = knobNamed(file, 'grid', key);
    const values = nonEmptyList(
      file,
      `grid.${key}`,
      list,
      `[${knob.key === 'learningRate' ? '0.1, 0.01' : '...'}]`,
    ).map((v, i) => checked(file, knob, `grid.${key} value ${i + 1}`, v));
    points = points.flatMap((p) => values.map((v) => [...p, { key: knob.key, value: v }]));
  }
  return points.map((point) => ({
    label: describeKnobs(point),
    input: {
      values: Object.fromEntries(point.map((p) => [p.key, p.value])),
      names: Object.fromEntries(point.map((p) => [p.key, `${file}: grid.${p.key}`])),
    },
    source: 'grid',
  }));
}

function seedsOf(file: string, value: unknown): Part[] {
  const knob = KNOB_BY_KEY.get('seed') as Knob;
  return nonEmptyList(file, 'seeds', value, '[1, 2, 3]').map((v, i) => {
    const seed = checked(file, knob, `seeds value ${i + 1}`, v);
    return { label: `seed=${seed}`, input: { values: { seed }, names: { seed: `${file}: seeds` } }, source: 'seeds' };
  });
}

/** Refuses a knob set in two of the parts of one trial (a variation and the grid, say). */
function checkDisjoint(file: string, parts: readonly Part[]): void {
  const seen = new Map<string, string>();
  for (const part of parts) {
    for (const key of Object.keys(part.input.values)) {
      const other = seen.get(key);
      if (other !== undefined && other !== part.source)
        throw new UsageError(
          `${file}: ${key} is set by ${other} and by ${part.source}; set it in one place (the base holds what every trial shares).`,
          key,
        );
      seen.set(key, part.source);
    }
  }
}

/** The trials of a sweep file, each resolved and checked; nothing is enqueued or trained here. */
export function readSweep(file: string): Sweep {
  const content = readConfigFile(file, 'SPEC');
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new UsageError(
      `${file}: a sweep file is an object with base, grid, variations and seeds (e.g. { "base": { "epochs": 5 }, "grid": { "learningRate": [0.1, 0.01] } }), got ${show(content)}.`,
      'SPEC',
      file,
    );
  }
  const spec = content as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!(FIELDS as readonly string[]).includes(key))
      throw new UsageError(
        `${file}: unknown field "${key}"; a sweep file has ${FIELDS.slice(0, -1).join(', ')} and ${FIELDS.at(-1)}.`,
        key,
      );
  }
  if (spec.grid === undefined && spec.variations === undefined && spec.seeds === undefined)
    throw new UsageError(`${file}: nothing to sweep: give grid, variations or seeds (or several).`, 'grid');
  const name = spec.name ?? basename(file, extname(file));
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._=,-]{0,63}$/.test(name))
    throw new UsageError(
      `${file}: name must be up to 64 letters, digits and . _ = , - (it names the sweep's directory), got ${show(name)}.`,
      'name',
      name,
    );
  const base = spec.base === undefined ? EMPTY_INPUT : inputFromObject(spec.base, `${file}: base`);
  const none: Part[] = [{ label: '', input: EMPTY_INPUT, source: '' }];
  const variations = spec.variations === undefined ? none : variationsOf(file, spec.variations);
  const grid = spec.grid === undefined ? none : gridOf(file, spec.grid);
  const seeds = spec.seeds === undefined ? none : seedsOf(file, spec.seeds);

  const entries: Trial[] = [];
  for (const variation of variations) {
    for (const point of grid) {
      for (const seed of seeds) {
        const parts = [variation, point, seed];
        checkDisjoint(file, parts);
        const label = parts
          .map((p) => p.label)
          .filter((l) => l !== '')
          .join(' ');
        const input = parts.reduce((acc, p) => mergeInputs(acc, p.input), base);
        let resolved: ReturnType<typeof resolveConfig>;
        try {
          resolved = resolveConfig(input);
        } catch (error) {
          if (error instanceof UsageError)
            throw new UsageError(`trial "${label}": ${error.message}`, error.option, error.value);
          throw error;
        }
        entries.push({ label, config: resolved.config, warnings: resolved.warnings, jobId: jobIdOf(resolved.config) });
      }
    }
  }
  checkPlan(entries);
  const byJob = new Map<string, string>();
  for (const t of entries) {
    const other = byJob.get(t.jobId);
    if (other !== undefined)
      throw new UsageError(
        `${file}: trials "${other}" and "${t.label}" train the same config; remove one (a sweep runs each config once).`,
        'variations',
        t.label,
      );
    byJob.set(t.jobId, t.label);
  }
  const id = createHash('sha256')
    .update(JSON.stringify([name, entries.map((t) => [t.label, t.jobId])]))
    .digest('hex')
    .slice(0, 12);
  return { format: SWEEP_FORMAT, id, name, file, trials: entries };
}
