/**
 * The training view's charts, drawn with Observable Plot from the run's record: the loss and learning rate per
 * step, the accuracy after each epoch, the per-class accuracy, the confusion matrix and the test-image grid.
 */
import * as Plot from '@observablehq/plot';
import { chartWidth, h } from '../../ui.js';
import { type DataSummary, GRID_IMAGES, type RunRecord, VALIDATION_COUNT } from '../protocol.js';

export interface TrainingCharts {
  /** The figures, in page order. */
  readonly figures: readonly HTMLElement[];
  readonly drawLoss: () => void;
  readonly drawAccuracy: () => void;
  readonly drawRate: () => void;
  readonly drawPerClass: () => void;
  readonly drawConfusion: () => void;
  readonly drawGrid: () => void;
}

/** The charts of the run that `current` returns, with the data that `currentData` returns (null before it loads). */
export function trainingCharts(current: () => RunRecord | null, currentData: () => DataSummary | null): TrainingCharts {
  const lossChart = h('figure', { class: 'chart', 'data-chart': 'loss' });
  const accuracyChart = h('figure', { class: 'chart', 'data-chart': 'accuracy' });
  const rateChart = h('figure', { class: 'chart', 'data-chart': 'learning-rate' });
  const classChart = h('figure', { class: 'chart', 'data-chart': 'per-class' });
  const confusionChart = h('figure', { class: 'chart', 'data-chart': 'confusion' });
  const gridFigure = h('figure', { class: 'image-grid', 'data-chart': 'test-images' });

  const COLORS = {
    domain: ['training (batch)', 'training (epoch mean)', 'validation'],
    range: ['#9bb0d9', '#4269d0', '#ff725c'],
  };
  const stepRows = () => {
    const r = current();
    return r === null
      ? []
      : r.steps.step.map((step, i) => ({
          step,
          loss: r.steps.loss[i] as number,
          lr: r.steps.learningRate[i] as number,
        }));
  };
  /** The same step axis on the three step charts, so they line up. */
  const stepAxis = () => ({
    label: 'step',
    domain: [0, Math.max(1, current()?.steps.step.at(-1) ?? 1)],
    tickFormat: 'd',
  });
  const epochRows = () =>
    (current()?.epochs ?? []).flatMap((e) => [
      { step: e.step, series: 'training (epoch mean)', loss: e.logs.loss, accuracy: e.logs.accuracy },
      { step: e.step, series: 'validation', loss: e.logs.val_loss, accuracy: e.logs.val_accuracy },
    ]);

  function drawLoss(): void {
    const epochsDone = epochRows();
    replaceChart(
      lossChart,
      'Loss (sparse categorical crossentropy)',
      Plot.plot({
        width: chartWidth(lossChart),
        height: 220,
        marginLeft: 50,
        x: stepAxis(),
        y: { label: 'loss', grid: true, zero: true },
        color: { ...COLORS, legend: true },
        marks: [
          Plot.line(stepRows(), { x: 'step', y: 'loss', stroke: () => 'training (batch)', z: null, strokeWidth: 1 }),
          Plot.line(epochsDone, { x: 'step', y: 'loss', stroke: 'series', z: 'series', strokeWidth: 2 }),
          Plot.dot(epochsDone, { x: 'step', y: 'loss', fill: 'series' }),
        ],
      }),
    );
  }

  function drawAccuracy(): void {
    const epochsDone = epochRows();
    replaceChart(
      accuracyChart,
      'Accuracy after each epoch',
      Plot.plot({
        width: chartWidth(accuracyChart),
        height: 200,
        marginLeft: 50,
        x: stepAxis(),
        y: { label: 'accuracy', grid: true, domain: [0, 1], tickFormat: '%' },
        color: { domain: COLORS.domain.slice(1), range: COLORS.range.slice(1), legend: true },
        marks: [
          Plot.line(epochsDone, { x: 'step', y: 'accuracy', stroke: 'series', z: 'series', strokeWidth: 2 }),
          Plot.dot(epochsDone, { x: 'step', y: 'accuracy', fill: 'series' }),
        ],
      }),
    );
  }

  function drawRate(): void {
    replaceChart(
      rateChart,
      'Learning rate',
      Plot.plot({
        width: chartWidth(rateChart),
        height: 140,
        marginLeft: 50,
        x: stepAxis(),
        y: { label: 'learning rate', grid: true, zero: true, tickFormat: '~g', ticks: 3 },
        marks: [Plot.line(stepRows(), { x: 'step', y: 'lr', stroke: '#3ca951', z: null })],
      }),
    );
  }

  /** The confusion matrix's cells and each class's accuracy (computed in the worker), or null before the first epoch. */
  function evaluation() {
    const data = currentData();
    const names = data?.classNames ?? [];
    const confusion = current()?.confusion ?? null;
    const accuracy = current()?.perClassAccuracy ?? null;
    if (confusion === null || accuracy === null || names.length === 0) return null;
    const cells = confusion.map((count, i) => ({
      truth: names[Math.floor(i / 10)] as string,
      predicted: names[i % 10] as string,
      count,
    }));
    const perClass = names.map((name, c) => ({ name, accuracy: accuracy[c] as number }));
    return { names, cells, perClass };
  }

  function drawPerClass(): void {
    const e = evaluation();
    if (e === null) {
      classChart.replaceChildren(h('figcaption', {}, 'Per-class validation accuracy: after the first epoch.'));
      return;
    }
    classChart.dataset.values = JSON.stringify(e.perClass.map((r) => r.accuracy));
    replaceChart(
      classChart,
      `Per-class validation accuracy (${VALIDATION_COUNT.toLocaleString('en')} images)`,
      Plot.plot({
        width: chartWidth(classChart),
        height: 260,
        marginLeft: 90,
        x: { domain: [0, 1], label: 'accuracy', tickFormat: '%', grid: true },
        y: { domain: e.names, label: null },
        marks: [
          Plot.barX(e.perClass, { x: 'accuracy', y: 'name', fill: '#4269d0' }),
          Plot.text(e.perClass, {
            x: 'accuracy',
            y: 'name',
            text: (d: { accuracy: number }) => `${(d.accuracy * 100).toFixed(0)}%`,
            dx: 14,
          }),
        ],
      }),
    );
  }

  function drawConfusion(): void {
    const e = evaluation();
    if (e === null) {
      confusionChart.replaceChildren(h('figcaption', {}, 'Confusion matrix: after the first epoch.'));
      return;
    }
    const side = Math.min(chartWidth(confusionChart), 560);
    replaceChart(
      confusionChart,
      'Confusion matrix (rows: true class, columns: predicted)',
      Plot.plot({
        width: side,
        height: side - 20,
        marginLeft: 90,
        marginBottom: 80,
        x: { domain: e.names, label: 'predicted', tickRotate: -45 },
        y: { domain: e.names, label: 'true' },
        color: { type: 'sqrt', scheme: 'blues' },
        marks: [
          Plot.cell(e.cells, { x: 'predicted', y: 'truth', fill: 'count', inset: 0.5 }),
          Plot.text(e.cells, {
            x: 'predicted',
            y: 'truth',
            text: (d: { count: number }) => (d.count === 0 ? '' : String(d.count)),
            fill: (d: { count: number }) => (d.count > 100 ? 'white' : 'black'),
            fontSize: 9,
          }),
        ],
      }),
    );
  }

  let gridCells: Array<{ canvas: HTMLCanvasElement; caption: HTMLElement; item: HTMLElement }> | null = null;
  function drawGrid(): void {
    const data = currentData();
    if (data === null) return;
    const names = data.classNames;
    if (gridCells === null) {
      const d = data;
      gridCells = Array.from({ length: GRID_IMAGES }, (_, i) => {
        const canvas = h('canvas', { width: 28, height: 28, 'aria-hidden': 'true' });
        const context = canvas.getContext('2d');
        if (context !== null) {
          const image = context.createImageData(28, 28);
          for (let p = 0; p < 784; p++) {
            const v = 255 - (d.gridImages[i * 784 + p] as number);
            image.data.set([v, v, v, 255], p * 4);
          }
          context.putImageData(image, 0, 0);
        }
        const caption = h('figcaption', {});
        const item = h('figure', { class: 'test-image' }, canvas, caption);
        return { canvas, caption, item };
      });
      gridFigure.replaceChildren(
        h('figcaption', {}, `The first ${GRID_IMAGES} test images: predicted label (true label when wrong)`),
        h('div', { class: 'grid' }, ...gridCells.map((c) => c.item)),
      );
    }
    const predictions = current()?.predictions ?? null;
    gridCells.forEach((cell, i) => {
      const truth = data?.gridLabels[i] as number;
      const predicted = predictions?.[i];
      const wrong = predicted !== undefined && predicted !== truth;
      cell.item.classList.toggle('wrong', wrong);
      cell.item.dataset.true = String(truth);
      cell.item.dataset.predicted = predicted === undefined ? '' : String(predicted);
      cell.caption.textContent = gridCaption(names, truth, predicted);
      cell.item.setAttribute('aria-label', cell.caption.textContent);
    });
  }

  return {
    figures: [lossChart, accuracyChart, rateChart, classChart, confusionChart, gridFigure],
    drawLoss,
    drawAccuracy,
    drawRate,
    drawPerClass,
    drawConfusion,
    drawGrid,
  };
}

function replaceChart(figure: HTMLElement, caption: string, plot: Element): void {
  figure.replaceChildren(h('figcaption', {}, caption), plot);
}

/** A grid image's caption: its class before the first epoch, then ✓ the prediction, or ✗ it and the true class. */
function gridCaption(names: readonly string[], truth: number, predicted: number | undefined): string {
  if (predicted === undefined) return `${names[truth]}`;
  if (predicted !== truth) return `✗ ${names[predicted]} (is ${names[truth]})`;
  return `✓ ${names[predicted]}`;
}
