/** A run's events as the text report of `opt train`: one line per stage and per epoch, a bar on a terminal. */
import { relative } from 'node:path';
import type { Output } from '../cli/output.js';
import type { RunEvent } from '../run/train-run.js';
import { fixed, sparkline } from './format.js';
import { StepBar } from './progress.js';
import { epochLine } from './run-lines.js';

/** The optimizer's knobs in Keras's words, leaving out unset options and the EMA when it is off. */
export function describeOptimizerConfig(config: Record<string, unknown>): string {
  const quiet = new Set([
    'nonFiniteGradients',
    'excludeFromWeightDecay',
    ...(config.useEma === true ? [] : ['useEma', 'emaMomentum', 'emaOverwriteFrequency']),
  ]);
  return Object.entries(config)
    .filter(([key, value]) => value !== null && value !== undefined && !quiet.has(key))
    .map(([key, value]) => `${key}: ${key === 'innerOptimizer' ? describeInner(value) : describeValue(value)}`)
    .join(', ');
}

/** A wrapper's inner optimizer `{ className, config }` as `SGD(momentum: 0, ...)`, quiet as the outer one. */
function describeInner(value: unknown): string {
  const { className, config } = value as { className: string; config: Record<string, unknown> };
  return `${className}(${describeOptimizerConfig(config)})`;
}

/** A schedule's `{ className, config }` as `InverseTimeDecay(decaySteps: 430, ...)`. */
function describeValue(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const { className, config } = value as { className?: unknown; config?: Record<string, unknown> };
  if (typeof className !== 'string' || config === undefined) return JSON.stringify(value);
  const args = Object.entries(config).filter(([key, v]) => key !== 'name' && v !== null && v !== undefined);
  return `${className}(${args.map(([key, v]) => `${key}: ${describeValue(v)}`).join(', ')})`;
}

export interface Printer {
  (event: RunEvent): void;
  readonly bar: StepBar;
}

/** Prints a run's progress; `optimizerName` is the preset's name as the user knows it (sgd, adam). */
export function runPrinter(out: Output, optimizerName: string): Printer {
  const bar = new StepBar(out.interactive && !out.json);
  const downloading = new Set<string>();
  let trainCount = 0;
  let validationCount = 0;
  const print = ((event: RunEvent) => {
    switch (event.type) {
      case 'backend': {
        const skipped = event.report.skipped.map((s) => s.backend);
        const threads = event.report.threads?.count;
        const on = threads === undefined ? '' : ` on ${threads} thread${threads === 1 ? '' : 's'}`;
        out.line(
          `backend: ${event.report.backend}${on}${skipped.length > 0 ? ` (skipped ${skipped.join(', ')})` : ''}`,
        );
        break;
      }
      case 'download':
        // Only a download is worth a word (on stderr, so --json output stays one object): local copies load in a blink.
        if (event.phase === 'download' && !downloading.has(event.file)) {
          downloading.add(event.file);
          out.note(`downloading ${event.file}...`);
        } else if (event.phase === 'done' && downloading.has(event.file)) {
          out.note(`downloaded ${event.file} (${(event.loadedBytes / 2 ** 20).toFixed(1)} MiB, sha256 verified)`);
        }
        break;
      case 'data':
        trainCount = event.trainCount;
        validationCount = event.validationCount;
        out.line(`data: ${event.datasetTrainCount} training and ${event.testCount} test images from ${event.source}`);
        break;
      case 'start':
        out.line(`model: ${event.model}; ${optimizerName}(${describeOptimizerConfig(event.optimizer.config)})`);
        out.line(
          `training on ${trainCount} images (${event.stepsPerEpoch} steps of ${event.batchSize} per epoch), validating on ${validationCount}`,
        );
        out.line(`run: ${relative(process.cwd(), event.runDir) || '.'}`);
        if (event.initialEpoch > 0 || event.resumedAtStep > 0) {
          out.line(
            `resuming at epoch ${event.initialEpoch + 1}${event.resumedAtStep > 0 ? `, step ${event.resumedAtStep + 1} of ${event.stepsPerEpoch}` : ''}`,
          );
        }
        break;
      case 'epochBegin':
        bar.start(event.steps, event.firstStep, `epoch ${event.epoch}/${event.epochs}`);
        break;
      case 'step':
        bar.update(event.step);
        break;
      case 'epochEnd': {
        bar.stop();
        const trend = out.interactive && !out.json ? `  val_loss ${sparkline(event.valLoss)}` : '';
        out.line(`${epochLine(event)}${trend}`);
        break;
      }
      case 'advice':
        bar.stop();
        out.advice(event.advice.message);
        break;
      case 'note':
        bar.stop();
        out.note(event.message);
        break;
      case 'checkpoint':
        break;
      case 'test':
        out.line(`test: loss ${fixed(event.loss)} accuracy ${fixed(event.accuracy)}`);
        break;
    }
  }) as Printer;
  Object.defineProperty(print, 'bar', { value: bar });
  return print;
}
