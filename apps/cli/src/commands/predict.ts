/** `opt predict DIR --index 0..9`: a saved run's prediction for test images chosen by index. */
import { tf } from '@opt/tensor';
import type { Command } from 'commander';
import { UsageError } from '../cli/errors.js';
import { Output } from '../cli/output.js';
import { type SavedRunFlags, savedRunCommand } from '../cli/saved-run-command.js';
import { loadSavedRun, onTestSet } from '../run/saved-run.js';
import { percent } from '../ui/format.js';
import { table } from '../ui/table.js';

const MAX_INDICES = 1000;

/** `3`, `0..9`, `1,5,7`, `0..4,100`: test image indices in [0, count). */
export function parseIndices(text: string, count: number): number[] {
  const out: number[] = [];
  const bad = () =>
    new UsageError(
      `--index must be indices of test images in [0, ${count - 1}] such as 0, 0..9 or 1,5,7, got "${text}".`,
      '--index',
      text,
    );
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw bad();
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= count) throw bad();
    for (let i = from; i <= to; i++) out.push(i);
    if (out.length > MAX_INDICES)
      throw new UsageError(
        `--index selects more than ${MAX_INDICES} images; use opt evaluate for the whole test set.`,
        '--index',
        text,
      );
  }
  return out;
}

interface PredictFlags extends SavedRunFlags {
  index?: string;
}

export function registerPredictCommand(program: Command): void {
  savedRunCommand(
    program,
    'predict',
    "Predict the class of test images with a run's checkpoint, with the probability of each class.",
    [
      'opt predict runs/20261201-101500-defaults --index 0..9',
      'opt predict runs/20261201-101500-defaults --index 42 --json',
    ],
  )
    .option('--index <indices>', 'test images by index: 3, 0..9 or 1,5,7 (default 0..9)')
    .action(async (path: string, flags: PredictFlags) => {
      const out = new Output('predict', flags.json === true);
      const indices = parseIndices(flags.index ?? '0..9', 10_000);
      const run = await loadSavedRun(path, flags.checkpoint, flags.backend);
      const probabilities = await onTestSet(run, async (x) => {
        const rows = tf.gather(x, Int32Array.from(indices));
        const p = run.model.predict(rows, { batchSize: 1024 });
        const values = Float32Array.from(await p.data());
        tf.dispose([rows, p]);
        return values;
      });
      const k = run.classNames.length;
      const predictions = indices.map((index, i) => {
        const probs = Array.from(probabilities.subarray(i * k, (i + 1) * k));
        const predicted = probs.indexOf(Math.max(...probs));
        const label = run.test.labels[index] as number;
        return {
          index,
          label,
          labelName: run.classNames[label] as string,
          predicted,
          predictedName: run.classNames[predicted] as string,
          correct: predicted === label,
          probabilities: probs,
        };
      });
      out.result(predictions);
      const top = (probs: number[]) =>
        probs
          .map((p, c) => [p, c] as const)
          .sort((a, b) => b[0] - a[0])
          .slice(0, 3)
          .map(([p, c]) => `${run.classNames[c]} ${percent(p)}`)
          .join(', ');
      out.line(
        table(
          ['index', 'true class', 'predicted', 'probability', 'top 3'],
          predictions.map((p) => [
            p.index,
            p.labelName,
            `${p.predictedName}${p.correct ? '' : ' (wrong)'}`,
            percent(p.probabilities[p.predicted]),
            top(p.probabilities),
          ]),
          out.out.bold,
        ),
      );
    });
}
