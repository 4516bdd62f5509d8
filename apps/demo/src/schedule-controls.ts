/** The schedule knob's controls: a select and the knobs of the chosen schedule. */
import { SCHEDULE_CHOICES, type ScheduleKind, type ScheduleSettings } from './schedule-choice.js';
import { h, type NumberField, numberField, type SelectField, selectField } from './ui.js';

export interface ScheduleControls {
  readonly element: HTMLElement;
  settings(): ScheduleSettings;
  set(settings: Partial<ScheduleSettings>): void;
}

/** The schedule's select and its knobs (only the ones the chosen schedule uses are shown). */
export function scheduleControls(name: string, initial: ScheduleSettings, onChange: () => void): ScheduleControls {
  const kind: SelectField<ScheduleKind> = selectField({
    label: 'Learning-rate schedule',
    name: `${name}-schedule`,
    value: initial.kind,
    choices: SCHEDULE_CHOICES,
    onChange: () => {
      showRelevant();
      onChange();
    },
  });
  const decaySteps: NumberField = numberField({
    label: 'decaySteps',
    name: `${name}-decay-steps`,
    value: initial.decaySteps,
    min: 1,
    step: 1,
    onChange,
  });
  const decayRate = numberField({
    label: 'decayRate',
    name: `${name}-decay-rate`,
    value: initial.decayRate,
    min: 0,
    step: 0.05,
    onChange,
  });
  const alpha = numberField({
    label: 'alpha',
    name: `${name}-alpha`,
    value: initial.alpha,
    min: 0,
    max: 1,
    step: 0.05,
    onChange,
  });
  const showRelevant = () => {
    const k = kind.value();
    decaySteps.element.hidden = k === 'constant';
    decayRate.element.hidden = k !== 'exponentialDecay' && k !== 'inverseTimeDecay';
    alpha.element.hidden = k !== 'cosineDecay';
  };
  showRelevant();
  return {
    element: h(
      'div',
      { class: 'schedule-controls' },
      kind.element,
      decaySteps.element,
      decayRate.element,
      alpha.element,
    ),
    settings: () => ({
      kind: kind.value(),
      decaySteps: decaySteps.value(),
      decayRate: decayRate.value(),
      alpha: alpha.value(),
    }),
    set(s) {
      if (s.kind !== undefined) kind.set(s.kind);
      if (s.decaySteps !== undefined) decaySteps.set(s.decaySteps);
      if (s.decayRate !== undefined) decayRate.set(s.decayRate);
      if (s.alpha !== undefined) alpha.set(s.alpha);
      showRelevant();
    },
  };
}
