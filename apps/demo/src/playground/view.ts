/**
 * View 1, the optimizer playground: up to six optimizers of the catalog race on a surface (the chapter's five by
 * default; racer-picker.ts), their paths drawn over the surface's contours (Observable Plot), with a legend of the
 * loss each has reached (legend.ts). The surface and the racers are kept in the address (race-query.ts).
 */
import * as Plot from '@observablehq/plot';
import { viewIntro } from '../chapter.js';
import { type ScheduleControls, scheduleControls } from '../schedule-controls.js';
import { button, chartWidth, h, messageLine, numberField, onWidthChange, selectField } from '../ui.js';
import { lossLegend } from './legend.js';
import { Race, type RaceSettings } from './race.js';
import { readRaceQuery, writeRaceQuery } from './race-query.js';
import { racerPicker } from './racer-picker.js';
import { defaultRacers, MAX_RACERS, type RatePreset } from './racers.js';
import { lossGrid, makeSurfaces, SURFACE_IDS, type Surface, type SurfaceId } from './surfaces.js';

const GRID = 90;
const MARGIN = { marginTop: 12, marginRight: 12, marginBottom: 36, marginLeft: 44 } as const;

export function playgroundView(): HTMLElement {
  const surfaces = makeSurfaces();
  const asked = readRaceQuery(location.search, surfaces);
  let surface: Surface = surfaces[asked.surface];
  let race: Race | null = null;
  let running = false;
  /** Bumped on every reset: a loop that sees another value stops. */
  let generation = 0;
  let grid: { id: SurfaceId; values: Float32Array } | null = null;

  const message = messageLine('playground');
  // A bad ?racer= or ?surface= is named until the first change of the form (the race runs the defaults meanwhile).
  const addressMessage = messageLine('playground-address');
  if (asked.error !== null) addressMessage.show(asked.error);
  let resets = 0;
  const root = h('section', { class: 'view', id: 'playground', 'aria-labelledby': 'playground-title' });

  const surfaceSelect = selectField<SurfaceId>({
    label: 'Loss surface',
    name: 'surface',
    value: surface.id,
    choices: SURFACE_IDS.map((id) => [id, surfaces[id].title] as const),
    onChange: (id) => {
      surface = surfaces[id];
      applyPreset('tuned');
      startX.set(surface.start[0]);
      startY.set(surface.start[1]);
      steps.set(surface.steps);
      batchField.element.hidden = surface.minibatch === undefined;
      lookFor.textContent = surface.lookFor;
      grid = null;
      reset();
    },
  });
  const startX = numberField({
    label: 'Start x',
    name: 'start-x',
    value: surface.start[0],
    step: 0.1,
    onChange: () => reset(),
  });
  const startY = numberField({
    label: 'Start y',
    name: 'start-y',
    value: surface.start[1],
    step: 0.1,
    onChange: () => reset(),
  });
  const steps = numberField({
    label: 'Steps',
    name: 'steps',
    value: surface.steps,
    min: 1,
    step: 1,
    onChange: () => reset(),
  });
  const speed = numberField({ label: 'Steps per frame', name: 'speed', value: 1, min: 1, max: 50, step: 1 });

  const picker = racerPicker({ surface: () => surface, onChange: () => reset() });
  picker.set(asked.racers ?? defaultRacers(surface));
  const batchField = numberField({
    label: 'Mini-batch size (of 256 examples)',
    name: 'minibatch-size',
    value: 8,
    min: 1,
    max: 256,
    step: 1,
    onChange: () => reset(),
  });
  const schedule: ScheduleControls = scheduleControls(
    'playground',
    { kind: 'constant', decaySteps: 50, decayRate: 0.5, alpha: 0 },
    () => reset(),
  );

  function applyPreset(preset: RatePreset): void {
    picker.applyRates(surface, preset);
  }

  function usePreset(preset: RatePreset): void {
    applyPreset(preset);
    reset();
  }

  const runButton = button('Run', () => (running ? pause() : run()), { 'data-action': 'run' });
  const stepButton = button('Step', () => void stepOnce(), { 'data-action': 'step' });
  const resetButton = button('Reset', () => reset(), { 'data-action': 'reset' });
  const presets = h(
    'div',
    { class: 'button-row', role: 'group', 'aria-label': 'Learning-rate presets' },
    button('Tuned learning rates', () => usePreset('tuned'), { 'data-preset': 'tuned' }),
    button('Learning rate too high', () => usePreset('tooHigh'), { 'data-preset': 'tooHigh' }),
    button('Learning rate too low', () => usePreset('tooLow'), { 'data-preset': 'tooLow' }),
  );

  const lookFor = h('span', {}, surface.lookFor);
  const chart = h('div', { class: 'contour-stack' });
  const legend = lossLegend();
  const stepLabel = h('p', { class: 'step-count', 'aria-live': 'off' }, 'step 0');

  root.append(
    h('h2', { id: 'playground-title' }, 'Optimizer playground'),
    viewIntro(
      ['failures', 'momentum', 'rmsprop', 'adam'],
      'on each surface, where plain gradient descent zig-zags, stalls or diverges, and which fix (momentum, RMSprop, Adam) gets past it. Click the plot to start the race somewhere else; pick any optimizer of the catalog for a racer to race it too.',
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        surfaceSelect.element,
        h('p', { class: 'surface-note' }, lookFor),
        h('div', { class: 'row' }, startX.element, startY.element),
        h('div', { class: 'row' }, steps.element, speed.element),
        h('div', { class: 'button-row' }, runButton, stepButton, resetButton),
        presets,
        batchField.element,
        h('fieldset', { class: 'racer-list' }, h('legend', {}, `Racers (up to ${MAX_RACERS})`), picker.element),
        h('fieldset', {}, h('legend', {}, 'Schedule (per optimizer, from its learning rate)'), schedule.element),
        message.element,
        addressMessage.element,
      ),
      h('div', { class: 'chart-area' }, chart, stepLabel, legend.element),
    ),
  );

  function settings(): RaceSettings {
    return {
      surface,
      start: [startX.value(), startY.value()],
      racers: picker.racers(),
      schedule: schedule.settings(),
      batchSize: batchField.value(),
    };
  }

  /** A fresh race from the knobs; on a bad knob, the package's message and no race. */
  function newRace(): Race | null {
    const s = settings();
    if (!s.start.every(Number.isFinite)) {
      message.show('Start x and y must be numbers.');
      return null;
    }
    try {
      const made = new Race(s);
      message.show('', 'info');
      return made;
    } catch (error) {
      message.show(error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  function reset(): void {
    generation += 1;
    const wasRunning = running;
    running = false;
    race?.dispose();
    race = newRace();
    if (resets++ > 0) addressMessage.show('', 'info');
    // Only a race that runs goes into the address: a reload never starts from a refused knob.
    if (race !== null) writeRaceQuery(surface.id, picker.racers(), surfaces);
    redraw();
    if (wasRunning && race !== null) run();
    else setState('idle');
  }

  function setState(state: 'idle' | 'running' | 'done'): void {
    root.dataset.state = state;
    runButton.textContent = state === 'running' ? 'Pause' : 'Run';
    runButton.setAttribute('aria-pressed', String(state === 'running'));
  }

  function finished(r: Race): boolean {
    return r.step >= Math.max(1, Math.floor(steps.value())) || !r.running;
  }

  async function stepOnce(): Promise<void> {
    if (race === null || running || finished(race)) return;
    await race.advance();
    drawOverlay();
    if (finished(race)) setState('done');
  }

  function run(): void {
    if (race === null) race = newRace();
    if (race === null) return;
    if (finished(race)) {
      reset();
      if (race === null) return;
    }
    running = true;
    setState('running');
    const mine = generation;
    const current = race;
    void (async () => {
      while (running && mine === generation && !finished(current)) {
        const perFrameSteps = Math.max(1, Math.min(50, Math.floor(speed.value()) || 1));
        for (let i = 0; i < perFrameSteps && !finished(current); i++) await current.advance();
        if (mine !== generation) return;
        drawOverlay();
        await new Promise((r) => requestAnimationFrame(r));
      }
      if (mine !== generation) return;
      running = false;
      setState(finished(current) ? 'done' : 'idle');
    })();
  }

  function pause(): void {
    running = false;
    setState('idle');
  }

  // Two stacked plots with the same scales: the contours, drawn once per surface and size, and the paths on top.
  let base: (SVGSVGElement | HTMLElement) | null = null;
  let overlay: ((SVGSVGElement | HTMLElement) & { scale?: Plot.Plot['scale'] }) | null = null;
  const size = () => {
    const width = chartWidth(chart);
    const aspect = (surface.y[1] - surface.y[0]) / (surface.x[1] - surface.x[0]);
    return { width, height: Math.round(Math.min(560, Math.max(260, width * aspect))) };
  };

  function drawBase(): void {
    if (grid === null || grid.id !== surface.id) grid = { id: surface.id, values: lossGrid(surface, GRID) };
    let values: ArrayLike<number> = grid.values;
    if (surface.logScale) {
      const min = Math.min(...grid.values);
      values = Array.from(grid.values, (v) => Math.log1p(v - min));
    }
    const { width, height } = size();
    base?.remove();
    base = Plot.plot({
      ...MARGIN,
      width,
      height,
      x: { domain: [...surface.x], label: 'x' },
      y: { domain: [...surface.y], label: 'y' },
      color: { scheme: 'ylgnbu', reverse: true },
      marks: [
        Plot.contour(values, {
          x1: surface.x[0],
          x2: surface.x[1],
          y1: surface.y[0],
          y2: surface.y[1],
          width: GRID,
          height: GRID,
          fill: Plot.identity,
          stroke: 'white',
          strokeOpacity: 0.35,
          thresholds: 22,
        }),
        Plot.dot(surface.minima(), { x: '0', y: '1', symbol: 'star', r: 7, fill: 'white', stroke: 'black' }),
      ],
    });
    base.classList.add('contours');
    base.setAttribute('aria-hidden', 'true');
    chart.prepend(base);
  }

  function drawOverlay(): void {
    const { width, height } = size();
    const runners = race?.runners ?? [];
    const points = runners.flatMap((r) => r.path.map(([x, y], step) => ({ x, y, id: r.id, color: r.color, step })));
    const heads = runners.map((r) => {
      const [x, y] = r.path[r.path.length - 1] as readonly [number, number];
      return { x, y, color: r.color, label: r.label };
    });
    const start = settings().start;
    const next = Plot.plot({
      ...MARGIN,
      width,
      height,
      x: { domain: [...surface.x], axis: null },
      y: { domain: [...surface.y], axis: null },
      color: { type: 'identity' },
      marks: [
        Plot.line(points, { x: 'x', y: 'y', z: 'id', stroke: 'color', strokeWidth: 2, clip: true }),
        Plot.dot(heads, { x: 'x', y: 'y', fill: 'color', stroke: 'white', r: 5, clip: true, title: 'label' }),
        Plot.dot([start], { x: '0', y: '1', r: 6, stroke: 'black', strokeWidth: 2, fill: 'none' }),
      ],
    }) as (SVGSVGElement | HTMLElement) & { scale: Plot.Plot['scale'] };
    next.classList.add('paths');
    next.setAttribute('role', 'img');
    next.setAttribute('aria-label', 'Optimizer paths; click to start the race from the clicked point.');
    next.addEventListener('click', (event) => pickStart(next, event as MouseEvent));
    if (overlay !== null) overlay.replaceWith(next);
    else chart.append(next);
    overlay = next;
    updateLegend();
  }

  function pickStart(svg: (SVGSVGElement | HTMLElement) & { scale?: Plot.Plot['scale'] }, event: MouseEvent): void {
    const box = svg.getBoundingClientRect();
    const sx = svg.scale?.('x');
    const sy = svg.scale?.('y');
    if (sx?.invert === undefined || sy?.invert === undefined) return;
    const x = sx.invert(event.clientX - box.left) as number;
    const y = sy.invert(event.clientY - box.top) as number;
    const inside = x >= surface.x[0] && x <= surface.x[1] && y >= surface.y[0] && y <= surface.y[1];
    if (!inside) return;
    startX.set(Number(x.toFixed(3)));
    startY.set(Number(y.toFixed(3)));
    reset();
  }

  function updateLegend(): void {
    const r = race;
    root.dataset.step = String(r?.step ?? 0);
    stepLabel.textContent = `step ${r?.step ?? 0} of ${steps.value()}`;
    legend.update(r);
  }

  function redraw(): void {
    if (!root.isConnected) return;
    drawBase();
    drawOverlay();
  }

  onWidthChange(chart, redraw);
  batchField.element.hidden = surface.minibatch === undefined;
  // The first race is built when the view is first shown (it needs the backend and the layout).
  root.addEventListener('view-shown', () => {
    if (race === null) reset();
    else redraw();
  });
  return root;
}
