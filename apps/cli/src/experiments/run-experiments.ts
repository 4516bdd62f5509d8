/**
 * Trains the experiments: the lr-find runs some rows need (`opt lr-find`'s function, each in a job process of the
 * same pool as the training runs: a backend is a process-wide singleton, see engine/local-pool.ts), then
 * every claim's compare through one pool of worker processes, so that no worker waits at the end of a claim
 * while another still trains. Complete runs are kept and interrupted ones resumed (prepareCompare), so a
 * regeneration that was stopped continues where it stopped.
 */
import { rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RunError } from '../cli/errors.js';
import type { TrainConfig } from '../config/knobs.js';
import { configId } from '../config/resolve.js';
import { type CompareReport, finishCompare, type PreparedCompare, prepareCompare } from '../engine/compare-dir.js';
import type { Job, JobOutcome, LrRangeTestJob } from '../engine/job-process.js';
import { runJobs } from '../engine/local-pool.js';
import type { LrFindResult } from '../run/lr-find.js';
import { RunDir, writeAtomic } from '../run/run-dir.js';
import type { RunEvent } from '../run/train-run.js';
import { epochLine } from '../ui/run-lines.js';
import { claimDir, type ExpandOptions, expandClaim, type LrFindJob, lrFindJobs, type PlannedRun } from './expand.js';
import { type Claim, TARGET } from './plan.js';

export interface RunOptions extends ExpandOptions {
  readonly claims: readonly Claim[];
  readonly workers: number;
  readonly signal?: AbortSignal;
  readonly pids?: Set<number>;
  /** One line of progress. */
  readonly say: (line: string) => void;
}

/** What one `pnpm experiments` call did, kept in `<out>/experiments.json` (one entry per call that trained). */
export interface Session {
  startedAt: string;
  wallSeconds: number;
  quick: boolean;
  workers: number;
  claims: number[];
  trained: number;
  /** Runs of a config another claim also plans: linked to that claim's run instead of trained again. */
  linked: number;
  kept: number;
  lrFinds: number;
  failed: string[];
  stopped: boolean;
  /** The machine's 1-minute load average, sampled every 10 s while training (our own workers included). */
  load: { min: number; mean: number; max: number; samples: number } | null;
  cpus: number;
}

export interface SessionsFile {
  format: 'opt.experiments.v1';
  sessions: Session[];
}

/** The relative cost of a config, to start the longest runs first (measured ratios on wasm, roughly). */
function cost(config: TrainConfig): number {
  const perEpoch = config.batchSize === 1 ? 30 : config.batchSize === 'full' ? 0.4 : 1;
  return config.epochs * perEpoch * (config.batchNorm ? 1.6 : 1);
}

/**
 * The rates of the lr-find rows (by claim id, then row name): `opt lr-find`'s own function, each in a job process
 * of the pool that trains the runs, unless its directory already holds a result. Null when stopped (a stopped
 * range test writes nothing, so the next call runs it again).
 */
async function lrFinds(
  finds: ReadonlyArray<{ claim: Claim; job: LrFindJob }>,
  options: RunOptions,
): Promise<Map<number, Map<string, number>> | null> {
  const results = finds.map(({ job }) => new RunDir(job.dir).readJson<LrFindResult>('lr-find.json'));
  const missing = finds.flatMap(({ job }, i) => (results[i] === null ? [{ job, i }] : []));
  for (const { job } of finds.filter((_, i) => results[i] !== null)) {
    options.say(`[lr-find ${job.row.name}] already done in ${job.dir}`);
  }
  for (const { job } of missing) options.say(`[lr-find ${job.row.name}] opt ${job.args.join(' ')}`);
  const jobs = missing.map(
    ({ job }): LrRangeTestJob => ({
      kind: 'lr-find',
      label: `lr-find ${job.row.name}`,
      config: job.config,
      dir: job.dir,
      steps: job.steps,
    }),
  );
  const ran =
    jobs.length === 0
      ? []
      : await runJobs(jobs, {
          workers: options.workers,
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          ...(options.pids !== undefined ? { pids: options.pids } : {}),
        });
  if (options.signal?.aborted === true) return null;
  ran.forEach((outcome, k) => {
    const { job, i } = missing[k] as (typeof missing)[number];
    if (!outcome.ok) throw new RunError(`${job.dir}: lr-find failed: ${outcome.error.message}`);
    results[i] = outcome.result;
  });
  const rates = new Map<number, Map<string, number>>();
  finds.forEach(({ claim, job }, i) => {
    const result = results[i] as LrFindResult;
    if (result.suggestion === null) {
      throw new RunError(`${job.dir}: lr-find made no suggestion (${result.stopped ?? 'too few finite losses'}).`);
    }
    const map = rates.get(claim.id) ?? new Map<string, number>();
    map.set(job.row.name, result.suggestion.learningRate);
    rates.set(claim.id, map);
    options.say(`[lr-find ${job.row.name}] suggested learning rate ${result.suggestion.learningRate}`);
  });
  return rates;
}

function sampleLoad(): { stop(): Session['load'] } {
  const samples: number[] = [loadavg()[0] as number];
  const timer = setInterval(() => samples.push(loadavg()[0] as number), 10_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (samples.length === 0) return null;
      const round = (x: number) => Math.round(x * 100) / 100;
      return {
        min: round(Math.min(...samples)),
        mean: round(samples.reduce((s, x) => s + x, 0) / samples.length),
        max: round(Math.max(...samples)),
        samples: samples.length,
      };
    },
  };
}

export interface Trained {
  readonly session: Session;
  readonly reports: CompareReport[];
  readonly runs: PlannedRun[];
}

/** Trains what is missing of `claims` and returns the compares' rows; records the session. */
export async function runExperiments(options: RunOptions): Promise<Trained> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const load = sampleLoad();
  const { say } = options;

  // The rates of the lr-find rows, before the claims that train at them can be planned.
  const finds = options.claims.flatMap((claim) => lrFindJobs(claim, options).map((job) => ({ claim, job })));
  const rates = (await lrFinds(finds, options)) ?? new Map<number, Map<string, number>>();
  if (options.signal?.aborted === true) {
    const session: Session = {
      startedAt,
      wallSeconds: (performance.now() - started) / 1000,
      quick: options.quick,
      workers: options.workers,
      claims: options.claims.map((c) => c.id),
      trained: 0,
      linked: 0,
      kept: 0,
      lrFinds: finds.length,
      failed: [],
      stopped: true,
      load: load.stop(),
      cpus: availableParallelism(),
    };
    return { session, reports: [], runs: [] };
  }

  const runs: PlannedRun[] = [];
  const prepared: Array<{ claim: Claim; compare: PreparedCompare; runs: PlannedRun[] }> = [];
  let kept = 0;
  for (const claim of options.claims) {
    const planned = expandClaim(claim, options, rates.get(claim.id));
    runs.push(...planned);
    const compare = await prepareCompare({
      dir: claimDir(options, claim),
      plan: planned,
      target: TARGET,
      note: options.quick ? 'pnpm experiments --quick' : 'pnpm experiments',
      command: ['pnpm', 'experiments', ...(options.quick ? ['--quick'] : [])],
      onKept: () => {
        kept++;
      },
      grows: claim.followUp !== undefined,
    });
    prepared.push({ claim, compare, runs: planned });
  }

  // One queue for every claim, the longest runs first. A config planned in several claims (SGD at 0.01 for 10
  // epochs is in three) trains once; the other claims' run directories become links to its directory when it ends.
  type Item = { claim: Claim; c: number; k: number; job: Job };
  const items: Item[] = prepared.flatMap(({ claim, compare }, c) =>
    compare.jobs.map((j, k) => ({ claim, c, k, job: j.job })),
  );
  const firstOf = new Map<string, Item>();
  const queue: Item[] = [];
  const links: Array<{ from: Item; to: Item }> = [];
  for (const item of items) {
    const id = configId(item.job.config);
    const first = item.job.resume ? undefined : firstOf.get(id);
    if (first !== undefined) links.push({ from: item, to: first });
    else {
      if (!item.job.resume) firstOf.set(id, item);
      queue.push(item);
    }
  }
  queue.sort((a, b) => cost(b.job.config) - cost(a.job.config));
  const total = queue.length;
  say(
    `${total} run${total === 1 ? '' : 's'} to train${links.length > 0 ? ` (and ${links.length} that another claim's run of the same config stands for)` : ''}, ${kept} already complete; ${Math.min(options.workers, Math.max(total, 1))} worker process(es)`,
  );
  let done = 0;
  const elapsed = () => {
    const s = (performance.now() - started) / 1000;
    return s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  };
  const tag = (i: number) => `[${queue[i]?.claim.slug} ${queue[i]?.job.label}]`;
  const failed: string[] = [];
  const ran = await runJobs(
    queue.map((q) => q.job as Job),
    {
      workers: options.workers,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.pids !== undefined ? { pids: options.pids } : {}),
      onEvent: (i, event: RunEvent) => {
        if (event.type === 'start' && (event.initialEpoch > 0 || event.resumedAtStep > 0))
          say(`${tag(i)} resuming at epoch ${event.initialEpoch + 1}, step ${event.resumedAtStep + 1}`);
        else if (event.type === 'epochEnd') {
          say(epochLine(event, tag(i)));
        } else if (event.type === 'advice' && event.advice.id === 'diverged') say(`${tag(i)} ${event.advice.message}`);
      },
      onEnd: (i, outcome: JobOutcome) => {
        done++;
        const what = outcome.ok
          ? `${outcome.result.status}${outcome.result.test !== null ? `, test accuracy ${outcome.result.test.accuracy.toFixed(4)}` : ''}`
          : `${outcome.error.kind === 'not started' ? 'not started' : 'failed'}: ${outcome.error.message}`;
        if (!outcome.ok && outcome.error.kind !== 'not started') failed.push(`${queue[i]?.job.label}: ${what}`);
        say(`${tag(i)} ${what} (${done}/${total} done, ${elapsed()})`);
      },
    },
  );

  // The linked runs take their first's directory and outcome.
  const outcomeOf = new Map<Item, JobOutcome | undefined>(queue.map((q, i) => [q, ran[i]]));
  for (const { from, to } of links) {
    const outcome = outcomeOf.get(to);
    if (outcome?.ok === true && outcome.result.status !== 'interrupted') {
      rmSync(from.job.runDir, { recursive: true, force: true });
      symlinkSync(relative(dirname(from.job.runDir), to.job.runDir), from.job.runDir, 'dir');
      outcomeOf.set(from, outcome);
      say(
        `[${from.claim.slug} ${from.job.label}] the same config as [${to.claim.slug} ${to.job.label}]: linked to its run`,
      );
    } else {
      outcomeOf.set(from, {
        ok: false,
        error: { kind: 'not started', message: `waits for ${to.claim.slug} ${to.job.label} (the same config)` },
      });
    }
  }

  // Back to each claim's own compare: its rows, compare.json and overlay charts.
  const wallSeconds = (performance.now() - started) / 1000;
  // Read again (not narrowed by the check above): a stop may have come while training.
  const stopped = (options.signal as AbortSignal | undefined)?.aborted === true;
  const reports: CompareReport[] = [];
  for (const [c, { compare }] of prepared.entries()) {
    const outcomes = compare.jobs.map((_, k) => outcomeOf.get(items.find((q) => q.c === c && q.k === k) as Item));
    reports.push(
      await finishCompare(compare, outcomes, { target: TARGET, workers: options.workers, wallSeconds, stopped }),
    );
  }

  const session: Session = {
    startedAt,
    wallSeconds,
    quick: options.quick,
    workers: options.workers,
    claims: options.claims.map((c) => c.id),
    trained: total,
    linked: links.length,
    kept,
    lrFinds: finds.length,
    failed,
    stopped,
    load: load.stop(),
    cpus: availableParallelism(),
  };
  if (total > 0) await recordSession(options.out, session);
  return { session, reports, runs };
}

/** Appends a session that trained something to `<out>/experiments.json`. */
async function recordSession(out: string, session: Session): Promise<void> {
  const dir = new RunDir(out);
  const file = dir.readJson<SessionsFile>('experiments.json') ?? { format: 'opt.experiments.v1', sessions: [] };
  file.sessions.push(session);
  await writeAtomic(dir.file('experiments.json'), `${JSON.stringify(file, null, 2)}\n`);
}

export function readSessions(out: string): Session[] {
  return new RunDir(out).readJson<SessionsFile>('experiments.json')?.sessions ?? [];
}
