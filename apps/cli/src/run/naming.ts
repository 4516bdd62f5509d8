/** How default run, compare and lr-find directories are named: the local time, then what the run is. */
import { join } from 'node:path';
import type { TrainConfig } from '../config/knobs.js';
import { formatKnobValue, knobsDiffering } from '../config/resolve.js';
import { RunDir } from './run-dir.js';

/** `20261201-101500`: the local time a default directory is named by, so `ls` lists runs in order. */
export function stamp(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/** A label as a file name: characters a shell or another file system would trip on become `_`. */
export function slug(text: string, max = 60): string {
  return text.replace(/[^A-Za-z0-9=.,_-]+/g, '_').slice(0, max);
}

/** `<root>/<stamp>-<what>`, with `-2`, `-3`, ... where that directory exists already. */
export function timestampedDir(root: string, what: string, now = new Date(), max = 80): string {
  const base = `${stamp(now)}-${slug(what, max)}`;
  let dir = join(root, base);
  for (let i = 2; new RunDir(dir).exists(); i++) dir = join(root, `${base}-${i}`);
  return dir;
}

/** `optimizer=sgd,momentum=0.9`: the knobs that differ from the defaults, as a run is told apart from others. */
export function knobsLabel(config: TrainConfig): string {
  return knobsDiffering(config)
    .map((k) => `${k.key}=${formatKnobValue(k.value)}`)
    .join(',');
}

/** `runs/20261201-101530-optimizer=sgd,momentum=0.9`: when, and which knobs differ from the defaults. */
export function defaultRunDir(config: TrainConfig, root = 'runs', now = new Date()): string {
  return timestampedDir(root, knobsLabel(config) || 'defaults', now);
}
