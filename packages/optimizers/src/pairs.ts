/**
 * Checks of what a caller passes to `applyGradients`, `build` and `minimize`: each error names the variable
 * (or the position) and says how to fix it.
 */
import { tf } from '@opt/tensor';

function isVariable(v: unknown): v is tf.Variable {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as tf.Variable).assign === 'function' &&
    typeof (v as tf.Variable).trainable === 'boolean'
  );
}

/** `v` is a trainable `tf.Variable` (entry `i` of what `owner` received). */
export function checkVariable(owner: string, v: unknown, i: number): asserts v is tf.Variable {
  if (!isVariable(v)) {
    throw new TypeError(
      `${owner}: entry ${i} is not a tf.Variable (got ${v === null ? 'null' : typeof v}); ` +
        'optimizers update variables in place: create them with tf.variable(...).',
    );
  }
  if (!v.trainable) {
    throw new Error(
      `${owner}: variable "${v.name}" is not trainable; leave it out or create it with tf.variable(value, true).`,
    );
  }
}

/** A list of trainable variables (`build`, `minimize`'s `varList`). */
export function checkVariables(owner: string, argument: string, list: unknown): tf.Variable[] {
  if (!Array.isArray(list)) {
    throw new TypeError(`${owner}: \`${argument}\` must be an array of tf.Variable, got ${describe(list)}.`);
  }
  list.forEach((v, i) => {
    checkVariable(owner, v, i);
  });
  return list as tf.Variable[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * `[gradient, variable]` pairs: each variable trainable and there once, each gradient a live tensor of the
 * variable's shape. Returns the variables.
 */
export function checkPairs(
  owner: string,
  pairs: ReadonlyArray<readonly [grad: tf.Tensor, variable: tf.Variable]>,
): tf.Variable[] {
  const where = `${owner}.applyGradients`;
  if (!Array.isArray(pairs)) throw new TypeError(`${where}: expected an array of [gradient, variable] pairs.`);
  const seen = new Set<tf.Variable>();
  pairs.forEach((pair, i) => {
    const [g, v] = pair ?? [];
    checkVariable(owner, v, i);
    if (seen.has(v)) throw new Error(`${where}: variable "${v.name}" appears twice (pair ${i}).`);
    seen.add(v);
    if (g === null || g === undefined) {
      throw new Error(
        `${where}: the gradient of variable "${v.name}" (pair ${i}) is missing (${String(g)}). ` +
          'Leave the variable out, or check that the loss depends on it.',
      );
    }
    if (typeof (g as tf.Tensor).shape !== 'object' || (g as tf.Tensor).isDisposed) {
      throw new TypeError(`${where}: the gradient of variable "${v.name}" (pair ${i}) is not a live tensor.`);
    }
    const shape = (g as tf.Tensor).shape;
    if (shape.length !== v.shape.length || shape.some((d, k) => d !== v.shape[k])) {
      throw new Error(
        `${where}: the gradient of variable "${v.name}" has shape [${shape.join(', ')}] ` +
          `but the variable has shape [${v.shape.join(', ')}].`,
      );
    }
  });
  return pairs.map((p) => p[1]);
}

/** `tf.variableGrads`' gradients as pairs, in the order of `varList` (else of every trainable variable they cover). */
export function gradientPairs(
  where: string,
  grads: tf.NamedTensorMap,
  varList: readonly tf.Variable[] | undefined,
): Array<[tf.Tensor, tf.Variable]> {
  const variables = varList ?? Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
  const pairs: Array<[tf.Tensor, tf.Variable]> = [];
  for (const v of variables) {
    const g = grads[v.name];
    if (g !== undefined) pairs.push([g, v]);
    else if (varList !== undefined) throw new Error(`${where}: the loss does not depend on variable "${v.name}".`);
  }
  return pairs;
}

/** `minimize(lossFn, varList?)` or tfjs's `minimize(lossFn, returnCost, varList?)`: whether to return the loss, and the list. */
export function minimizeArguments(
  where: string,
  lossFn: unknown,
  second: tf.Variable[] | boolean | undefined,
  third: tf.Variable[] | undefined,
): { returnCost: boolean; varList: tf.Variable[] | undefined } {
  if (typeof lossFn !== 'function') {
    throw new TypeError(`${where}: \`lossFn\` must be a function returning the loss as a scalar tensor.`);
  }
  const tfjsForm = typeof second === 'boolean';
  const list = tfjsForm ? third : second;
  const varList = list === undefined || list === null ? undefined : checkVariables(where, 'varList', list);
  return { returnCost: tfjsForm ? second : true, varList };
}
