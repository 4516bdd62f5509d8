import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, RUN_RECORD_FORMAT, type RunRecord, type RunState } from './protocol.js';
import { controls, isActive, progressText } from './run-state.js';

const STATES: RunState[] = ['idle', 'preparing', 'running', 'paused', 'stopping', 'finished', 'failed'];

describe('what each run state allows', () => {
  it('a run is active from preparing to stopping; the knobs, start and the parity check wait for it', () => {
    expect(STATES.filter(isActive)).toEqual(['preparing', 'running', 'paused', 'stopping']);
    for (const s of STATES) {
      const c = controls(s, true, false);
      expect(c.knobs).toBe(!isActive(s));
      expect(c.start).toBe(!isActive(s));
      expect(c.parity).toBe(!isActive(s));
    }
  });

  it('nothing starts and nothing is checked before the data loaded', () => {
    for (const s of STATES) {
      expect(controls(s, false, false).start).toBe(false);
      expect(controls(s, false, false).parity).toBe(false);
    }
  });

  it('pause only while running or paused, labelled Resume while paused', () => {
    expect(STATES.filter((s) => controls(s, true, true).pause)).toEqual(['running', 'paused']);
    expect(controls('paused', true, true).pauseLabel).toBe('Resume');
    expect(controls('running', true, true).pauseLabel).toBe('Pause');
  });

  it('reset while a run is active or a finished run is shown', () => {
    expect(controls('idle', true, false).reset).toBe(false);
    expect(controls('finished', true, true).reset).toBe(true);
    expect(controls('failed', true, false).reset).toBe(false);
    expect(controls('preparing', true, false).reset).toBe(true);
  });
});

describe('the progress line', () => {
  const record = (): RunRecord =>
    ({
      format: RUN_RECORD_FORMAT,
      settings: { ...DEFAULT_SETTINGS, epochs: 5 },
      stepsPerEpoch: 8,
      steps: { step: [1, 2, 3], loss: [2.3, 2.2, 2.1], learningRate: [0.01, 0.01, 0.0005] },
      epochs: [],
      confusion: null,
      perClassAccuracy: null,
      predictions: null,
    }) as unknown as RunRecord;

  it('before a run, and while the worker prepares it', () => {
    expect(progressText('idle', null)).toBe('No run yet.');
    expect(progressText('preparing', null)).toBe('Preparing the data and the model…');
  });

  it('the step, epochs, learning rate and the last validation accuracy', () => {
    const r = record();
    expect(progressText('running', r)).toBe('running: step 3 (0 of 5 epochs, 8 steps each), learning rate 5.00e-4');
    r.epochs.push({ epoch: 1, step: 8, logs: { loss: 1, val_accuracy: 0.8125 } });
    expect(progressText('paused', r)).toBe(
      'paused: step 3 (1 of 5 epochs, 8 steps each), learning rate 5.00e-4, validation accuracy 81.3%',
    );
  });
});
