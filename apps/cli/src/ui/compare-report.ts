/**
 * What `opt compare` prints, shared by the commands that end in a compare's table (`opt sweep`, local or through
 * a queue): one progress line per event of each config on stderr, and the table with each failed row's error.
 */
import { relative } from 'node:path';
import type { Output } from '../cli/output.js';
import type { CompareRow } from '../engine/compare-dir.js';
import type { RunPlanOptions } from '../engine/run-plan.js';
import { fixed, percent, seconds } from './format.js';
import { epochLine } from './run-lines.js';
import { table } from './table.js';

/** `[sgd     ]`: the label padded to the longest one, so the lines of parallel configs line up. */
export function labelTag(labels: readonly string[]): (label: string) => string {
  const width = Math.max(0, ...labels.map((l) => l.length));
  return (label) => `[${label.padEnd(width)}]`;
}

/** Progress of a compare on stderr: epochs, advice, notes, resumes, and how each config ended. */
export function compareProgress(
  out: Output,
  labels: readonly string[],
): Required<Pick<RunPlanOptions, 'onKept' | 'onEvent' | 'onEnd'>> {
  const tag = labelTag(labels);
  return {
    onKept: (label, state, runDir) => out.note(`${tag(label)} already ${state} in ${relative(process.cwd(), runDir)}`),
    onEvent: (label, event) => {
      if (event.type === 'epochEnd') {
        out.note(epochLine(event, tag(label)));
      } else if (event.type === 'advice') out.note(`${tag(label)} advice: ${event.advice.message}`);
      else if (event.type === 'note') out.note(`${tag(label)} ${event.message}`);
      else if (event.type === 'start' && (event.initialEpoch > 0 || event.resumedAtStep > 0)) {
        out.note(`${tag(label)} resuming at epoch ${event.initialEpoch + 1}, step ${event.resumedAtStep + 1}`);
      }
    },
    onEnd: (label, outcome) => {
      if (!outcome.ok)
        out.note(
          `${tag(label)} ${outcome.error.kind === 'not started' ? 'not started' : 'failed'}: ${outcome.error.message}`,
        );
      else if (outcome.result.status !== 'interrupted') {
        out.note(`${tag(label)} ${outcome.result.status}: test accuracy ${fixed(outcome.result.test?.accuracy)}`);
      }
    },
  };
}

/** The compare table on stdout, then one line per row that did not complete, with its error. */
export function printCompareTable(out: Output, rows: readonly CompareRow[], target: number): void {
  const targetText = percent(target, 0);
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
        r.epochs === 0 ? '-' : seconds(r.trainSeconds),
      ]),
      out.out.bold,
    ),
  );
  for (const r of rows)
    if (r.status !== 'complete' && r.error !== null) out.line(`${r.label}: ${r.status}: ${r.error}`);
}
