/**
 * A resolved config back to the flags that make it: what `opt train` must be given to train exactly this config.
 * The experiments print it beside every row, and a run directory stores it as the command behind the run.
 */
import { KNOB_BY_KEY, type Knob, type KnobKey, type TrainConfig } from './knobs.js';
import { knobsDiffering } from './resolve.js';

/** A value as a flag's argument; numbers in JavaScript's shortest form that reads back to the same number. */
function argument(value: unknown): string {
  if (Array.isArray(value)) return value.map(argument).join(',');
  return String(value);
}

/**
 * One flag per knob that differs from the defaults of the config's optimizer and schedule (where the data is
 * read from is left out), but those in `except`: `['--optimizer', 'sgd', '--learning-rate', '1', '--batch-norm']`.
 */
export function flagsFor(config: TrainConfig, except: readonly KnobKey[] = []): string[] {
  const flags: string[] = [];
  for (const { key, value } of knobsDiffering(config)) {
    if (except.includes(key)) continue;
    const knob = KNOB_BY_KEY.get(key) as Knob;
    if (knob.arg === undefined) {
      // A switch: on is the flag, off (where the default is on) is --no-flag.
      flags.push(value === true ? `--${knob.flag}` : `--no-${knob.flag}`);
    } else flags.push(`--${knob.flag}`, argument(value));
  }
  return flags;
}

/** `opt train --optimizer sgd --out runs/x`, as a user would type it (arguments quoted only where needed). */
export function trainCommand(config: TrainConfig, extra: readonly string[] = []): string[] {
  return ['opt', 'train', ...flagsFor(config), ...extra];
}

/** An argument vector as one shell line. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}
