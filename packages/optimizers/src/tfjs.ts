/**
 * What makes our optimizers TensorFlow.js optimizers (`tf.Optimizer`), so that tfjs-layers takes them in
 * `model.compile`, steps them in `fit`, saves them with `model.save(handler, { includeOptimizer: true })` and
 * rebuilds them in `tf.loadLayersModel`: tfjs's forms of the gradients, the optimizer's weights in tfjs's layout
 * (`iter` first, then the slots), and the options back from a saved config.
 */

import { type ScheduleConfig, scheduleFromConfig } from '@opt/schedules';
import { type NamedWeight, readWeights, tf } from '@opt/tensor';
import type { StateEntry } from './state.js';

/** tfjs's `NamedTensor`: a gradient and the name of the variable it belongs to. */
export interface NamedGradient {
  readonly name: string;
  readonly tensor: tf.Tensor | null | undefined;
}

/**
 * What `applyGradients` takes: `[gradient, variable]` pairs (Keras), tfjs's `{ [variableName]: gradient }`
 * (what `tf.variableGrads` returns) or tfjs's `[{ name, tensor }]`.
 */
export type Gradients =
  | ReadonlyArray<readonly [grad: tf.Tensor, variable: tf.Variable]>
  | tf.NamedTensorMap
  | ReadonlyArray<NamedGradient>;

/** Where tfjs keeps the step count among an optimizer's weights (Keras's `iterations`, named as tfjs-core names it). */
export const ITERATIONS_WEIGHT = 'iter';
/** The guard's count of skipped steps (`nonFiniteGradients: 'skip'`), saved when there are any. */
export const SKIPPED_WEIGHT = 'skippedSteps';
/** The weight-decay name patterns as given, a string tensor: loading rewrites `a_b` as `aB` in the saved config. */
export const PATTERNS_WEIGHT = 'excludeFromWeightDecay';
const COUNTS = [ITERATIONS_WEIGHT, SKIPPED_WEIGHT, PATTERNS_WEIGHT];

function isNamed(entry: unknown): entry is NamedGradient {
  return typeof entry === 'object' && entry !== null && !Array.isArray(entry) && 'name' in entry && 'tensor' in entry;
}

/**
 * `gradients` as `[gradient, variable]` pairs. A named gradient's variable is the one tfjs-core registered under
 * that name; a null gradient is left out, as tfjs's optimizers and Keras's `apply_gradients` leave it out.
 */
export function toPairs(owner: string, gradients: Gradients): ReadonlyArray<readonly [tf.Tensor, tf.Variable]> {
  const where = `${owner}.applyGradients`;
  let named: NamedGradient[];
  if (Array.isArray(gradients)) {
    if (!gradients.some(isNamed)) return gradients as ReadonlyArray<readonly [tf.Tensor, tf.Variable]>;
    named = gradients.map((entry, i) => {
      if (isNamed(entry)) return entry;
      throw new TypeError(`${where}: entry ${i} is not a { name, tensor } like the others; pass one form only.`);
    });
  } else if (typeof gradients === 'object' && gradients !== null) {
    named = Object.entries(gradients as tf.NamedTensorMap).map(([name, tensor]) => ({ name, tensor }));
  } else {
    throw new TypeError(
      `${where}: expected [gradient, variable] pairs, { [variableName]: gradient } or [{ name, tensor }], ` +
        `got ${gradients === null ? 'null' : typeof gradients}.`,
    );
  }
  const registered = tf.engine().registeredVariables;
  return named.flatMap(({ name, tensor }) => {
    if (tensor === null || tensor === undefined) return [];
    const variable = registered[name];
    if (variable === undefined) {
      throw new Error(
        `${where}: no variable named "${name}" is registered with TensorFlow.js (disposed, or made by another ` +
          'copy of @tensorflow/tfjs-core?). Pass [gradient, variable] pairs to name the variable itself.',
      );
    }
    return [[tensor, variable] as const];
  });
}

/**
 * The optimizer's weights as tfjs-layers saves them (`getWeights`): `iter` (int32), `skippedSteps` when steps were
 * skipped, the weight-decay name patterns when given, then the slot variables themselves, named
 * `<index>/<variableName>/<slot>` in build order.
 */
export function weightsOf(
  iterations: number,
  skipped: number,
  patterns: readonly string[] | null,
  entries: readonly StateEntry[],
): Array<{ name: string; tensor: tf.Tensor }> {
  const first: Array<{ name: string; tensor: tf.Tensor }> = [
    { name: ITERATIONS_WEIGHT, tensor: tf.scalar(iterations, 'int32') },
  ];
  if (skipped > 0) first.push({ name: SKIPPED_WEIGHT, tensor: tf.scalar(skipped, 'int32') });
  if (patterns !== null) first.push({ name: PATTERNS_WEIGHT, tensor: tf.tensor1d([...patterns], 'string') });
  return [...first, ...entries.map((e) => ({ name: e.name, tensor: e.variable }))];
}

/** Reads what {@link weightsOf} wrote (after a save and a load): the step count, skipped steps and slot values. */
export async function readOptimizerWeights(
  owner: string,
  weights: ReadonlyArray<{ name: string; tensor: tf.Tensor }>,
): Promise<{ iterations: number; skipped: number; patterns: string[] | null; slots: NamedWeight[] }> {
  const where = `${owner}.setWeights`;
  if (!Array.isArray(weights)) throw new TypeError(`${where}: expected an array of { name, tensor }.`);
  const count = async (name: string) => {
    const entry = weights.find((w) => w.name === name);
    return entry === undefined ? undefined : ((await entry.tensor.data())[0] as number);
  };
  const iterations = await count(ITERATIONS_WEIGHT);
  if (iterations === undefined) {
    throw new Error(
      `${where}: the weights hold no "${ITERATIONS_WEIGHT}" (the step count); pass what getWeights() returned.`,
    );
  }
  const patterns = weights.find((w) => w.name === PATTERNS_WEIGHT);
  const slots = await readWeights(weights.filter((w) => !COUNTS.includes(w.name)));
  return {
    iterations,
    skipped: (await count(SKIPPED_WEIGHT)) ?? 0,
    patterns: patterns === undefined ? null : ((await patterns.tensor.data()) as unknown as string[]),
    slots,
  };
}

/**
 * A preset's options from the config tfjs-layers saved (`{ className, config }`, what `getConfig()` returns; a flat
 * config of options is taken too). Nulls are defaults; a schedule of `@opt/schedules` is rebuilt from its config.
 */
export function optionsFromTfjsConfig(owner: string, saved: tf.serialization.ConfigDict): Record<string, unknown> {
  const { customObjects: _added, ...outer } = saved as Record<string, unknown>; // tfjs-layers adds customObjects
  const wrapped = typeof outer.className === 'string' && typeof outer.config === 'object' && outer.config !== null;
  const { customObjects: _inner, ...config } = (wrapped ? outer.config : outer) as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (value !== null) options[key] = value;
  const lr = options.learningRate;
  if (typeof lr === 'object' && lr !== null) {
    if ((lr as { className?: unknown }).className === 'function') {
      throw new Error(
        `${owner}.fromConfig: the optimizer was saved with a learning-rate function that has no config, so it cannot ` +
          'be rebuilt. Train with a schedule of @opt/schedules (exponentialDecay, cosineDecay, ...), which saves its ' +
          'config, or save the model without includeOptimizer.',
      );
    }
    options.learningRate = scheduleFromConfig(lr as ScheduleConfig);
  }
  return options;
}

/** `new cls(options)` from a saved config (tfjs's `fromConfig`); a bare chain of transformations cannot be rebuilt. */
export function fromTfjsConfig<T>(
  cls: { new (options: Record<string, unknown>): T; className: string },
  config: tf.serialization.ConfigDict,
  bare: boolean,
): T {
  if (bare) {
    throw new Error(
      'GradientTransformationOptimizer.fromConfig: a chain of transformations cannot be rebuilt from its config. ' +
        'Build the optimizer again and pass it to model.compile, or use a preset (Adam, SGD, ...).',
    );
  }
  return new cls(optionsFromTfjsConfig(cls.className, config));
}
