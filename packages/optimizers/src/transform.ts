/**
 * The composable core, in the style of optax: a gradient transformation is a
 * pair of functions over arrays of tensors with plain state.
 */
import type { tf } from '@opt/tensor';

/** What a transformation knows about the step it computes. */
export interface StepContext {
  /**
   * Steps applied before this one (Keras's `optimizer.iterations`): 0 on the first
   * step. Bias corrections use `t = step + 1` (Keras's `local_step`).
   */
  readonly step: number;
  /** The optimizer's learning rate for this step (a schedule is read at `step`, as Keras does). */
  readonly learningRate: number;
}

/** One record of named slot tensors per parameter, aligned with the parameters (Keras's slot variables). */
export type SlotState = ReadonlyArray<Readonly<Record<string, tf.Tensor>>>;

export interface TransformResult {
  /** Additive updates: the optimizer sets `param <- param + update`. */
  readonly updates: tf.Tensor[];
  readonly state: SlotState;
  /**
   * Parameters changed before the update (decoupled weight decay shrinks the
   * variable first, as Keras does); later transformations see these and the
   * optimizer adds the updates to them. Absent: unchanged.
   */
  readonly params?: tf.Tensor[];
}

/**
 * `init(params) -> state`, `update(grads, state, params, ctx) -> { updates, state }`.
 * Both are pure: they return new tensors and never modify their inputs.
 */
export interface GradientTransformation {
  /** e.g. 'scaleByAdam'. */
  readonly name: string;
  /** JSON-able arguments, for getConfig and error messages. */
  readonly config: Record<string, unknown>;
  /** The names of the per-parameter slots `init` creates (static, so `chain` can route state). */
  readonly slotNames: readonly string[];
  init(params: readonly tf.Tensor[]): SlotState;
  update(
    grads: readonly tf.Tensor[],
    state: SlotState,
    params: readonly tf.Tensor[],
    ctx: StepContext,
  ): TransformResult;
}

/** A transformation without slots. */
export function stateless(
  name: string,
  config: Record<string, unknown>,
  update: (
    grads: readonly tf.Tensor[],
    params: readonly tf.Tensor[],
    ctx: StepContext,
  ) => { updates: tf.Tensor[]; params?: tf.Tensor[] },
): GradientTransformation {
  return {
    name,
    config,
    slotNames: [],
    init: (params) => params.map(() => ({})),
    update(grads, state, params, ctx) {
      const r = update(grads, params, ctx);
      return r.params === undefined ? { updates: r.updates, state } : { updates: r.updates, state, params: r.params };
    },
  };
}

/**
 * Runs transformations one after another: each receives the previous one's
 * updates (and parameters, if a transformation changed them). Slot names of
 * the parts are kept; a name already used by an earlier part gets `_<index>`.
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  const used = new Set<string>();
  // routes[k][j] = the chain's name for slot j of part k
  const routes = transforms.map((t, k) =>
    t.slotNames.map((name) => {
      const unique = used.has(name) ? `${name}_${k}` : name;
      used.add(unique);
      return unique;
    }),
  );
  return {
    name: 'chain',
    config: { transforms: transforms.map((t) => ({ name: t.name, config: t.config })) },
    slotNames: routes.flat(),
    init(params) {
      const parts = transforms.map((t) => t.init(params));
      return params.map((_, i) => {
        const record: Record<string, tf.Tensor> = {};
        parts.forEach((part, k) => {
          const slots = part[i] ?? {};
          (transforms[k] as GradientTransformation).slotNames.forEach((name, j) => {
            record[(routes[k] as string[])[j] as string] = slots[name] as tf.Tensor;
          });
        });
        return record;
      });
    },
    update(grads, state, params, ctx) {
      let updates: readonly tf.Tensor[] = grads;
      let current: readonly tf.Tensor[] = params;
      let changedParams = false;
      const next: Array<Record<string, tf.Tensor>> = params.map(() => ({}));
      transforms.forEach((t, k) => {
        const route = routes[k] as string[];
        const partState = state.map((record) => {
          const own: Record<string, tf.Tensor> = {};
          t.slotNames.forEach((name, j) => {
            own[name] = record[route[j] as string] as tf.Tensor;
          });
          return own;
        });
        const r = t.update(updates, partState, current, ctx);
        updates = r.updates;
        if (r.params !== undefined) {
          current = r.params;
          changedParams = true;
        }
        r.state.forEach((record, i) => {
          t.slotNames.forEach((name, j) => {
            (next[i] as Record<string, tf.Tensor>)[route[j] as string] = record[name] as tf.Tensor;
          });
        });
      });
      return changedParams
        ? { updates: [...updates], state: next, params: [...current] }
        : { updates: [...updates], state: next };
    },
  };
}
