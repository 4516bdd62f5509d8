/**
 * View 4, Fashion-MNIST training: the knobs, start / pause / resume / reset,
 * and live charts of what the worker reports. Training runs in a Web Worker
 * (trainer.ts), so this page only draws.
 */
import * as Plot from '@observablehq/plot';
import type { NormalizeMode } from '@opt/data-fashion-mnist';
import * as Comlink from 'comlink';
import { sectionRef, viewIntro } from '../chapter.js';
import { dataUrl, requestedBackend, wasmPaths } from '../config.js';
import { scheduleControls } from '../schedule-controls.js';
import {
  button,
  chartWidth,
  checkboxField,
  formatNumber,
  h,
  messageLine,
  numberField,
  onWidthChange,
  selectField,
} from '../ui.js';
import {
  type DataSummary,
  DEFAULT_SETTINGS,
  GRID_IMAGES,
  type OptimizerName,
  type RunRecord,
  type RunState,
  type SavedRun,
  type TrainingEvent,
  type TrainingSettings,
  type TrainingSnapshot,
  VALIDATION_COUNT,
} from './protocol.js';
import type { Trainer } from './trainer.js';

type Remote = Comlink.Remote<Trainer>;

export function trainingView(stepTimeLabel: HTMLElement): { element: HTMLElement; snapshot(): TrainingSnapshot } {
  let trainer: Remote | null = null;
  let data: DataSummary | null = null;
  let state: RunState = 'idle';
  let record: RunRecord | null = null;
  let msPerStep = Number.NaN;
  let workerBackend: string | null = null;
  let run: Promise<void> | null = null;

  const root = h('section', { class: 'view', id: 'training', 'aria-labelledby': 'training-title' });
  const message = messageLine('training');
  const dataStatus = h(
    'p',
    { class: 'data-status', 'data-data': 'pending', role: 'status' },
    'Fashion-MNIST: not loaded yet.',
  );
  const workerStatus = h('div', { class: 'worker-status' });
  const offer = h('div', { class: 'offer', hidden: true, role: 'region', 'aria-label': 'Saved run' });

  // Knobs.
  const optimizer = selectField<OptimizerName>({
    label: 'Optimizer',
    name: 'optimizer',
    value: DEFAULT_SETTINGS.optimizer,
    choices: [
      ['SGD', 'SGD (momentum, Nesterov)'],
      ['RMSprop', 'RMSprop'],
      ['Adam', 'Adam'],
    ],
    onChange: (name) => {
      learningRate.set(name === 'SGD' ? 0.01 : 0.001);
      showKnobs();
    },
  });
  const learningRate = numberField({
    label: 'learningRate',
    name: 'learning-rate',
    value: DEFAULT_SETTINGS.learningRate,
    min: 0,
  });
  const momentum = numberField({ label: 'momentum', name: 'train-momentum', value: 0, min: 0, max: 1, step: 0.05 });
  const nesterov = checkboxField({ label: 'nesterov', name: 'nesterov', checked: false });
  const rho = numberField({ label: 'rho', name: 'train-rho', value: DEFAULT_SETTINGS.rho, min: 0, max: 1, step: 0.01 });
  const beta1 = numberField({
    label: 'beta1',
    name: 'train-beta1',
    value: DEFAULT_SETTINGS.beta1,
    min: 0,
    max: 1,
    step: 0.01,
  });
  const beta2 = numberField({
    label: 'beta2',
    name: 'train-beta2',
    value: DEFAULT_SETTINGS.beta2,
    min: 0,
    max: 1,
    step: 0.001,
  });
  const epsilon = numberField({ label: 'epsilon', name: 'train-epsilon', value: DEFAULT_SETTINGS.epsilon, min: 0 });
  const showKnobs = () => {
    const name = optimizer.value();
    momentum.element.hidden = name === 'Adam';
    nesterov.element.hidden = name !== 'SGD';
    rho.element.hidden = name !== 'RMSprop';
    beta1.element.hidden = name !== 'Adam';
    beta2.element.hidden = name !== 'Adam';
    epsilon.element.hidden = name === 'SGD';
  };
  showKnobs();
  const schedule = scheduleControls('training', DEFAULT_SETTINGS.schedule, () => {});
  const batchSize = numberField({
    label: 'Batch size',
    name: 'batch-size',
    value: DEFAULT_SETTINGS.batchSize,
    min: 1,
    step: 1,
  });
  const epochs = numberField({ label: 'Epochs', name: 'epochs', value: DEFAULT_SETTINGS.epochs, min: 1, step: 1 });
  const perClass = selectField<string>({
    label: 'Training images',
    name: 'per-class',
    value: String(DEFAULT_SETTINGS.perClass),
    choices: [
      ['100', '1,000 (100 per class)'],
      ['600', '6,000 (600 per class)'],
      ['2000', '20,000 (2,000 per class)'],
      ['all', `all ${(60000 - VALIDATION_COUNT).toLocaleString('en')}`],
    ],
  });
  const batchNorm = checkboxField({
    label: 'BatchNormalization (Dense → BN → ReLU)',
    name: 'batch-norm',
    checked: false,
  });
  const normalize = selectField<NormalizeMode>({
    label: 'Input normalization',
    name: 'normalize',
    value: DEFAULT_SETTINGS.normalize,
    choices: [
      ['none', 'none (pixels 0 to 255)'],
      ['rescale', 'rescale (x / 255)'],
      ['standardize', 'standardize ((x / 255 - mean) / std)'],
    ],
  });
  const knobs = h(
    'fieldset',
    { class: 'knobs' },
    h('legend', {}, 'Knobs (for the next start)'),
    optimizer.element,
    learningRate.element,
    momentum.element,
    nesterov.element,
    rho.element,
    beta1.element,
    beta2.element,
    epsilon.element,
    schedule.element,
    batchSize.element,
    epochs.element,
    perClass.element,
    batchNorm.element,
    normalize.element,
  );

  function settings(): TrainingSettings {
    const name = optimizer.value();
    return {
      optimizer: name,
      learningRate: learningRate.value(),
      momentum: name === 'Adam' ? 0 : momentum.value(),
      nesterov: name === 'SGD' && nesterov.value(),
      rho: rho.value(),
      beta1: beta1.value(),
      beta2: beta2.value(),
      epsilon: epsilon.value(),
      schedule: schedule.settings(),
      batchSize: batchSize.value(),
      epochs: epochs.value(),
      batchNorm: batchNorm.value(),
      normalize: normalize.value(),
      perClass: perClass.value() === 'all' ? null : Number(perClass.value()),
      seed: DEFAULT_SETTINGS.seed,
    };
  }

  const startButton = button('Start', () => void start(false), { 'data-action': 'start' });
  const pauseButton = button('Pause', () => void togglePause(), { 'data-action': 'pause', disabled: true });
  const resetButton = button('Reset', () => void reset(), { 'data-action': 'reset', disabled: true });
  const parityButton = button('Check this backend against cpu', () => void parity(), { 'data-action': 'parity' });
  const parityResult = h('p', { class: 'parity', role: 'status', 'aria-live': 'polite' });
  const progress = h('p', { class: 'progress', 'aria-live': 'off' }, 'No run yet.');

  const lossChart = h('figure', { class: 'chart', 'data-chart': 'loss' });
  const accuracyChart = h('figure', { class: 'chart', 'data-chart': 'accuracy' });
  const rateChart = h('figure', { class: 'chart', 'data-chart': 'learning-rate' });
  const classChart = h('figure', { class: 'chart', 'data-chart': 'per-class' });
  const confusionChart = h('figure', { class: 'chart', 'data-chart': 'confusion' });
  const gridFigure = h('figure', { class: 'image-grid', 'data-chart': 'test-images' });

  root.append(
    h('h2', { id: 'training-title' }, 'Fashion-MNIST training'),
    viewIntro(
      ['process', 'normalize', 'batchNorm', 'workflow'],
      'the training and validation curves as you change one knob at a time: input normalization, BatchNorm, the optimizer and its learning rate, the schedule, the batch size.',
    ),
    dataStatus,
    workerStatus,
    offer,
    h(
      'div',
      { class: 'split' },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        h('div', { class: 'button-row' }, startButton, pauseButton, resetButton),
        progress,
        message.element,
        knobs,
        h('p', { class: 'hint' }, 'Inputs: ', sectionRef('normalize'), '. BatchNorm: ', sectionRef('batchNorm'), '.'),
        h('div', { class: 'button-row' }, parityButton),
        parityResult,
      ),
      h(
        'div',
        { class: 'chart-area charts' },
        lossChart,
        accuracyChart,
        rateChart,
        classChart,
        confusionChart,
        gridFigure,
      ),
    ),
  );

  function setState(next: RunState, text?: string): void {
    state = next;
    root.dataset.state = next;
    const active = next === 'running' || next === 'paused' || next === 'preparing' || next === 'stopping';
    startButton.disabled = active || data === null;
    pauseButton.disabled = next !== 'running' && next !== 'paused';
    pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(next === 'paused'));
    resetButton.disabled = !active && record === null;
    parityButton.disabled = active || data === null;
    (knobs as HTMLFieldSetElement).disabled = active;
    if (text !== undefined) message.show(text, next === 'failed' ? 'error' : 'info');
    updateProgress();
  }

  function updateProgress(): void {
    const r = record;
    const step = r?.steps.step.at(-1) ?? 0;
    const epochsDone = r?.epochs.length ?? 0;
    root.dataset.step = String(step);
    root.dataset.epochs = String(epochsDone);
    if (r === null) {
      progress.textContent = state === 'preparing' ? 'Preparing the data and the model…' : 'No run yet.';
      return;
    }
    const last = r.epochs.at(-1)?.logs;
    const lr = r.steps.learningRate.at(-1);
    progress.textContent =
      `${state}: step ${step} (${epochsDone} of ${r.settings.epochs} epochs, ${r.stepsPerEpoch} steps each)` +
      (lr === undefined ? '' : `, learning rate ${formatNumber(lr)}`) +
      (last?.val_accuracy === undefined ? '' : `, validation accuracy ${(last.val_accuracy * 100).toFixed(1)}%`);
  }

  /** A reset is in progress (it ends in 'idle' once the run and its record are gone). */
  let resetting = false;
  const onEvent = (event: TrainingEvent): void => {
    switch (event.kind) {
      case 'started':
        record = event.record;
        drawAll();
        break;
      case 'step':
        if (record === null) return;
        msPerStep = event.msPerStep;
        if (Number.isFinite(msPerStep)) {
          stepTimeLabel.textContent = `training step: ${msPerStep.toFixed(1)} ms on ${workerBackend ?? '?'} (worker)`;
          stepTimeLabel.dataset.msPerStep = String(msPerStep);
        }
        record.steps.step.push(event.step);
        record.steps.loss.push(event.loss);
        record.steps.learningRate.push(event.learningRate);
        scheduleDraw();
        break;
      case 'epoch':
        if (record === null) return;
        record.epochs.push({ epoch: event.epoch, step: event.step, logs: event.logs });
        record.confusion = event.confusion;
        record.perClassAccuracy = event.perClassAccuracy;
        record.predictions = event.predictions;
        drawAll();
        break;
      case 'saved':
        message.show(
          `Checkpoint saved to IndexedDB after epoch ${event.epoch} (step ${event.step}): a reload can continue from here.`,
          'info',
        );
        break;
      case 'state':
        // During a reset the worker's "idle" for the stopped run comes before the run is cleared: reset() sets
        // the state itself once it has finished.
        if (!resetting) setState(event.state, event.message);
        break;
    }
    updateProgress();
  };
  const listener = Comlink.proxy(onEvent);

  async function ensureWorker(): Promise<Remote> {
    if (trainer !== null) return trainer;
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'opt-training' });
    worker.addEventListener('error', (event) => {
      setState(
        'failed',
        `The training worker stopped: ${event.message || 'it could not load'}. Reload the page to try again.`,
      );
    });
    trainer = Comlink.wrap<Trainer>(worker);
    const choice = await trainer.start(requestedBackend().request, wasmPaths);
    workerBackend = choice.report.backend;
    workerStatus.replaceChildren(
      h(
        'p',
        {},
        'Training runs in a Web Worker on ',
        h('strong', { 'data-worker-backend': choice.report.backend }, choice.report.backend),
        choice.report.backend === 'webgl'
          ? ' (WebGL through an OffscreenCanvas).'
          : choice.report.backend === 'webgpu'
            ? " (WebGPU, the worker's own device)."
            : '.',
      ),
      choice.reason === null ? '' : h('p', { class: 'backend-reason', 'data-backend-reason': 'worker' }, choice.reason),
      choice.notice === null ? '' : h('p', { class: 'notice', role: 'alert', 'data-notice': 'worker' }, choice.notice),
    );
    return trainer;
  }

  async function loadData(): Promise<void> {
    const t = await ensureWorker();
    dataStatus.dataset.data = 'loading';
    dataStatus.textContent = `Fashion-MNIST: loading from ${dataUrl}…`;
    const loaded = new Map<string, number>();
    const onProgress = Comlink.proxy((p: { file: string; loadedBytes: number }) => {
      loaded.set(p.file, p.loadedBytes);
      const mb = [...loaded.values()].reduce((a, b) => a + b, 0) / 2 ** 20;
      dataStatus.textContent = `Fashion-MNIST: loading from ${dataUrl}… ${mb.toFixed(1)} MiB`;
    });
    try {
      data = await t.loadData(dataUrl, onProgress);
      dataStatus.dataset.data = 'ready';
      dataStatus.textContent = `Fashion-MNIST: ${data.trainCount.toLocaleString('en')} training and ${data.testCount.toLocaleString('en')} test images, verified (sha256), from ${dataUrl}`;
      drawGrid();
    } catch (error) {
      dataStatus.dataset.data = 'missing';
      dataStatus.replaceChildren(...dataHelp(error instanceof Error ? error.message : String(error)));
    }
    setState(state);
  }

  async function offerSaved(): Promise<void> {
    if (data === null) return; // nothing can continue without the data
    const t = await ensureWorker();
    let saved: SavedRun | null;
    try {
      saved = await t.saved();
    } catch (error) {
      // A damaged checkpoint, or one from another version of the demo: say so, and let the user remove it.
      offer.hidden = false;
      offer.replaceChildren(
        h('p', {}, `A saved run cannot be continued: ${error instanceof Error ? error.message : String(error)}`),
        h(
          'div',
          { class: 'button-row' },
          button('Discard it', () => void discard(), { 'data-action': 'discard' }),
        ),
      );
      return;
    }
    if (saved === null) {
      offer.hidden = true;
      return;
    }
    const s = saved.record.settings;
    offer.hidden = false;
    offer.replaceChildren(
      h(
        'p',
        {},
        `A run from earlier is saved in this browser: ${s.optimizer} (learning rate ${s.learningRate}), `,
        h('span', { 'data-saved-step': String(saved.step) }, `step ${saved.step}`),
        `, ${saved.epoch} of ${s.epochs} epochs.`,
      ),
      h(
        'div',
        { class: 'button-row' },
        button('Continue it', () => void start(true), { 'data-action': 'continue' }),
        button('Discard it', () => void discard(), { 'data-action': 'discard' }),
      ),
    );
  }

  async function start(continueSaved: boolean): Promise<void> {
    if (data === null) return;
    const t = await ensureWorker();
    message.show('', 'info');
    offer.hidden = true;
    record = null;
    setState('preparing');
    drawAll();
    run = t.train(settings(), listener, continueSaved).then(
      () => {
        run = null;
      },
      (error: unknown) => {
        run = null;
        setState('failed', error instanceof Error ? error.message : String(error));
      },
    );
  }

  async function togglePause(): Promise<void> {
    const t = await ensureWorker();
    if (state === 'paused') await t.resume();
    else if (state === 'running') await t.pause();
  }

  async function reset(): Promise<void> {
    const t = await ensureWorker();
    resetting = true;
    try {
      if (run !== null) {
        setState('stopping');
        await t.stop();
        await run;
        run = null;
      }
      await t.discardSaved();
      record = null;
      msPerStep = Number.NaN;
      stepTimeLabel.textContent = 'training step: not running';
      delete stepTimeLabel.dataset.msPerStep;
      setState('idle', '');
      drawAll();
    } finally {
      resetting = false;
    }
  }

  async function discard(): Promise<void> {
    const t = await ensureWorker();
    await t.discardSaved();
    offer.hidden = true;
  }

  async function parity(): Promise<void> {
    const t = await ensureWorker();
    parityButton.disabled = true;
    parityResult.textContent = 'Running one step here and one on cpu…';
    try {
      const r = await t.parity(settings());
      const ok = r.maxWeightDifference < 1e-5 && Math.abs(r.loss.here - r.loss.cpu) < 1e-5;
      parityResult.dataset.maxWeightDifference = String(r.maxWeightDifference);
      parityResult.dataset.lossDifference = String(Math.abs(r.loss.here - r.loss.cpu));
      parityResult.textContent =
        `One SGD step (learning rate 0.1) on the first batch: loss ${r.loss.here.toFixed(7)} on ${r.backend}, ${r.loss.cpu.toFixed(7)} on cpu; ` +
        `largest weight difference ${r.maxWeightDifference.toExponential(2)} over ${r.weightCount.toLocaleString('en')} weights` +
        (ok ? ' (agree to 1e-5).' : ' (more than 1e-5 apart!).');
    } catch (error) {
      parityResult.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      setState(state);
    }
  }

  // Charts: each drawn in a task of its own (a timer between them), so the page never stalls for the whole
  // set; the step curves at most every 500 ms while training, the evaluation charts after each epoch.
  const jobs = new Set<() => void>();
  let pumping = false;
  function queue(...draws: Array<() => void>): void {
    for (const d of draws) jobs.add(d);
    if (pumping) return;
    pumping = true;
    setTimeout(pump, 0);
  }
  function pump(): void {
    const next = jobs.values().next();
    if (next.done === true) {
      pumping = false;
      return;
    }
    jobs.delete(next.value);
    next.value();
    setTimeout(pump, 0);
  }
  let stepTimer: ReturnType<typeof setTimeout> | null = null;
  function scheduleDraw(): void {
    if (stepTimer !== null) return;
    stepTimer = setTimeout(() => {
      stepTimer = null;
      queue(drawLoss, drawRate);
    }, 500);
  }
  const drawAll = (): void => queue(drawLoss, drawAccuracy, drawRate, drawPerClass, drawConfusion, drawGrid);

  const COLORS = {
    domain: ['training (batch)', 'training (epoch mean)', 'validation'],
    range: ['#9bb0d9', '#4269d0', '#ff725c'],
  };
  const stepRows = () => {
    const r = record;
    return r === null
      ? []
      : r.steps.step.map((step, i) => ({
          step,
          loss: r.steps.loss[i] as number,
          lr: r.steps.learningRate[i] as number,
        }));
  };
  /** The same step axis on the three step charts, so they line up. */
  const stepAxis = () => ({ label: 'step', domain: [0, Math.max(1, record?.steps.step.at(-1) ?? 1)], tickFormat: 'd' });
  const epochRows = () =>
    (record?.epochs ?? []).flatMap((e) => [
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
    const names = data?.classNames ?? [];
    const confusion = record?.confusion ?? null;
    const accuracy = record?.perClassAccuracy ?? null;
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
    const predictions = record?.predictions ?? null;
    gridCells.forEach((cell, i) => {
      const truth = data?.gridLabels[i] as number;
      const predicted = predictions?.[i];
      const wrong = predicted !== undefined && predicted !== truth;
      cell.item.classList.toggle('wrong', wrong);
      cell.item.dataset.true = String(truth);
      cell.item.dataset.predicted = predicted === undefined ? '' : String(predicted);
      cell.caption.textContent =
        predicted === undefined
          ? `${names[truth]}`
          : wrong
            ? `✗ ${names[predicted]} (is ${names[truth]})`
            : `✓ ${names[predicted]}`;
      cell.item.setAttribute('aria-label', cell.caption.textContent);
    });
  }

  onWidthChange(lossChart, () => drawAll());

  let shown = false;
  root.addEventListener('view-shown', () => {
    if (shown) return drawAll();
    shown = true;
    setState('idle');
    drawAll();
    void loadData().then(() => offerSaved());
  });

  return {
    element: root,
    snapshot: () => ({
      state,
      backend: workerBackend,
      step: record?.steps.step.at(-1) ?? 0,
      epochsDone: record?.epochs.length ?? 0,
      msPerStep,
      trainLoss: record?.steps.loss.slice() ?? [],
      epochs: structuredClone(record?.epochs ?? []),
    }),
  };
}

function replaceChart(figure: HTMLElement, caption: string, plot: Element): void {
  figure.replaceChildren(h('figcaption', {}, caption), plot);
}

/** What to do when the data cannot be loaded, with the loader's own message. */
function dataHelp(reason: string): Node[] {
  return [
    h('strong', {}, 'Fashion-MNIST is not reachable, so training is off (the other views work without it). '),
    h('span', { class: 'reason' }, reason),
    h(
      'span',
      {},
      ' To fix it: with `pnpm demo` or `pnpm --filter @opt/demo preview`, install Debian’s dataset-fashion-mnist package, ' +
        'or set FASHION_MNIST_DIR to a folder with the four files, and reload. For a static copy of the site, put ' +
        'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz ' +
        `at ${dataUrl}, or open the page with ?data=<a URL that serves them>.`,
    ),
  ];
}
