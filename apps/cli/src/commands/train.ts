/** `opt train`: one run of the chapter's MLP into a run directory; `--resume` continues one. */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { EXIT, UsageError } from '../cli/errors.js';
import { configFromCommand, withKnobs } from '../cli/knob-options.js';
import { Output } from '../cli/output.js';
import { EXIT_FOR, stopOnSignals } from '../cli/signals.js';
import { THREADS_HELP, threadsFor } from '../cli/threads.js';
import { KNOBS, type TrainConfig } from '../config/knobs.js';
import { checkDataDir } from '../run/data.js';
import { exportCompleteRun } from '../run/export-tfjs.js';
import { defaultRunDir } from '../run/naming.js';
import { RunDir } from '../run/run-dir.js';
import { newRunTarget, resumeTarget } from '../run/run-target.js';
import { type RunResult, trainRun } from '../run/train-run.js';
import { fixed, sparkline } from '../ui/format.js';
import { runPrinter } from '../ui/run-printer.js';

export interface TrainFlags {
  out?: string;
  resume?: string;
  config?: string;
  note?: string;
  json?: boolean;
  threads?: string;
  exportTfjs?: boolean;
  /** false with --no-charts. */
  charts?: boolean;
}

const EXAMPLES = `
Examples:
  $ opt train                                             the chapter's MLP, Adam, 5 epochs, all of Fashion-MNIST
  $ opt train --optimizer momentum --learning-rate 0.05   SGD with momentum 0.9
  $ opt train --decay-rate 0.5                            the chapter's lr0 / (1 + 0.5 epoch)
  $ opt train --schedule cosine --warmup-steps 500 --learning-rate 0.003 --epochs 20
  $ opt train --batch-norm --per-class 500 --epochs 3 --json
  $ opt train --batch-size full --epochs 50               batch gradient descent
  $ opt train --config run.yaml --note "lower rate"       knobs from a JSON/YAML file, flags on top
  $ opt train --resume runs/20261201-101500-defaults      continue an interrupted run
  $ opt train --export-tfjs                               also write <run>/tfjs/model.json for tf.loadLayersModel

A run writes its directory (--out, default runs/<time>-<knobs that differ from the defaults>): config.json,
history.json/.csv, checkpoints/best and last, result.json, charts/*.svg and *.png; status.json says complete
at the very end. Ctrl-C stops after the current step with a checkpoint (exit 130); --resume continues it.`;

export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description(
      "Train the chapter's Fashion-MNIST MLP (784-256-128-10) into a run directory and report train, validation and test loss and accuracy.",
    )
    .option('--out <dir>', 'run directory to create (default: runs/<time>-<knobs that differ from the defaults>)')
    .option(
      '--resume <dir>',
      'continue the interrupted run in <dir> with its own config, to the same weights as an uninterrupted run',
    )
    .option(
      '--config <file>',
      'knobs from a JSON or YAML file (camelCase names, e.g. learningRate); flags override them',
    )
    .option('--note <text>', 'a note stored with the run (opt runs list/show print it)')
    .option('--threads <n>', THREADS_HELP)
    .option(
      '--export-tfjs',
      'at the end, also write the model as a tfjs-layers model to <run>/tfjs (model.json + weights.bin; raw pixels in); with --resume of a complete run, just that',
    )
    .option(
      '--no-charts',
      "skip the run's SVG/PNG charts (about half a CPU-second a run: for many runs from a script); history.csv and history.json hold their numbers",
    )
    .option('--json', 'print one JSON object (the run result) on stdout instead of text');
  withKnobs(command, EXAMPLES, train);
}

async function train(flags: TrainFlags, command: Command): Promise<number> {
  const out = new Output('train', flags.json === true);
  let config: TrainConfig;
  let warnings: string[] = [];
  let runDir: string;
  const resume = flags.resume !== undefined;
  if (resume) {
    const typed = KNOBS.filter((k) => command.getOptionValueSource(k.key) === 'cli').map((k) => `--${k.flag}`);
    const extra = [
      ...typed,
      ...(['out', 'config', 'note'] as const).filter((f) => flags[f] !== undefined).map((f) => `--${f}`),
    ];
    if (extra.length > 0) {
      throw new UsageError(`--resume continues a run with its own config; leave out ${extra.join(', ')}.`, extra[0]);
    }
    const { dir, record } = resumeTarget(flags.resume as string);
    if (dir.status()?.state === 'complete') {
      const result = dir.readJson<RunResult>('result.json');
      if (flags.exportTfjs === true) {
        const path = await exportCompleteRun(dir, record);
        out.note(`tfjs-layers model: ${path} (784 pixel values 0..255 in; tf.loadLayersModel)`);
        out.result(result);
        return EXIT.ok;
      }
      out.line(`${dir.path}: the run is already complete; nothing to resume (opt runs show ${flags.resume}).`);
      out.result(result);
      return EXIT.ok;
    }
    config = record.config;
    runDir = dir.path;
  } else {
    ({ config, warnings } = configFromCommand(command, flags.config));
    runDir = flags.out ?? defaultRunDir(config);
    newRunTarget(runDir); // checked here, before the backend and the data load, and again by trainRun
  }
  for (const warning of warnings) out.warn(warning);
  if (config.dataDir !== null) checkDataDir(config.dataDir);
  const threads = threadsFor(flags.threads, [config.backend]);

  const printer = runPrinter(out, config.optimizer);
  const stop = stopOnSignals((line) => {
    printer.bar.stop();
    out.note(line);
  });
  stop.onForcedExit(() => printer.bar.stop());
  stop.watch(new RunDir(runDir).writableDirs);
  let result: RunResult;
  try {
    result = await trainRun({
      config,
      runDir,
      resume,
      note: flags.note ?? null,
      command: ['opt', ...process.argv.slice(2)],
      warnings,
      exportTfjs: flags.exportTfjs === true,
      charts: flags.charts !== false,
      ...(threads !== undefined ? { threads } : {}),
      signal: stop.signal,
      onEvent: printer,
    });
  } finally {
    printer.bar.stop();
    stop.dispose();
  }
  const shown = relative(process.cwd(), result.runDir) || '.';
  if (result.status === 'interrupted') {
    out.note(`interrupted (${result.message}); checkpoint saved. Resume with: opt train --resume ${shown}`);
    out.result(result);
    return EXIT_FOR[stop.received() ?? 'SIGINT'];
  }
  const valLoss = result.history.val_loss ?? [];
  if (valLoss.length > 0)
    out.line(`val_loss by epoch: ${sparkline(valLoss)} (${fixed(valLoss[0])} -> ${fixed(valLoss.at(-1))})`);
  if (result.status === 'diverged') {
    out.note(`diverged: run kept in ${shown} (status diverged); \`opt runs show ${shown}\` shows its history.`);
    out.result(result);
    return EXIT.failure;
  }
  if (result.message !== null) out.line(result.message);
  out.line(
    `saved: ${shown} (best val_accuracy ${fixed(result.best?.val_accuracy)} at epoch ${result.best?.epoch ?? '-'}; checkpoints/best and last, history${flags.charts === false ? '' : ', charts/loss.png, accuracy.png, learning-rate.png'})`,
  );
  out.result(result);
  return EXIT.ok;
}
