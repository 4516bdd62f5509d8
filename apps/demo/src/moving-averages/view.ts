/**
 * View 2, moving averages: a noisy signal and its exponential moving average,
 * computed step by step by @opt/optimizers' `ema` transformation, with and
 * without bias correction.
 */
import * as Plot from '@observablehq/plot';
import { Random } from '@opt/tensor';
import { viewIntro } from '../chapter.js';
import { chartWidth, checkboxField, h, messageLine, onWidthChange, perFrame, rangeField } from '../ui.js';
import { emaOfSignal } from './ema.js';

const STEPS = 150;

/** A slow wave around 5 plus unit Gaussian noise, seeded: the same signal at every visit. */
function noisySignal(): Float32Array {
  const noise = new Random(3).normal(STEPS, 0, 1);
  return Float32Array.from(noise, (n, t) => 5 + 2 * Math.sin(t / 15) + n);
}

export function movingAveragesView(): HTMLElement {
  const signal = noisySignal();
  const root = h('section', { class: 'view', id: 'moving-averages', 'aria-labelledby': 'ma-title' });
  const message = messageLine('moving-averages');
  const chart = h('figure', { class: 'chart' });
  const memory = h('p', { class: 'memory' });
  const beta = rangeField({
    label: 'beta',
    name: 'beta',
    value: 0.9,
    min: 0,
    max: 0.99,
    step: 0.01,
    format: (v) => v.toFixed(2),
    onChange: () => draw(),
  });
  const corrected = checkboxField({
    label: 'with bias correction (÷ (1 − betaᵗ))',
    name: 'debias',
    checked: true,
    onChange: () => draw(),
  });
  const raw = checkboxField({
    label: 'without bias correction',
    name: 'biased',
    checked: true,
    onChange: () => draw(),
  });

  root.append(
    h('h2', { id: 'ma-title' }, 'Moving averages'),
    viewIntro(
      ['movingAverages'],
      'a higher beta gives a smoother average that reacts later; without bias correction the average starts at 0 and needs about 1 / (1 − beta) steps to catch up.',
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        beta.element,
        corrected.element,
        raw.element,
        memory,
        message.element,
      ),
      h('div', { class: 'chart-area' }, chart),
    ),
  );

  const draw = perFrame(() => {
    if (!root.isConnected) return;
    const b = beta.value();
    memory.textContent = `Memory: about 1 / (1 − ${b.toFixed(2)}) = ${(1 / (1 - b)).toFixed(1)} steps.`;
    let withCorrection: Float32Array | null = null;
    let without: Float32Array | null = null;
    try {
      if (corrected.value()) withCorrection = emaOfSignal(signal, b, true);
      if (raw.value()) without = emaOfSignal(signal, b, false);
      message.show('', 'info');
    } catch (error) {
      message.show(error instanceof Error ? error.message : String(error));
    }
    const rows = Array.from(signal, (value, t) => ({ t: t + 1, value }));
    const line = (values: Float32Array | null, series: string) =>
      values === null ? [] : Array.from(values, (value, t) => ({ t: t + 1, value, series }));
    const lines = [...line(withCorrection, 'EMA, bias-corrected'), ...line(without, 'EMA, no bias correction')];
    root.dataset.beta = String(b);
    root.dataset.firstCorrected = withCorrection === null ? '' : String(withCorrection[0]);
    root.dataset.firstBiased = without === null ? '' : String(without[0]);
    chart.replaceChildren(
      h('figcaption', {}, `A noisy signal (${STEPS} steps) and its exponential moving average`),
      Plot.plot({
        width: chartWidth(chart),
        height: 340,
        x: { label: 'step t' },
        y: { label: 'value', grid: true },
        color: {
          domain: ['signal', 'EMA, bias-corrected', 'EMA, no bias correction'],
          range: ['#9aa3ad', '#4269d0', '#ff725c'],
          legend: true,
        },
        marks: [
          Plot.dot(rows, { x: 't', y: 'value', r: 2, fill: () => 'signal' }),
          Plot.line(lines, { x: 't', y: 'value', stroke: 'series', z: 'series', strokeWidth: 2.5 }),
        ],
      }),
    );
  });
  root.addEventListener('view-shown', draw);
  onWidthChange(chart, draw);
  return root;
}
