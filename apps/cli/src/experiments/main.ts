#!/usr/bin/env node
/**
 * `pnpm experiments`: trains the plan's runs that are missing (plan.ts, through the CLI's worker pool), then
 * writes docs/EXPERIMENTS.md and its charts from the run directories. `--quick` does the same on a small subset
 * into runs/experiments-quick and checks the directions that hold at that scale (exit 1 if one does not).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { debugRequested, EXIT, UsageError } from '../cli/errors.js';
import { fail, isHelpOrVersion } from '../cli/fail.js';
import { positiveInteger } from '../cli/numbers.js';
import { EXIT_FOR, stopOnSignals } from '../cli/signals.js';
import { childProcesses } from '../engine/children.js';
import { defaultWorkers } from '../engine/local-pool.js';
import { quickChecks } from './checks.js';
import { expandClaim } from './expand.js';
import { CLAIMS, type Claim, QUICK } from './plan.js';
import { writeReport } from './report.js';
import { readSessions, runExperiments } from './run-experiments.js';

interface Flags {
  quick?: boolean;
  only?: string;
  workers?: string;
  out?: string;
  report?: string;
  train: boolean;
}

function elapsed(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

/** `--only 3,7` or `--only beyond`: claims by number, or by key for a section beyond the chapter's claims. */
function claimsOf(only: string | undefined, quick: boolean): readonly Claim[] {
  const all = quick ? CLAIMS.filter((c) => (QUICK.claims as readonly number[]).includes(c.id)) : CLAIMS;
  if (only === undefined) return all;
  const tokens = only.split(',').map((s) => s.trim());
  const find = (t: string) => all.find((c) => (t !== '' && String(c.id) === t) || c.key === t);
  const bad = tokens.find((t) => find(t) === undefined);
  if (bad !== undefined) {
    const known = all.map((c) => c.key ?? String(c.id)).join(', ');
    throw new UsageError(
      `--only must list claims from ${known}, comma-separated (e.g. --only 3,7 or --only beyond), got "${only}".`,
      '--only',
      only,
    );
  }
  return all.filter((c) => tokens.some((t) => find(t) === c));
}

async function main(flags: Flags): Promise<number> {
  const started = performance.now();
  const quick = flags.quick === true;
  const cwd = process.cwd();
  const out = resolve(flags.out ?? (quick ? 'runs/experiments-quick' : 'runs/experiments'));
  const file = resolve(flags.report ?? (quick ? `${out}/EXPERIMENTS.md` : 'docs/EXPERIMENTS.md'));
  const workers = flags.workers === undefined ? defaultWorkers() : positiveInteger('--workers', flags.workers);
  const selected = claimsOf(flags.only, quick);
  const say = (line: string) => process.stderr.write(`${line}\n`);

  let code: number = EXIT.ok;
  if (flags.train) {
    const stop = stopOnSignals(say);
    stop.watch([out]);
    const pids = childProcesses(stop);
    try {
      say(`experiments${quick ? ' (quick)' : ''}: claims ${selected.map((c) => c.id).join(', ')} into ${out}`);
      // A claim with a follow-up (the leaderboard's extra seeds) plans more runs once its first ones finish.
      const rounds = selected.some((c) => c.followUp !== undefined) ? Number.POSITIVE_INFINITY : 1;
      const plannedRuns = () =>
        selected.reduce((n, c) => n + expandClaim(c, { out, quick, cwd }, undefined, true).length, 0);
      let planned = -1;
      for (let round = 0; round < rounds; round++) {
        // Another round only when the follow-ups planned new runs: a run that fails is not retried in a loop.
        const now = plannedRuns();
        if (now === planned) break;
        planned = now;
        const { session } = await runExperiments({
          claims: selected,
          out,
          quick,
          cwd,
          workers,
          signal: stop.signal,
          pids,
          say,
        });
        say(
          `trained ${session.trained} run(s), kept ${session.kept}, in ${elapsed(session.wallSeconds)} with ${workers} worker(s)${session.load !== null ? `; load average ${session.load.min}-${session.load.max}` : ''}`,
        );
        if (session.failed.length > 0) {
          for (const f of session.failed) say(`failed: ${f}`);
          code = EXIT.failure;
        }
        const received = stop.received();
        if (received !== null) {
          say(`interrupted: run the same command again to continue (complete runs are kept)`);
          return EXIT_FOR[received];
        }
        if (session.trained === 0) break;
      }
    } finally {
      stop.dispose();
    }
  }

  const report = await writeReport({
    // --only rewrites just those sections of an existing report: the other claims' runs may live elsewhere.
    ...(flags.only !== undefined ? { claims: selected, only: true } : { claims: claimsOf(undefined, quick) }),
    out,
    quick,
    cwd,
    file,
    sessions: readSessions(out),
  });
  process.stdout.write(`report: ${file} (${report.charts.length} charts)\n`);
  for (const { claim, finding } of report.claims) {
    process.stdout.write(`  ${claim.id}. ${claim.title}: ${finding.verdict.status}\n`);
  }
  if (quick) {
    const checks = quickChecks(report.claims);
    for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
    if (checks.some((c) => !c.ok)) code = EXIT.failure;
  }
  process.stdout.write(`total time ${elapsed((performance.now() - started) / 1000)}\n`);
  return code;
}

const program = new Command()
  .name('pnpm experiments')
  .description(
    "Measure the chapter's claims on Fashion-MNIST: train the plan's runs that are missing, then write docs/EXPERIMENTS.md and its charts.",
  )
  .option(
    '--quick',
    'claims 1, 3 and 4 on a class-balanced subset, at most 2 epochs and one seed per row; checks the directions that hold at that scale',
  )
  .option(
    '--only <claims>',
    'train only these claims, e.g. 3,7, or beyond (the optimizer leaderboard), and rewrite only their sections of the report (all of it when the file lacks them)',
  )
  .option('--workers <n>', `parallel worker processes (default: one per core, ${defaultWorkers()} here)`)
  .option('--out <dir>', 'where the run directories go (default runs/experiments, or runs/experiments-quick)')
  .option('--report <file>', 'the Markdown report (default docs/EXPERIMENTS.md, or <out>/EXPERIMENTS.md with --quick)')
  .option('--no-train', 'train nothing: write the report from the run directories as they are')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .action(async (flags: Flags) => {
    process.exitCode = await main(flags);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!isHelpOrVersion(error))
    fail(error, {
      prefix: 'pnpm experiments',
      commanderMessage: (e) => `${e.message.replace(/^error: /, '')}; --help lists the options.`,
      debug: debugRequested(),
    });
}
