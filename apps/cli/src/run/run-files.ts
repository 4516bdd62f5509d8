/** The files a finished run adds to its directory: the history as CSV and the charts. */
import { type LearningRateSchedule, sampleSchedule } from '@opt/schedules';
import { finite, writeChart } from './charts.js';
import { type RunDir, writeAtomic } from './run-dir.js';
import type { EpochEntry, HistoryFile } from './run-types.js';

export async function writeCsv(dir: RunDir, epochs: readonly EpochEntry[]): Promise<void> {
  const header = 'epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,steps';
  const rows = epochs.map((e) =>
    [e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.learning_rate, e.seconds.toFixed(3), e.steps].join(','),
  );
  await writeAtomic(dir.file('history.csv'), `${[header, ...rows].join('\n')}\n`);
}

/** Loss and accuracy per epoch (train and validation; epoch 0 is the initial weights), the rate per step. */
export async function writeRunCharts(
  dir: RunDir,
  history: HistoryFile,
  schedule: LearningRateSchedule | null,
  stepsPerEpoch: number,
  totalSteps: number,
): Promise<void> {
  const epochs = history.epochs;
  const series = (metric: 'loss' | 'accuracy') => [
    { epoch: 0, split: 'validation', value: finite(history.initial[`val_${metric}`]) },
    ...epochs.flatMap((e) => [
      { epoch: e.epoch, split: 'training', value: finite(e[metric]) },
      { epoch: e.epoch, split: 'validation', value: finite(e[`val_${metric}`]) },
    ]),
  ];
  await writeChart(dir.chartsDir, 'loss', {
    title: 'loss (sparse categorical cross-entropy)',
    values: series('loss'),
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: 'loss' },
    series: { field: 'split', title: 'split' },
    points: true,
  });
  await writeChart(dir.chartsDir, 'accuracy', {
    title: 'accuracy',
    values: series('accuracy'),
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: 'accuracy' },
    series: { field: 'split', title: 'split' },
    points: true,
  });
  const steps = Math.max(1, Math.min(totalSteps, epochs.length * stepsPerEpoch));
  const rates =
    schedule !== null
      ? sampleSchedule(schedule, { steps, points: 400 }).map((p) => ({ step: p.step, learning_rate: p.learningRate }))
      : epochs.flatMap((e) => [
          { step: (e.epoch - 1) * stepsPerEpoch, learning_rate: e.learning_rate },
          { step: e.epoch * stepsPerEpoch - 1, learning_rate: e.learning_rate },
        ]);
  await writeChart(dir.chartsDir, 'learning-rate', {
    title: 'learning rate per step',
    values: rates,
    x: { field: 'step', title: 'optimizer step' },
    y: { field: 'learning_rate', title: 'learning rate' },
  });
}
