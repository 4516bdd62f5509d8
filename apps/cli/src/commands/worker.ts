/** `opt worker --queue URL`: trains the queued trials of every sweep until Ctrl-C or SIGTERM (sweep/worker.ts). */
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FashionMnistNotFoundError, locateFashionMnist } from '@opt/data-fashion-mnist';
import type { Command } from 'commander';
import { positiveInteger } from '../cli/numbers.js';
import { Output } from '../cli/output.js';
import { EXIT_FOR, stopOnSignals } from '../cli/signals.js';
import { parseThreads, THREADS_HELP, threadsFromEnv, threadsPerProcess } from '../cli/threads.js';
import { childProcesses } from '../engine/children.js';
import { checkDataDir } from '../run/data.js';
import { commandLine, queueUrlOf } from '../sweep/queue-flag.js';

interface WorkerFlags {
  queue?: string | boolean;
  concurrency?: string;
  threads?: string;
  dir?: string;
  dataDir?: string;
  name?: string;
  lockDuration?: string;
  stalledInterval?: string;
  maxStalled?: string;
}

const EXAMPLES = `
Examples:
  $ opt worker --queue redis://redis.lab:6379/0
  $ OPT_QUEUE=rediss://:PASSWORD@redis.lab:6380/0 opt worker --queue --concurrency 4 --data-dir /data/fashion-mnist

Each trial trains in its own process into <dir>/<job id>, and its result (config, history, test metrics, timings,
this worker's name and the backend) becomes the job's return value. A worker killed mid-trial loses nothing: after
--lock-duration without word from it, the next stalled check of any worker (every --stalled-interval) puts its
trials back in the queue, and a worker on the same machine (the same --dir) resumes each from its checkpoint,
another machine trains it from the start. Ctrl-C or SIGTERM stops the running trials at the end of their step and
puts them back in the queue.`;

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Train the trials of sweeps queued on Redis (opt sweep SPEC --queue URL), each in its own process, until stopped.',
    )
    .option(
      '--queue [url]',
      'the Redis of the queue: redis://[user:password@]host[:port][/db], rediss:// for TLS; without a value (or without the option), $OPT_QUEUE',
    )
    .option('--concurrency <n>', `trials trained at once (default: one per core, ${availableParallelism()} here)`)
    .option('--threads <n>', THREADS_HELP)
    .option('--dir <dir>', "where the trials' run directories go (default runs/worker)")
    .option('--data-dir <dir>', "this machine's Fashion-MNIST directory, used instead of the trials' own")
    .option('--name <name>', "the worker's name in the queue and the results (default <host>:<pid>)")
    .option('--lock-duration <seconds>', "a trial's lock, renewed every half of it while it trains (default 30)")
    .option(
      '--stalled-interval <seconds>',
      'how often this worker looks for trials whose worker stopped answering (default 30)',
    )
    .option('--max-stalled <n>', 'times a trial may lose its worker before it fails (default 2)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await worker(flags);
    });
}

function seconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  return positiveInteger(flag, text);
}

async function worker(flags: WorkerFlags): Promise<number> {
  const out = new Output('worker', false);
  const url = queueUrlOf(flags.queue ?? (process.env.OPT_QUEUE !== undefined ? true : undefined), true);
  if (url === null) return 2; // unreachable: required
  const concurrency =
    flags.concurrency !== undefined ? positiveInteger('--concurrency', flags.concurrency) : availableParallelism();
  const dataDir = flags.dataDir !== undefined ? resolve(flags.dataDir) : null;
  if (dataDir !== null) checkDataDir(dataDir);
  else {
    try {
      out.note(`data: Fashion-MNIST in ${(await locateFashionMnist({})).directory ?? 'several places'}`);
    } catch (error) {
      if (!(error instanceof FashionMnistNotFoundError)) throw error;
      out.warn(
        'no local copy of Fashion-MNIST: each trial downloads it unless it sets download: false (then it fails).',
      );
    }
  }
  const say = (line: string) => out.note(line);
  const stop = stopOnSignals(say);
  const pids = childProcesses(stop);
  try {
    // BullMQ and ioredis load only here, not in every `opt` process.
    const { runSweepWorker } = await import('../sweep/worker.js');
    const { trained, failed } = await runSweepWorker({
      url,
      concurrency,
      threads: threadsPerProcess(concurrency, parseThreads(flags.threads) ?? threadsFromEnv()),
      dir: resolve(flags.dir ?? join('runs', 'worker')),
      dataDir,
      name: flags.name ?? `${hostname()}:${process.pid}`,
      lockSeconds: seconds('--lock-duration', flags.lockDuration, 30),
      stalledSeconds: seconds('--stalled-interval', flags.stalledInterval, 30),
      maxStalledCount: flags.maxStalled !== undefined ? positiveInteger('--max-stalled', flags.maxStalled) : 2,
      command: commandLine(),
      signal: stop.signal,
      pids,
      say,
    });
    say(
      `worker stopped: ${trained} trial${trained === 1 ? '' : 's'} returned, ${failed} failed attempt${failed === 1 ? '' : 's'}`,
    );
  } finally {
    stop.dispose();
  }
  return EXIT_FOR[stop.received() ?? 'SIGINT'];
}
