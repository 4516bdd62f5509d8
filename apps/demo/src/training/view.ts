/**
 * View 4, Fashion-MNIST training: the knobs, start / pause / resume / reset,
 * and live charts of what the worker reports. Training runs in a Web Worker
 * (trainer.ts), so this page only draws. The parts are files of their own: the knobs (knobs.ts), what each run
 * state allows (run-state.ts), the worker (worker-client.ts), the data line (data-status.ts), the saved-run offer
 * (saved-run-offer.ts), the parity check (parity-check.ts) and the charts (charts/); this file wires them.
 */
import * as Comlink from 'comlink';
import { sectionRef, viewIntro } from '../chapter.js';
import { dataUrl } from '../config.js';
import { button, h, messageLine, onWidthChange } from '../ui.js';
import { drawQueue } from './charts/draw-queue.js';
import { trainingCharts } from './charts/training-charts.js';
import { dataStatus } from './data-status.js';
import { knobsForm } from './knobs.js';
import { parityReport } from './parity-check.js';
import type { DataSummary, RunRecord, RunState, SavedRun, TrainingEvent, TrainingSnapshot } from './protocol.js';
import { controls, progressText } from './run-state.js';
import { savedRunOffer } from './saved-run-offer.js';
import { workerClient } from './worker-client.js';

export function trainingView(stepTimeLabel: HTMLElement): { element: HTMLElement; snapshot(): TrainingSnapshot } {
  let data: DataSummary | null = null;
  let state: RunState = 'idle';
  let record: RunRecord | null = null;
  let msPerStep = Number.NaN;
  let run: Promise<void> | null = null;

  const root = h('section', { class: 'view', id: 'training', 'aria-labelledby': 'training-title' });
  const message = messageLine('training');
  const dataLine = dataStatus();
  const worker = workerClient((text) => setState('failed', text));
  const offer = savedRunOffer({ continue: () => void start(true), discard: () => void discard() });
  const knobs = knobsForm();

  const startButton = button('Start', () => void start(false), { 'data-action': 'start' });
  const pauseButton = button('Pause', () => void togglePause(), { 'data-action': 'pause', disabled: true });
  const resetButton = button('Reset', () => void reset(), { 'data-action': 'reset', disabled: true });
  const parityButton = button('Check this backend against cpu', () => void parity(), { 'data-action': 'parity' });
  const parityResult = h('p', { class: 'parity', role: 'status', 'aria-live': 'polite' });
  const progress = h('p', { class: 'progress', 'aria-live': 'off' }, 'No run yet.');

  const charts = trainingCharts(
    () => record,
    () => data,
  );
  // The step curves at most every 500 ms while training, the evaluation charts after each epoch.
  const draws = drawQueue(500);
  const drawAll = (): void =>
    draws.queue(
      charts.drawLoss,
      charts.drawAccuracy,
      charts.drawRate,
      charts.drawPerClass,
      charts.drawConfusion,
      charts.drawGrid,
    );

  root.append(
    h('h2', { id: 'training-title' }, 'Fashion-MNIST training'),
    viewIntro(
      ['process', 'normalize', 'batchNorm', 'workflow'],
      'the training and validation curves as you change one knob at a time: input normalization, BatchNorm, the optimizer and its learning rate, the schedule, the batch size.',
    ),
    dataLine.element,
    worker.status,
    offer.element,
    h(
      'div',
      { class: 'split' },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        h('div', { class: 'button-row' }, startButton, pauseButton, resetButton),
        progress,
        message.element,
        knobs.element,
        h('p', { class: 'hint' }, 'Inputs: ', sectionRef('normalize'), '. BatchNorm: ', sectionRef('batchNorm'), '.'),
        h('div', { class: 'button-row' }, parityButton),
        parityResult,
      ),
      h('div', { class: 'chart-area charts' }, ...charts.figures),
    ),
  );

  function setState(next: RunState, text?: string): void {
    state = next;
    root.dataset.state = next;
    const c = controls(next, data !== null, record !== null);
    startButton.disabled = !c.start;
    pauseButton.disabled = !c.pause;
    pauseButton.textContent = c.pauseLabel;
    pauseButton.setAttribute('aria-pressed', String(next === 'paused'));
    resetButton.disabled = !c.reset;
    parityButton.disabled = !c.parity;
    knobs.element.disabled = !c.knobs;
    if (text !== undefined) message.show(text, next === 'failed' ? 'error' : 'info');
    updateProgress();
  }

  function updateProgress(): void {
    root.dataset.step = String(record?.steps.step.at(-1) ?? 0);
    root.dataset.epochs = String(record?.epochs.length ?? 0);
    progress.textContent = progressText(state, record);
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
          stepTimeLabel.textContent = `training step: ${msPerStep.toFixed(1)} ms on ${worker.backend() ?? '?'} (worker)`;
          stepTimeLabel.dataset.msPerStep = String(msPerStep);
        }
        record.steps.step.push(event.step);
        record.steps.loss.push(event.loss);
        record.steps.learningRate.push(event.learningRate);
        draws.soon(charts.drawLoss, charts.drawRate);
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

  async function loadData(): Promise<void> {
    const t = await worker.get();
    dataLine.loading();
    const loaded = new Map<string, number>();
    const onProgress = Comlink.proxy((p: { file: string; loadedBytes: number }) => {
      loaded.set(p.file, p.loadedBytes);
      dataLine.progress([...loaded.values()].reduce((a, b) => a + b, 0));
    });
    try {
      data = await t.loadData(dataUrl, onProgress);
      dataLine.ready(data);
      charts.drawGrid();
    } catch (error) {
      dataLine.missing(error instanceof Error ? error.message : String(error));
    }
    setState(state);
  }

  async function offerSaved(): Promise<void> {
    if (data === null) return; // nothing can continue without the data
    const t = await worker.get();
    let saved: SavedRun | null;
    try {
      saved = await t.saved();
    } catch (error) {
      // A damaged checkpoint, or one from another version of the demo: say so, and let the user remove it.
      offer.showUnusable(error instanceof Error ? error.message : String(error));
      return;
    }
    if (saved === null) offer.hide();
    else offer.show(saved);
  }

  async function start(continueSaved: boolean): Promise<void> {
    if (data === null) return;
    const t = await worker.get();
    message.show('', 'info');
    offer.hide();
    record = null;
    setState('preparing');
    drawAll();
    run = t.train(knobs.settings(), listener, continueSaved).then(
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
    const t = await worker.get();
    if (state === 'paused') await t.resume();
    else if (state === 'running') await t.pause();
  }

  async function reset(): Promise<void> {
    const t = await worker.get();
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
    const t = await worker.get();
    await t.discardSaved();
    offer.hide();
  }

  async function parity(): Promise<void> {
    const t = await worker.get();
    parityButton.disabled = true;
    parityResult.textContent = 'Running one step here and one on cpu…';
    try {
      const r = await t.parity(knobs.settings());
      const report = parityReport(r);
      parityResult.dataset.maxWeightDifference = String(r.maxWeightDifference);
      parityResult.dataset.lossDifference = String(report.lossDifference);
      parityResult.textContent = report.text;
    } catch (error) {
      parityResult.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      setState(state);
    }
  }

  onWidthChange(charts.figures[0] as HTMLElement, () => drawAll());

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
      backend: worker.backend(),
      step: record?.steps.step.at(-1) ?? 0,
      epochsDone: record?.epochs.length ?? 0,
      msPerStep,
      trainLoss: record?.steps.loss.slice() ?? [],
      epochs: structuredClone(record?.epochs ?? []),
    }),
  };
}
