/** `opt evaluate DIR`: a saved run on the 10,000 test images: loss, accuracy, per-class accuracy, confusion matrix. */
import { tf } from '@opt/tensor';
import type { Command } from 'commander';
import { Output } from '../cli/output.js';
import { type SavedRunFlags, savedRunCommand } from '../cli/saved-run-command.js';
import { loadSavedRun, onTestSet } from '../run/saved-run.js';
import { fixed, percent } from '../ui/format.js';
import { table } from '../ui/table.js';

export function registerEvaluateCommand(program: Command): void {
  savedRunCommand(
    program,
    'evaluate',
    "Evaluate a run's checkpoint on the test set: loss, accuracy, per-class accuracy and the confusion matrix.",
    [
      'opt evaluate runs/20261201-101500-defaults',
      'opt evaluate runs/20261201-101500-defaults --checkpoint best --json',
    ],
  ).action(async (path: string, flags: SavedRunFlags) => {
    const out = new Output('evaluate', flags.json === true);
    const run = await loadSavedRun(path, flags.checkpoint, flags.backend);
    const labels = run.test.labels;
    const { logs, predicted } = await onTestSet(run, async (x, y) => {
      const logs = (await run.model.evaluate(x, y, { batchSize: 1024 })) as Record<string, number>;
      const probabilities = run.model.predict(x, { batchSize: 1024 });
      const argmax = tf.argMax(probabilities, 1);
      const predicted = Int32Array.from(await argmax.data());
      tf.dispose([probabilities, argmax]);
      return { logs, predicted };
    });
    const k = run.classNames.length;
    // confusion[t][p]: test images of true class t predicted as p.
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < labels.length; i++) {
      const row = confusion[labels[i] as number] as number[];
      const p = predicted[i] as number;
      row[p] = (row[p] as number) + 1;
    }
    const perClass = confusion.map((row, c) => {
      const total = row.reduce((a, b) => a + b, 0);
      return {
        class: c,
        name: run.classNames[c] as string,
        accuracy: total > 0 ? (row[c] as number) / total : Number.NaN,
        count: total,
      };
    });
    const result = {
      runDir: run.dir.path,
      checkpoint: run.which,
      backend: run.backend,
      test: { loss: logs.loss ?? Number.NaN, accuracy: logs.accuracy ?? Number.NaN, count: labels.length },
      perClass,
      classNames: run.classNames,
      confusionMatrix: confusion,
    };
    out.result(result);
    out.line(
      `${path} (checkpoint ${run.which}, ${run.backend}): test loss ${fixed(result.test.loss)} accuracy ${fixed(result.test.accuracy)} on ${labels.length} images`,
    );
    out.line();
    out.line(
      table(
        ['class', 'accuracy', 'images'],
        perClass.map((p) => [`${p.class} ${p.name}`, percent(p.accuracy), p.count]),
        out.out.bold,
      ),
    );
    out.line();
    out.line('confusion matrix (rows: true class, columns: predicted class)');
    out.line(
      table(
        ['', ...run.classNames.map((_, c) => String(c))],
        confusion.map((row, c) => [`${c} ${run.classNames[c]}`, ...row]),
        out.out.bold,
      ),
    );
  });
}
