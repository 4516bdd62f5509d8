/**
 * `opt sweep SPEC`: the trials of a sweep file trained locally (exactly `opt compare` on them: cli/local-plan.ts), or
 * with `--queue URL` added to a BullMQ queue on Redis for `opt worker` processes on any machine, followed until done
 * and written as compare's table and charts. `opt sweep status` and `opt sweep results` read a sweep from the queue.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { EXIT, UsageError } from '../cli/errors.js';
import { runLocalPlan, workersOf } from '../cli/local-plan.js';
import { nonNegative, positiveInteger, targetOf } from '../cli/numbers.js';
import { Output } from '../cli/output.js';
import { EXIT_FOR, stopOnSignals } from '../cli/signals.js';
import { THREADS_HELP } from '../cli/threads.js';
import { sameValue } from '../config/resolve.js';
import { type CompareFile, runDirectories } from '../engine/compare-dir.js';
import { defaultWorkers } from '../engine/local-pool.js';
import { RunDir } from '../run/run-dir.js';
import { findSweep } from '../sweep/find-sweep.js';
import { followSweep, isFinal, progressLine } from '../sweep/follow.js';
import { commandLine, QUEUE_HELP, queueUrlOf } from '../sweep/queue-flag.js';
import type { QueueUrl } from '../sweep/redis-url.js';
import { writeSweepResults } from '../sweep/results.js';
import { readSweep, type Sweep } from '../sweep/spec.js';
import { printCompareTable } from '../ui/compare-report.js';
import { fixed, seconds, shortDate } from '../ui/format.js';
import { table } from '../ui/table.js';

/** BullMQ and ioredis load only for the commands that use a queue (a fifth of every `opt` process's start-up). */
const queueModule = () => import('../sweep/queue.js');

const SPEC_HELP = `
A sweep file (JSON or YAML):
  name: lr-grid                        optional; names the sweep (default: the file's name)
  base: { perClass: 500, epochs: 5 }   knobs every trial shares (the camelCase fields of --config files)
  variations:                          knob sets, each crossed with the grid ("name" labels one)
    - { name: sgd, optimizer: sgd }
    - { optimizer: adam }
  grid:                                every combination of these values
    learningRate: [0.1, 0.01]
  seeds: [1, 2, 3]                     each trial once per seed
Trials: variations x grid x seeds, every one checked before anything runs or is enqueued.`;

const EXAMPLES = `${SPEC_HELP}

Examples:
  $ opt sweep lr-grid.yaml                          the trials in local worker processes (as opt compare)
  $ opt sweep lr-grid.yaml --queue redis://redis.lab:6379/0
  $ OPT_QUEUE=rediss://:PASSWORD@redis.lab:6380/0 opt sweep lr-grid.yaml --queue --detach
  $ opt worker --queue redis://redis.lab:6379/0     on each machine that should train (any number)
  $ opt sweep status --queue redis://redis.lab:6379/0
  $ opt sweep results lr-grid.yaml --queue redis://redis.lab:6379/0

The sweep's directory (--out, default runs/sweep-<name>-<id>) is a compare directory: one run directory per
trial, compare.json, the overlay charts and sweep.json. Running the same sweep again adds nothing to the queue
(each trial's job id is its config's id) and, locally, keeps the complete runs. Exit status: 0 when every trial
ran (complete or diverged), 1 when one failed, 130 after Ctrl-C (the queued trials go on).`;

interface RunFlags {
  queue?: string | boolean;
  workers?: string;
  threads?: string;
  out?: string;
  target?: string;
  note?: string;
  attempts?: string;
  backoff?: string;
  detach?: boolean;
  retryFailed?: boolean;
  poll?: string;
  json?: boolean;
}

export function registerSweepCommand(program: Command): void {
  const sweep = program
    .command('sweep')
    .description(
      'Run a sweep file (a base config, a grid and/or variations, seeds): locally like opt compare, or through a Redis queue for opt worker processes on any machine.',
    )
    .addHelpText('after', EXAMPLES);
  const run = sweep
    .command('run', { isDefault: true })
    .description('run the trials of a sweep file (the default: `opt sweep SPEC` is `opt sweep run SPEC`)')
    .argument('<spec>', 'the sweep file, JSON or YAML')
    .option('--queue [url]', QUEUE_HELP)
    .option('--workers <n>', `local worker processes without --queue (default: one per core, ${defaultWorkers()} here)`)
    .option('--threads <n>', `${THREADS_HELP}; local sweeps (a queued trial's threads are its worker's)`)
    .option(
      '--out <dir>',
      "the sweep's directory (default runs/sweep-<name>-<id>); the same sweep into it again continues it",
    )
    .option('--target <accuracy>', 'validation accuracy for the "epochs and time to target" columns (default 0.85)')
    .option('--note <text>', 'a note stored with every run (local sweeps)')
    .option(
      '--attempts <n>',
      'with --queue: tries of a trial that fails for a reason another try may not have (default 3)',
    )
    .option('--backoff <seconds>', 'with --queue: wait before the second try, doubling for each later one (default 10)')
    .option('--retry-failed', "with --queue: put the sweep's failed trials back in the queue")
    .option(
      '--detach',
      'with --queue: add the trials and exit (follow with opt sweep status, collect with opt sweep results)',
    )
    .option('--poll <seconds>', 'with --queue: how often the queue is read while waiting (default 1)')
    .option('--json', 'print one JSON object (the rows, the trials and where everything is) on stdout');
  run.addHelpText('after', EXAMPLES);
  run.action(async (spec: string, flags: RunFlags) => {
    process.exitCode = await runSweep(spec, flags);
  });

  sweep
    .command('status')
    .description('the state of a sweep in the queue (or, without SWEEP, of every sweep there), from any machine')
    .argument('[sweep]', 'the sweep id (printed when it was added) or its sweep file')
    .option('--queue [url]', QUEUE_HELP)
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ opt sweep status --queue redis://redis.lab:6379/0                  every sweep in the queue
  $ opt sweep status lr-grid.yaml --queue redis://redis.lab:6379/0     each trial: state, worker, attempts, epoch`,
    )
    .action(async (id: string | undefined, flags: { queue?: string | boolean; json?: boolean }) => {
      process.exitCode = await status(id, flags);
    });

  sweep
    .command('results')
    .description("a sweep's results from the queue, written as compare's table and charts into a sweep directory")
    .argument('<sweep>', 'the sweep id or its sweep file')
    .option('--queue [url]', QUEUE_HELP)
    .option('--out <dir>', "the sweep's directory (default runs/sweep-<name>-<id>)")
    .option('--target <accuracy>', 'validation accuracy for the "epochs and time to target" columns (default 0.85)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (id: string, flags: { queue?: string | boolean; out?: string; target?: string; json?: boolean }) => {
      process.exitCode = await results(id, flags);
    });
}

const defaultDir = (sweep: { name: string; id: string }) => join('runs', `sweep-${sweep.name}-${sweep.id}`);

async function runSweep(spec: string, flags: RunFlags): Promise<number> {
  const out = new Output('sweep', flags.json === true);
  const url = queueUrlOf(flags.queue, false);
  const target = targetOf(flags.target);
  if (url === null) {
    for (const [flag, given] of [
      ['--attempts', flags.attempts],
      ['--backoff', flags.backoff],
      ['--retry-failed', flags.retryFailed],
      ['--detach', flags.detach],
      ['--poll', flags.poll],
    ] as const) {
      if (given !== undefined)
        throw new UsageError(`${flag} applies to a sweep through a queue: add --queue URL.`, flag);
    }
  } else if (flags.workers !== undefined) {
    throw new UsageError(
      '--workers applies to a local sweep; through a queue, start opt worker processes (--concurrency).',
      '--workers',
    );
  } else if (flags.note !== undefined) {
    throw new UsageError('--note applies to a local sweep.', '--note');
  }
  // Every trial is resolved and checked before anything is trained or enqueued.
  const sweep = readSweep(spec);
  const dir = flags.out ?? defaultDir(sweep);
  for (const t of sweep.trials) for (const w of t.warnings) out.warn(`${t.label}: ${w}`);
  return url === null ? runLocally(sweep, dir, target, flags, out) : runQueued(sweep, url, dir, target, flags, out);
}

async function runLocally(sweep: Sweep, dir: string, target: number, flags: RunFlags, out: Output): Promise<number> {
  const n = sweep.trials.length;
  return runLocalPlan({
    out,
    plan: sweep.trials,
    dir,
    workers: workersOf(flags.workers),
    threads: flags.threads,
    target,
    note: flags.note ?? null,
    command: commandLine(),
    intro: (w) =>
      `sweep ${sweep.id} (${sweep.name}): ${n} trial${n === 1 ? '' : 's'} in up to ${w} local worker process${w === 1 ? '' : 'es'} into ${dir}`,
    continueWith: `the same command${flags.out === undefined ? '' : ` and --out ${dir}`}`,
    before: async () => {
      // Only where the compare will accept the directory: a new one, or this sweep's.
      const previous = new RunDir(dir).readJson<CompareFile>('compare.json');
      if (previous !== null ? sameValue(previous.entries, runDirectories(sweep.trials)) : !new RunDir(dir).isRun())
        await new RunDir(dir).writeJson('sweep.json', {
          ...(await queueModule()).recordOf(sweep, { attempts: 1, backoffSeconds: 0 }),
          queue: null,
        });
    },
    extra: { sweep: { id: sweep.id, name: sweep.name, queue: null, trials: n } },
  });
}

async function runQueued(
  sweep: Sweep,
  url: QueueUrl,
  dir: string,
  target: number,
  flags: RunFlags,
  out: Output,
): Promise<number> {
  const attempts = {
    attempts: flags.attempts !== undefined ? positiveInteger('--attempts', flags.attempts) : 3,
    backoffSeconds: flags.backoff !== undefined ? nonNegative('--backoff', flags.backoff) : 10,
  };
  const pollMs = 1000 * (flags.poll !== undefined ? nonNegative('--poll', flags.poll) : 1);
  if (pollMs < 100)
    throw new UsageError(`--poll must be at least 0.1 seconds, got "${flags.poll}".`, '--poll', flags.poll);
  const say = (line: string) => out.note(line);
  const { recordOf, SweepQueue } = await queueModule();
  const queue = await SweepQueue.open(url, say);
  const stop = stopOnSignals(say);
  try {
    const record = recordOf(sweep, attempts);
    await queue.register(record);
    const { added, existing } = await queue.enqueue(record, sweep.trials);
    say(
      `sweep ${sweep.id} (${sweep.name}): ${added.length} trial${added.length === 1 ? '' : 's'} added to the queue at ${url.redacted}, ${existing.length} already there`,
    );
    const retried = flags.retryFailed === true ? await queue.retryFailed(record) : [];
    if (retried.length > 0) say(`back in the queue: ${retried.join(', ')}`);
    if (flags.detach === true) {
      out.line(
        `sweep ${sweep.id}: follow it with \`opt sweep status ${sweep.id} --queue URL\`, collect it with \`opt sweep results ${sweep.id} --queue URL\``,
      );
      out.result({
        sweep: { id: sweep.id, name: sweep.name, queue: url.redacted, trials: sweep.trials.length },
        added,
        existing,
        retried,
      });
      return EXIT.ok;
    }
    say('waiting for the trials (start `opt worker --queue URL` on any machine that should train them)');
    const started = performance.now();
    const states = await followSweep(queue, record, { say, pollMs, signal: stop.signal });
    const interrupted = stop.received();
    if (interrupted !== null && !states.every(isFinal)) {
      say(
        `stopped waiting; the trials go on in the queue: \`opt sweep status ${sweep.id} --queue URL\` follows them, \`opt sweep results ${sweep.id} --queue URL\` collects them`,
      );
      out.result({
        sweep: { id: sweep.id, name: sweep.name, queue: url.redacted, trials: sweep.trials.length },
        interrupted: true,
      });
      return EXIT_FOR[interrupted];
    }
    const report = await writeSweepResults(record, states, {
      dir,
      queue: url.redacted,
      target,
      command: commandLine(),
      wallSeconds: (performance.now() - started) / 1000,
    });
    printCompareTable(out, report.rows, target);
    out.line(
      `wall time ${seconds(report.wallSeconds)} through ${url.redacted} with ${report.workers} worker${report.workers === 1 ? '' : 's'}; runs and charts in ${dir}`,
    );
    out.result(report);
    return report.rows.some((r) => r.status === 'failed') ? EXIT.failure : EXIT.ok;
  } finally {
    stop.dispose();
    await queue.close();
  }
}

async function status(given: string | undefined, flags: { queue?: string | boolean; json?: boolean }): Promise<number> {
  const out = new Output('sweep status', flags.json === true);
  const url = queueUrlOf(flags.queue, true) as QueueUrl;
  const queue = await (await queueModule()).SweepQueue.open(url, (line) => out.note(line));
  try {
    if (given === undefined) {
      const sweeps = await queue.sweeps();
      const rows = await Promise.all(
        sweeps.map(async (s) => {
          const states = await queue.states(s);
          const count = (name: string) => states.filter((t) => t.state === name).length;
          return {
            id: s.id,
            name: s.name,
            createdAt: s.createdAt,
            trials: s.trials.length,
            completed: count('completed'),
            failed: count('failed'),
            active: count('active'),
            waiting: count('waiting') + count('delayed') + count('missing'),
          };
        }),
      );
      out.line(
        rows.length === 0
          ? `no sweeps in the queue at ${url.redacted}`
          : table(
              ['sweep', 'name', 'added', 'trials', 'done', 'failed', 'running', 'waiting'],
              rows.map((r) => [
                r.id,
                r.name,
                shortDate(r.createdAt),
                r.trials,
                r.completed,
                r.failed,
                r.active,
                r.waiting,
              ]),
              out.out.bold,
            ),
      );
      out.result({ queue: url.redacted, sweeps: rows });
      return EXIT.ok;
    }
    const record = await findSweep(queue, given);
    const states = await queue.states(record);
    out.line(`sweep ${record.id} (${record.name}), added ${shortDate(record.createdAt)}: ${progressLine(states)}`);
    out.line(
      table(
        ['trial', 'state', 'worker', 'attempts', 'epoch', 'test acc', 'error'],
        states.map((s) => [
          s.label,
          s.value !== null && s.value.status !== 'complete' ? `${s.state} (${s.value.status})` : s.state,
          s.worker ?? '-',
          `${s.attemptsMade}${s.stalled > 0 ? ` (stalled ${s.stalled})` : ''}`,
          s.progress !== null ? `${s.progress.epoch}/${s.progress.epochs}` : '-',
          fixed(s.value?.result.test?.accuracy),
          s.error ?? s.value?.result.message ?? '-',
        ]),
        out.out.bold,
      ),
    );
    out.result({
      sweep: {
        id: record.id,
        name: record.name,
        createdAt: record.createdAt,
        queue: url.redacted,
        trials: record.trials.length,
      },
      trials: states.map(({ value, ...s }) => ({
        ...s,
        status: value?.status ?? null,
        testAccuracy: value?.result.test?.accuracy ?? null,
        backend: value?.backend ?? null,
      })),
    });
    return EXIT.ok;
  } finally {
    await queue.close();
  }
}

async function results(
  given: string,
  flags: { queue?: string | boolean; out?: string; target?: string; json?: boolean },
): Promise<number> {
  const out = new Output('sweep results', flags.json === true);
  const url = queueUrlOf(flags.queue, true) as QueueUrl;
  const target = targetOf(flags.target);
  const queue = await (await queueModule()).SweepQueue.open(url, (line) => out.note(line));
  try {
    const record = await findSweep(queue, given);
    const states = await queue.states(record);
    const dir = flags.out ?? defaultDir(record);
    // The span from the first trial taken to the last one ended, as the queue recorded them.
    const starts = states.flatMap((s) => (s.processedOn !== null ? [s.processedOn] : []));
    const ends = states.flatMap((s) => (s.finishedOn !== null ? [s.finishedOn] : []));
    const report = await writeSweepResults(record, states, {
      dir,
      queue: url.redacted,
      target,
      command: commandLine(),
      wallSeconds: starts.length > 0 && ends.length > 0 ? (Math.max(...ends) - Math.min(...starts)) / 1000 : 0,
    });
    printCompareTable(out, report.rows, target);
    out.line(`${progressLine(states)}; runs and charts in ${dir}`);
    out.result(report);
    return EXIT.ok;
  } finally {
    await queue.close();
  }
}
