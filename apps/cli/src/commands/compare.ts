/**
 * `opt compare`: flags to a plan of configs (engine/plan.ts), trained in local worker processes and printed by
 * cli/local-plan.ts.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../cli/errors.js';
import { knobInput, withKnobs } from '../cli/knob-options.js';
import { runLocalPlan, workersOf } from '../cli/local-plan.js';
import { targetOf } from '../cli/numbers.js';
import { Output } from '../cli/output.js';
import { THREADS_HELP } from '../cli/threads.js';
import { readConfigFile } from '../config/files.js';
import { OPTIMIZER_ALIASES, OPTIMIZER_NAMES } from '../config/knobs.js';
import { EMPTY_INPUT, inputFromObject, mergeInputs } from '../config/resolve.js';
import { defaultWorkers } from '../engine/local-pool.js';
import { planFromFile, planFromLists } from '../engine/plan.js';
import { slug, stamp } from '../run/naming.js';

interface CompareFlags {
  optimizers?: string;
  learningRates?: string;
  seeds?: string;
  configs?: string;
  config?: string;
  workers?: string;
  threads?: string;
  out?: string;
  target?: string;
  note?: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ opt compare --optimizers sgd,momentum,rmsprop,adam --epochs 10
  $ opt compare --optimizers sgd,adam --learning-rates 0.1,0.01,0.001 --per-class 500
  $ opt compare --optimizers adam --seeds 1,2,3 --batch-norm
  $ opt compare --configs configs.yaml --workers 2   (a list of knob objects, or { base: {...}, configs: [...] }; "name" labels one)

Every config trains on the same data, split and seed unless it sets its own seed. The compare directory
(--out, default runs/<time>-compare-...) holds one run directory per config, compare.json and the overlay
charts; running the same compare into it again skips complete runs and resumes the others. Exit status: 0
when every config ran (complete or diverged), 1 when one failed, 130 after Ctrl-C.`;

export function registerCompareCommand(program: Command): void {
  const command = program
    .command('compare')
    .description(
      'Train several configs on the same data, split and seed in parallel worker processes; one table and one overlay chart per metric.',
    )
    .option(
      '--optimizers <names>',
      `optimizers to compare, comma-separated (${[...OPTIMIZER_NAMES, ...Object.keys(OPTIMIZER_ALIASES)].join(', ')})`,
    )
    .option('--learning-rates <lrs>', 'learning rates, comma-separated: crossed with --optimizers')
    .option('--seeds <seeds>', 'seeds, comma-separated: repeats of every config')
    .option('--configs <file>', 'a JSON or YAML file of configs instead of the lists')
    .option('--config <file>', 'base knobs for every config from a JSON or YAML file; flags override them')
    .option('--workers <n>', `parallel worker processes (default: one per core, ${defaultWorkers()} here)`)
    .option('--threads <n>', THREADS_HELP)
    .option('--target <accuracy>', 'validation accuracy for the "epochs and time to target" columns (default 0.85)')
    .option(
      '--out <dir>',
      'compare directory (default runs/<time>-compare-<configs>); an existing one with the same configs is continued',
    )
    .option('--note <text>', 'a note stored with every run')
    .option('--json', 'print one JSON object (the rows and where everything is) on stdout');
  withKnobs(command, EXAMPLES, compare);
}

async function compare(flags: CompareFlags, command: Command): Promise<number> {
  const out = new Output('compare', flags.json === true);
  const workers = workersOf(flags.workers);
  const target = targetOf(flags.target);
  const lists = flags.optimizers !== undefined || flags.learningRates !== undefined || flags.seeds !== undefined;
  if (lists && flags.configs !== undefined) {
    throw new UsageError(
      '--configs gives the configs itself: leave out --optimizers, --learning-rates and --seeds.',
      '--configs',
    );
  }
  const flagInput = knobInput(command);
  for (const [list, knob, flag, listFlag] of [
    ['optimizers', 'optimizer', '--optimizer', '--optimizers'],
    ['learningRates', 'learningRate', '--learning-rate', '--learning-rates'],
    ['seeds', 'seed', '--seed', '--seeds'],
  ] as const) {
    if (flags[list] !== undefined && flagInput.values[knob] !== undefined) {
      throw new UsageError(`${flag} and ${listFlag} both set it: give one.`, flag);
    }
  }
  const fileInput =
    flags.config !== undefined ? inputFromObject(readConfigFile(flags.config, '--config'), flags.config) : EMPTY_INPUT;
  const base = mergeInputs(fileInput, flagInput);
  const plan = flags.configs !== undefined ? planFromFile(base, flags.configs) : planFromLists(base, flags);
  const dir = flags.out ?? join('runs', `${stamp()}-compare-${slug(plan.map((p) => p.label).join(','))}`);
  for (const p of plan) for (const w of p.warnings) out.warn(`${p.label}: ${w}`);
  return runLocalPlan({
    out,
    plan,
    dir,
    workers,
    threads: flags.threads,
    target,
    note: flags.note ?? null,
    command: ['opt', ...process.argv.slice(2)],
    intro: (w) =>
      `training ${plan.length} config${plan.length === 1 ? '' : 's'} in up to ${w} worker process${w === 1 ? '' : 'es'} into ${dir}`,
    continueWith: `the same command and --out ${dir}`,
  });
}
