/** `opt lr-find`: the learning-rate range test, its chart, and a suggested rate with the rule behind it. */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../cli/errors.js';
import { addKnobOptions, configFromCommand } from '../cli/knob-options.js';
import { Output } from '../cli/output.js';
import { stopOnSignals } from '../cli/signals.js';
import { THREADS_HELP, threadsFor } from '../cli/threads.js';
import { KNOBS } from '../config/knobs.js';
import { EXPLODE_FACTOR, findLearningRate, LR_FIND_DEFAULTS, writeLrFind } from '../run/lr-find.js';
import { knobsLabel, timestampedDir } from '../run/naming.js';
import { RunDir } from '../run/run-dir.js';
import { StepBar } from '../ui/progress.js';

interface LrFindFlags {
  startLr?: string;
  endLr?: string;
  steps?: string;
  out?: string;
  config?: string;
  json?: boolean;
  threads?: string;
}

/** The schedule and the rate are what the test sweeps: they are not options here. */
const SWEPT = KNOBS.filter(
  (k) => k.group === 'schedule' || k.key === 'learningRate' || k.key === 'epochs' || k.key === 'patience',
).map((k) => k.key);

function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !(n > 0) || !Number.isFinite(n))
    throw new UsageError(`${flag} must be a positive number, got "${text}".`, flag, text);
  return n;
}

export function registerLrFindCommand(program: Command): void {
  const command = program
    .command('lr-find')
    .description(
      'Learning-rate range test: train while the rate grows exponentially, chart the loss against the rate, and suggest a rate.',
    )
    .option('--start-lr <lr>', 'the first rate (default 1e-7)')
    .option('--end-lr <lr>', 'the last rate (default 10)')
    .option('--steps <n>', 'steps from the first rate to the last, one batch each (default 300)')
    .option('--threads <n>', THREADS_HELP)
    .option('--out <dir>', 'where to write lr-find.json, .csv and the chart (default runs/<time>-lr-find-<knobs>)')
    .option('--config <file>', 'knobs from a JSON or YAML file; flags override them')
    .option('--json', 'print one JSON object on stdout');
  addKnobOptions(command, SWEPT);
  command.addHelpText(
    'after',
    `
Examples:
  $ opt lr-find                                  Adam on the chapter's MLP
  $ opt lr-find --optimizer sgd --batch-size 64
  $ opt lr-find --optimizer momentum --per-class 500 --steps 200 --json

The test stops early when the loss explodes (its smoothed value above ${EXPLODE_FACTOR}x its minimum, or not finite).
The suggested rate is one decade below the rate at the minimum of the smoothed loss (fastai's rule).`,
  );
  command.action(async (flags: LrFindFlags, cmd: Command) => {
    const out = new Output('lr-find', flags.json === true);
    const startLr = positive('--start-lr', flags.startLr, LR_FIND_DEFAULTS.startLr);
    const endLr = positive('--end-lr', flags.endLr, LR_FIND_DEFAULTS.endLr);
    if (!(endLr > startLr))
      throw new UsageError(`--end-lr ${endLr} must be larger than --start-lr ${startLr}.`, '--end-lr', endLr);
    const stepsText = flags.steps ?? String(LR_FIND_DEFAULTS.steps);
    const steps = Number(stepsText);
    if (!Number.isSafeInteger(steps) || steps < 10)
      throw new UsageError(`--steps must be an integer >= 10, got "${stepsText}".`, '--steps', stepsText);
    const { config, warnings } = configFromCommand(cmd, flags.config);
    for (const w of warnings) out.warn(w);
    const threads = threadsFor(flags.threads, [config.backend]);
    const knobs = knobsLabel(config);
    const dir = new RunDir(flags.out ?? timestampedDir('runs', `lr-find${knobs !== '' ? `-${knobs}` : ''}`));
    if (dir.isRun())
      throw new UsageError(`--out ${dir.path} is a run directory; choose another --out.`, '--out', dir.path);
    const bar = new StepBar(out.interactive && !out.json);
    const stop = stopOnSignals((line) => out.note(line));
    stop.onForcedExit(() => bar.stop());
    stop.watch([dir.path, dir.chartsDir]);
    bar.start(steps, 0, 'lr-find');
    let result: Awaited<ReturnType<typeof findLearningRate>>;
    try {
      result = await findLearningRate(config, {
        startLr,
        endLr,
        steps,
        ...(threads !== undefined ? { threads } : {}),
        signal: stop.signal,
        onStep: (s) => bar.update(s),
      });
    } finally {
      bar.stop();
      stop.dispose();
    }
    const chart = await writeLrFind(dir, result);
    out.result({ ...result, dir: dir.path, charts: chart });
    const shown = relative(process.cwd(), dir.path) || '.';
    out.line(
      `lr-find: ${result.points.length} steps of ${config.optimizer} from ${startLr} to ${result.points.at(-1)?.learningRate.toPrecision(3) ?? '-'} on ${result.backend}`,
    );
    if (result.stopped !== null) out.line(`stopped early: ${result.stopped}`);
    if (result.suggestion === null) {
      out.line('no suggestion: too few finite losses; widen the range or lower --start-lr.');
    } else {
      out.line(
        `minimum of the smoothed loss ${result.minimum?.smoothed.toFixed(4)} at learning rate ${result.minimum?.learningRate.toPrecision(3)}`,
      );
      if (result.steepest !== null)
        out.line(`steepest descent at learning rate ${result.steepest.learningRate.toPrecision(3)}`);
      out.line(`suggested learning rate: ${result.suggestion.learningRate} (${result.suggestion.rule})`);
      out.line(`try: opt train --optimizer ${config.optimizer} --learning-rate ${result.suggestion.learningRate}`);
    }
    out.line(`chart: ${relative(process.cwd(), chart[1] as string)}; data in ${shown}/lr-find.csv`);
    if (stop.received() !== null) process.exitCode = stop.received() === 'SIGTERM' ? 143 : 130;
  });
}
