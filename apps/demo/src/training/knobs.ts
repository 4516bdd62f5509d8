/**
 * The training view's knobs: the optimizer and its hyperparameters, the schedule, the batch size, epochs, the
 * training subset, BatchNormalization and the input normalization, read as the settings of the next run.
 */
import type { NormalizeMode } from '@opt/data-fashion-mnist';
import { scheduleControls } from '../schedule-controls.js';
import { checkboxField, h, numberField, selectField } from '../ui.js';
import { DEFAULT_SETTINGS, type OptimizerName, type TrainingSettings, VALIDATION_COUNT } from './protocol.js';

export interface Knobs {
  /** The fieldset; disable it to freeze the knobs while a run is active. */
  readonly element: HTMLFieldSetElement;
  settings(): TrainingSettings;
}

export function knobsForm(): Knobs {
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
  return { element: knobs as HTMLFieldSetElement, settings };
}
