/**
 * `opt compare`: several configs on the same data, split and seed, trained in parallel worker processes,
 * summarized in one table and one overlay chart per metric. Each config is a full run directory inside the
 * compare directory; running the same compare into the same directory again skips the complete runs and
 * resumes the others.
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { EXIT, UsageError } from '../cli/errors.js';
import { addKnobOptions, knobInput } from '../cli/knob-options.js';
import { Output } from '../cli/output.js';
import { EXIT_FOR, stopOnSignals } from '../cli/signals.js';
import { type PlannedEntry, planFromFile, planFromLists } from '../compare/plan.js';
import { defaultWorkers, runJobs } from '../compare/pool.js';
import type { Job, JobOutcome } from '../compare/worker.js';
import { readConfigFile } from '../config/files.js';
import { EMPTY_INPUT, inputFromObject, mergeInputs, sameValue } from '../config/resolve.js';
import { finite, writeChart } from '../run/charts.js';
import { RunDir, writeAtomic } from '../run/run-dir.js';
import { type RunSummary, summarize } from '../run/summary.js';
import type { RunResult } from '../run/train-run.js';
import { fixed, percent, seconds } from '../ui/format.js';
import { table } from '../ui/table.js';

interface CompareFlags {
  optimizers?: string;
  learningRates?: string;
  seeds?: string;
  configs?: string;
  config?: string;
  workers?: string;
  out?: string;
  target?: string;
  note?: string;
  json?: boolean;
}

export const COMPARE_FORMAT = 'opt.compare.v1';

export interface CompareRow {
  label: string;
  runDir: string;
  status: string;
  error: string | null;
  bestValAccuracy: number | null;
  bestEpoch: number | null;
  finalValAccuracy: number | null;
  testAccuracy: number | null;
  epochsToTarget: number | null;
  secondsToTarget: number | null;
  stepsPerSecond: number | null;
  trainSeconds: number;
  epochs: number;
}

interface CompareFile {
  format: typeof COMPARE_FORMAT;
  createdAt: string;
  command: string[];
  note: string | null;
  target: number;
  entries: Array<{ label: string; runDir: string; config: PlannedEntry['config'] }>;
  rows?: CompareRow[];
  wallSeconds?: number;
  workers?: number;
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

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9=.,_-]+/g, '_').slice(0, 60);
}

function stamp(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer, got "${text}".`, flag, text);
  return n;
}

function fraction(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n > 0 && n <= 1))
    throw new UsageError(`${flag} must be an accuracy in (0, 1], e.g. 0.85, got "${text}".`, flag, text);
  return n;
}

/** The first epoch whose validation accuracy reaches `target`, and the training seconds until then. */
function toTarget(summary: RunSummary | null, target: number): { epochs: number | null; seconds: number | null } {
  let elapsed = 0;
  for (const e of summary?.history?.epochs ?? []) {
    elapsed += e.seconds;
    if (e.val_accuracy >= target) return { epochs: e.epoch, seconds: elapsed };
  }
  return { epochs: null, seconds: null };
}

export function registerCompareCommand(program: Command): void {
  const command = program
    .command('compare')
    .description(
      'Train several configs on the same data, split and seed in parallel worker processes; one table and one overlay chart per metric.',
    )
    .option(
      '--optimizers <names>',
      'optimizers to compare, comma-separated (sgd, momentum, nesterov, rmsprop, adam, adamw, adagrad, adamax, nadam)',
    )
    .option('--learning-rates <lrs>', 'learning rates, comma-separated: crossed with --optimizers')
    .option('--seeds <seeds>', 'seeds, comma-separated: repeats of every config')
    .option('--configs <file>', 'a JSON or YAML file of configs instead of the lists')
    .option('--config <file>', 'base knobs for every config from a JSON or YAML file; flags override them')
    .option('--workers <n>', `parallel worker processes (default: one per core, ${defaultWorkers()} here)`)
    .option('--target <accuracy>', 'validation accuracy for the "epochs and time to target" columns (default 0.85)')
    .option(
      '--out <dir>',
      'compare directory (default runs/<time>-compare-<configs>); an existing one with the same configs is continued',
    )
    .option('--note <text>', 'a note stored with every run')
    .option('--json', 'print one JSON object (the rows and where everything is) on stdout');
  addKnobOptions(command);
  command.addHelpText('after', EXAMPLES);
  command.action(async (flags: CompareFlags, cmd: Command) => {
    process.exitCode = await compare(flags, cmd);
  });
}

async function compare(flags: CompareFlags, command: Command): Promise<number> {
  const out = new Output('compare', flags.json === true);
  const workers = flags.workers !== undefined ? positiveInteger('--workers', flags.workers) : defaultWorkers();
  const target = flags.target !== undefined ? fraction('--target', flags.target) : 0.85;
  const lists = flags.optimizers !== undefined || flags.learningRates !== undefined || flags.seeds !== undefined;
  if (lists && flags.configs !== undefined)
    throw new UsageError(
      '--configs gives the configs itself: leave out --optimizers, --learning-rates and --seeds.',
      '--configs',
    );
  const flagInput = knobInput(command);
  for (const [list, knob] of [
    ['optimizers', 'optimizer'],
    ['learningRates', 'learningRate'],
    ['seeds', 'seed'],
  ] as const) {
    if (flags[list] !== undefined && flagInput.values[knob] !== undefined) {
      throw new UsageError(
        `--${knob === 'learningRate' ? 'learning-rate' : knob} and --${list === 'learningRates' ? 'learning-rates' : list} both set it: give one.`,
        `--${knob}`,
      );
    }
  }
  const base = mergeInputs(
    flags.config !== undefined ? inputFromObject(readConfigFile(flags.config, '--config'), flags.config) : EMPTY_INPUT,
    flagInput,
  );
  const plan = flags.configs !== undefined ? planFromFile(base, flags.configs) : planFromLists(base, flags);

  const dir = flags.out ?? join('runs', `${stamp()}-compare-${slug(plan.map((p) => p.label).join(','))}`);
  const compareFile = join(dir, 'compare.json');
  const entries = plan.map((p, i) => ({
    label: p.label,
    runDir: `${String(i + 1).padStart(2, '0')}-${slug(p.label)}`,
    config: p.config,
  }));
  const previous = new RunDir(dir).readJson<CompareFile>('compare.json');
  if (previous !== null && !sameValue(previous.entries, entries)) {
    throw new UsageError(`--out ${dir} holds another compare (other configs); choose another --out.`, '--out', dir);
  }
  if (previous === null && new RunDir(dir).exists() && new RunDir(dir).isRun()) {
    throw new UsageError(
      `--out ${dir} is a run directory, not a compare directory; choose another --out.`,
      '--out',
      dir,
    );
  }
  const record: CompareFile = previous ?? {
    format: COMPARE_FORMAT,
    createdAt: new Date().toISOString(),
    command: ['opt', ...process.argv.slice(2)],
    note: flags.note ?? null,
    target,
    entries,
  };
  await writeAtomic(compareFile, `${JSON.stringify({ ...record, target }, null, 2)}\n`);
  for (const p of plan) for (const w of p.warnings) out.warn(`${p.label}: ${w}`);

  // Complete (or diverged) runs are kept; the others are resumed, or started afresh.
  const outcomes: Array<JobOutcome | null> = [];
  const jobs: Array<{ index: number; job: Job }> = [];
  entries.forEach((entry, index) => {
    const runDir = join(dir, entry.runDir);
    const run = new RunDir(runDir);
    const state = run.status()?.state;
    if (run.isRun() && (state === 'complete' || state === 'diverged')) {
      const result = run.readJson<RunResult>('result.json');
      outcomes[index] = result !== null ? { ok: true, result } : null;
      if (result !== null) {
        out.note(`[${entry.label}] already ${state} in ${relative(process.cwd(), run.path)}`);
        return;
      }
    }
    if (!run.isRun()) rmSync(run.path, { recursive: true, force: true }); // a start that never wrote its config
    outcomes[index] = null;
    jobs.push({
      index,
      job: {
        label: entry.label,
        config: entry.config,
        runDir: run.path,
        resume: run.isRun(),
        note: record.note,
        command: record.command,
        warnings: plan[index]?.warnings ?? [],
      },
    });
  });

  const started = performance.now();
  const stop = stopOnSignals((line) => out.note(line));
  const pids = new Set<number>();
  stop.watch([dir]);
  stop.onForcedExit(() => {
    // Each worker already has the stop request: a second signal makes it quit at once, cleaning up after itself.
    for (const pid of pids) {
      try {
        process.kill(pid, stop.received() ?? 'SIGINT');
      } catch {
        // gone already
      }
    }
  });
  const width = Math.max(...entries.map((e) => e.label.length));
  const tag = (label: string) => `[${label.padEnd(width)}]`;
  if (jobs.length > 0)
    out.note(
      `training ${jobs.length} config${jobs.length === 1 ? '' : 's'} in ${Math.min(workers, jobs.length)} worker process${Math.min(workers, jobs.length) === 1 ? '' : 'es'} into ${dir}`,
    );
  let ran: JobOutcome[] = [];
  try {
    ran = await runJobs(
      jobs.map((j) => j.job),
      {
        workers,
        pids,
        signal: stop.signal,
        onEvent: (i, event) => {
          const label = jobs[i]?.job.label ?? '?';
          if (event.type === 'epochEnd') {
            const e = event.entry;
            out.note(
              `${tag(label)} epoch ${e.epoch}/${event.epochs}: loss ${fixed(e.loss)} val_loss ${fixed(e.val_loss)} val_accuracy ${fixed(e.val_accuracy)} (${e.seconds.toFixed(1)} s)`,
            );
          } else if (event.type === 'advice') out.note(`${tag(label)} advice: ${event.advice.message}`);
          else if (event.type === 'note') out.note(`${tag(label)} ${event.message}`);
          else if (event.type === 'start' && (event.initialEpoch > 0 || event.resumedAtStep > 0)) {
            out.note(`${tag(label)} resuming at epoch ${event.initialEpoch + 1}, step ${event.resumedAtStep + 1}`);
          }
        },
        onEnd: (i, outcome) => {
          const label = jobs[i]?.job.label ?? '?';
          if (!outcome.ok)
            out.note(
              `${tag(label)} ${outcome.error.kind === 'not started' ? 'not started' : 'failed'}: ${outcome.error.message}`,
            );
          else if (outcome.result.status !== 'interrupted')
            out.note(`${tag(label)} ${outcome.result.status}: test accuracy ${fixed(outcome.result.test?.accuracy)}`);
        },
      },
    );
  } finally {
    stop.dispose();
  }
  jobs.forEach((j, i) => {
    outcomes[j.index] = ran[i] ?? null;
  });

  const rows: CompareRow[] = entries.map((entry, i) => {
    const outcome = outcomes[i] ?? null;
    const summary = summarize(new RunDir(join(dir, entry.runDir)));
    const reach = toTarget(summary, target);
    const status =
      outcome === null
        ? 'not run'
        : outcome.ok
          ? outcome.result.status
          : outcome.error.kind === 'not started'
            ? 'not started'
            : 'failed';
    return {
      label: entry.label,
      runDir: new RunDir(join(dir, entry.runDir)).path,
      status,
      error:
        outcome !== null && !outcome.ok ? outcome.error.message : outcome?.ok === true ? outcome.result.message : null,
      bestValAccuracy: summary?.bestValAccuracy ?? null,
      bestEpoch: summary?.bestEpoch ?? null,
      finalValAccuracy: summary?.finalValAccuracy ?? null,
      testAccuracy: outcome?.ok === true ? (outcome.result.test?.accuracy ?? null) : null,
      epochsToTarget: reach.epochs,
      secondsToTarget: reach.seconds,
      stepsPerSecond: summary?.stepsPerSecond ?? null,
      trainSeconds: summary?.trainSeconds ?? 0,
      epochs: summary?.epochs ?? 0,
    };
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const interrupted = stop.received();
  const charts =
    interrupted === null
      ? await writeOverlayCharts(
          dir,
          entries.map((e) => e.label),
          rows,
        )
      : [];
  await writeAtomic(compareFile, `${JSON.stringify({ ...record, target, rows, wallSeconds, workers }, null, 2)}\n`);

  const targetText = `${percent(target, 0)}`;
  out.line(
    table(
      [
        'config',
        'status',
        'best val acc',
        'final val acc',
        'test acc',
        `epochs to ${targetText}`,
        `time to ${targetText}`,
        'steps/s',
        'time',
      ],
      rows.map((r) => [
        r.label,
        r.status,
        r.bestValAccuracy === null ? '-' : `${fixed(r.bestValAccuracy)} (ep ${r.bestEpoch})`,
        fixed(r.finalValAccuracy),
        fixed(r.testAccuracy),
        r.epochsToTarget ?? '-',
        seconds(r.secondsToTarget),
        r.stepsPerSecond === null ? '-' : r.stepsPerSecond.toFixed(1),
        seconds(r.trainSeconds),
      ]),
      out.out.bold,
    ),
  );
  for (const r of rows)
    if (r.status !== 'complete' && r.error !== null) out.line(`${r.label}: ${r.status}: ${r.error}`);
  out.line(
    `wall time ${seconds(wallSeconds)} with ${Math.min(workers, Math.max(1, jobs.length))} worker process(es); runs and charts in ${dir}`,
  );
  out.result({ format: COMPARE_FORMAT, dir: new RunDir(dir).path, target, workers, wallSeconds, rows, charts });
  if (interrupted !== null) {
    out.note(`interrupted; continue with the same command and --out ${dir}`);
    return EXIT_FOR[interrupted];
  }
  return rows.some((r) => r.status === 'failed' || r.status === 'not run') ? EXIT.failure : EXIT.ok;
}

const METRICS = [
  ['val_accuracy', 'validation accuracy'],
  ['val_loss', 'validation loss'],
  ['accuracy', 'training accuracy'],
  ['loss', 'training loss'],
] as const;

/** One chart per metric, one line per config. */
async function writeOverlayCharts(
  dir: string,
  labels: readonly string[],
  rows: readonly CompareRow[],
): Promise<string[]> {
  const written: string[] = [];
  for (const [metric, title] of METRICS) {
    const values = rows.flatMap((row, i) =>
      (summarize(new RunDir(row.runDir))?.history?.epochs ?? []).map((e) => ({
        epoch: e.epoch,
        config: labels[i] as string,
        value: finite(e[metric]),
      })),
    );
    if (values.length === 0) continue;
    written.push(
      ...(await writeChart(join(dir, 'charts'), metric, {
        title: `${title} per epoch`,
        values,
        x: { field: 'epoch', title: 'epoch', integer: true },
        y: { field: 'value', title },
        series: { field: 'config', title: 'config' },
        points: true,
      })),
    );
  }
  return written;
}
