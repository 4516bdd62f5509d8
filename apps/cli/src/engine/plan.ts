/**
 * What a compare trains: the configs from lists of flags (--optimizers x --learning-rates x --seeds) or from
 * a JSON/YAML file, each over the same base knobs, resolved and checked before anything runs. Every entry
 * uses the same data and split; only the knobs being compared (and seeds, for repeats) differ.
 */
import { UsageError } from '../cli/errors.js';
import { readConfigFile } from '../config/files.js';
import { KNOB_BY_KEY, type Knob, type KnobKey, KnobValueError, type TrainConfig } from '../config/knobs.js';
import {
  type ConfigInput,
  describeKnobs,
  inputFromObject,
  mergeInputs,
  type Resolved,
  resolveConfig,
  sameValue,
} from '../config/resolve.js';

export interface PlannedEntry {
  readonly label: string;
  readonly config: TrainConfig;
  readonly warnings: string[];
  /** The command line stored with this entry's run (default: the compare's own). */
  readonly command?: readonly string[];
}

/** Knobs every entry of a compare must share: the data and the split. */
const SHARED: readonly KnobKey[] = ['perClass', 'validationSplit', 'dataDir', 'download'];

/** `--optimizers sgd,adam` through the knob's own check, naming the list flag. */
function listOf(flag: string, text: string, key: KnobKey): unknown[] {
  const knob = KNOB_BY_KEY.get(key) as Knob;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new UsageError(`${flag} must be a comma-separated list such as ${example(key)}, got "${text}".`, flag, text);
  return parts.map((part) => {
    try {
      return knob.parse(part);
    } catch (error) {
      if (error instanceof KnobValueError)
        throw new UsageError(`${flag}: each item ${error.message} (in "${text}").`, flag, text);
      throw error;
    }
  });
}

function example(key: KnobKey): string {
  return key === 'optimizer' ? 'sgd,momentum,rmsprop,adam' : key === 'learningRate' ? '0.1,0.01,0.001' : '1,2,3';
}

function resolveEntry(input: ConfigInput, where: string): Resolved {
  try {
    return resolveConfig(input);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${where}: ${error.message}`, error.option, error.value);
    throw error;
  }
}

export interface ListFlags {
  optimizers?: string;
  learningRates?: string;
  seeds?: string;
}

/** The grid of the list flags over the base knobs, in the order given (optimizer, then rate, then seed). */
export function planFromLists(base: ConfigInput, flags: ListFlags): PlannedEntry[] {
  const optimizers =
    flags.optimizers !== undefined ? (listOf('--optimizers', flags.optimizers, 'optimizer') as string[]) : [undefined];
  const rates =
    flags.learningRates !== undefined
      ? (listOf('--learning-rates', flags.learningRates, 'learningRate') as number[])
      : [undefined];
  const seeds = flags.seeds !== undefined ? (listOf('--seeds', flags.seeds, 'seed') as number[]) : [undefined];
  const entries: PlannedEntry[] = [];
  for (const optimizer of optimizers) {
    for (const learningRate of rates) {
      for (const seed of seeds) {
        const values: Partial<Record<KnobKey, unknown>> = {};
        const names: Partial<Record<KnobKey, string>> = {};
        if (optimizer !== undefined) [values.optimizer, names.optimizer] = [optimizer, '--optimizers'];
        if (learningRate !== undefined) [values.learningRate, names.learningRate] = [learningRate, '--learning-rates'];
        if (seed !== undefined) [values.seed, names.seed] = [seed, '--seeds'];
        const label = [
          optimizer ?? '',
          learningRate !== undefined ? `lr=${learningRate}` : '',
          seed !== undefined ? `seed=${seed}` : '',
        ]
          .filter((s) => s !== '')
          .join(' ');
        const { config, warnings } = resolveEntry(mergeInputs(base, { values, names }), label);
        entries.push({ label, config, warnings });
      }
    }
  }
  return checkPlan(entries);
}

/** Entries from a JSON/YAML file: a list of knob objects, or `{ base: {...}, configs: [...] }`; `name` labels an entry. */
export function planFromFile(base: ConfigInput, file: string): PlannedEntry[] {
  return planFromContent(base, readConfigFile(file, '--configs'), { where: `--configs ${file}`, source: file });
}

/**
 * Entries from the content of a configs file (or the same shape built in code): a list of knob objects, or
 * `{ base: {...}, configs: [...] }`. Messages start with `where` (`--configs FILE`) and name an entry's fields
 * from `source` (`FILE: entry 2: learningRate`).
 */
export function planFromContent(
  base: ConfigInput,
  content: unknown,
  names: { where: string; source: string },
): PlannedEntry[] {
  const { where, source } = names;
  let fileBase: ConfigInput = { values: {}, names: {} };
  let list: unknown = content;
  if (content !== null && typeof content === 'object' && !Array.isArray(content)) {
    const { base: b, configs, ...rest } = content as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0 || configs === undefined) {
      throw new UsageError(
        `${where}: expected a list of configs, or an object with "configs" (a list) and optionally "base"${extra.length > 0 ? `; unknown field "${extra[0]}"` : ''}.`,
        '--configs',
        source,
      );
    }
    if (b !== undefined) fileBase = inputFromObject(b, `${source}: base`);
    list = configs;
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new UsageError(
      `${where}: expected a non-empty list of configs such as [{ "optimizer": "sgd" }, { "optimizer": "adam" }].`,
      '--configs',
      source,
    );
  }
  const resolved = list.map((entry, i) => {
    const at = `${source}: entry ${i + 1}`;
    const input = inputFromObject(entry, at, ['name']);
    const name = (entry as { name?: unknown }).name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
      throw new UsageError(`${at}: name must be a non-empty string, got ${JSON.stringify(name)}.`, 'name', name);
    }
    // Unnamed entries are labelled by what the entry itself sets, as written.
    const own = [...KNOB_BY_KEY.keys()]
      .filter((k) => input.values[k] !== undefined)
      .map((k) => ({ key: k, value: input.values[k] }));
    const label = (name as string | undefined) ?? (own.length > 0 ? describeKnobs(own) : `config ${i + 1}`);
    return { label, ...resolveEntry(mergeInputs(mergeInputs(base, fileBase), input), at) };
  });
  return checkPlan(resolved.map((r) => ({ label: r.label, config: r.config, warnings: r.warnings })));
}

/** Refuses an empty plan, entries that differ in their data or split, and labels used twice. */
export function checkPlan(entries: PlannedEntry[]): PlannedEntry[] {
  const first = entries[0];
  if (first === undefined)
    throw new UsageError('nothing to compare: give --optimizers, --learning-rates, --seeds or --configs FILE.');
  for (const key of SHARED) {
    const other = entries.find((e) => !sameValue(e.config[key], first.config[key]));
    if (other !== undefined) {
      throw new UsageError(
        `${other.label}: ${key} differs from ${first.label}'s (${JSON.stringify(other.config[key])} vs ${JSON.stringify(first.config[key])}); a compare trains every config on the same data and split, so set --${KNOB_BY_KEY.get(key)?.flag} once for all.`,
        key,
      );
    }
  }
  const seen = new Map<string, string>();
  for (const e of entries) {
    const again = seen.get(e.label);
    if (again !== undefined)
      throw new UsageError(`two configs have the label "${e.label}": give each a distinct name.`, 'name', e.label);
    seen.set(e.label, e.label);
  }
  return entries;
}
