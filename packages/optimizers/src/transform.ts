/**
 * The composable core, in the style of optax: a gradient transformation is `init(params) -> state` and
 * `update(grads, state, params, ctx) -> { updates, state }` over arrays of tensors, and says where it sits relative to
 * the learning rate, so that `chain` can refuse a recipe that would apply the learning rate twice or never.
 */
import { tf } from '@opt/tensor';

/** What a transformation knows about the step it computes. */
export interface StepContext {
  /** Steps applied before this one (Keras's `iterations`): 0 on the first. Bias corrections use `t = step + 1`. */
  readonly step: number;
  /** The optimizer's learning rate for this step (a schedule is read at `step`, as Keras does). */
  readonly learningRate: number;
  /** A kept scalar holding `value` (constants such as `1 - beta1` are not uploaded again); use {@link constantOf}. */
  readonly constant?: (value: number) => tf.Scalar;
  /**
   * Where the non-finite verdict stays on the device: the step's gate (a bool scalar, true: write). The optimizer
   * writes every result through it; an op may take it too (`adamUpdate`), which saves a select. Ignore it otherwise.
   */
  readonly gate?: tf.Tensor;
}

/** `ctx.constant(value)`, or a fresh scalar (freed by the caller's `tf.tidy`) when the context has no cache. */
export function constantOf(ctx: StepContext, value: number): tf.Scalar {
  return ctx.constant?.(value) ?? tf.scalar(value);
}

/** One record of named slot tensors per parameter, aligned with the parameters (Keras's slot variables). */
export type SlotState = ReadonlyArray<Readonly<Record<string, tf.Tensor>>>;

/** What {@link GradientTransformation.update} returns. */
export interface TransformResult {
  /** What the next transformation receives; after the learning rate, what the optimizer adds to the parameters. */
  readonly updates: tf.Tensor[];
  /** The slots after this step. */
  readonly state: SlotState;
}

/**
 * Where a transformation sits relative to the learning rate:
 * - `'gradient'` (default): takes gradients, or what earlier parts made of them, and returns the same kind of
 *   thing, a direction in which the loss grows (clipping, `scaleByAdam`, `trace`, `ema`).
 * - `'learningRate'`: takes such a direction and returns the update the optimizer adds to the weights, the learning
 *   rate applied (`scaleByLearningRate`; `momentum`; a block given its own `learningRate`, as the presets do).
 * - `'weights'`: adds a change of the weights to the final updates (`addDecayedWeights`); fits anywhere in a chain.
 */
export type TransformRole = 'gradient' | 'learningRate' | 'weights';

/** `init(params) -> state`, `update(grads, state, params, ctx) -> { updates, state }`; both pure. */
export interface GradientTransformation {
  /** e.g. 'scaleByAdam'. */
  readonly name: string;
  /** JSON-able arguments, for getConfig and error messages. */
  readonly config: Record<string, unknown>;
  /** The names of the per-parameter slots `init` creates (static, so `chain` can route state). */
  readonly slotNames: readonly string[];
  /** Where it sits relative to the learning rate; `'gradient'` when absent. */
  readonly role?: TransformRole;
  /**
   * The update reads the parameters' values (Lamb's trust ratio, Adafactor's RMS of the weights, Ftrl's closed form):
   * the optimizer then hands it the weights after its decoupled weight decay, as Keras decays before the update step.
   */
  readonly readsParams?: boolean;
  /** The slots for `params`, one record per parameter (optax's `init`). */
  init(params: readonly tf.Tensor[]): SlotState;
  /** The transformed updates and the new slots; pure (optax's `update`). */
  update(
    grads: readonly tf.Tensor[],
    state: SlotState,
    params: readonly tf.Tensor[],
    ctx: StepContext,
  ): TransformResult;
}

/** The role of `t` (`'gradient'` when it declares none). */
export function roleOf(t: GradientTransformation): TransformRole {
  return t.role ?? 'gradient';
}

/** A transformation without slots. */
export function stateless(
  name: string,
  config: Record<string, unknown>,
  update: (grads: readonly tf.Tensor[], params: readonly tf.Tensor[], ctx: StepContext) => { updates: tf.Tensor[] },
  role: TransformRole = 'gradient',
): GradientTransformation {
  return {
    name,
    config,
    slotNames: [],
    role,
    init: (params) => params.map(() => ({})),
    update: (grads, state, params, ctx) => ({ updates: update(grads, params, ctx).updates, state }),
  };
}

/** Checks that the learning rate is applied at most once and last (`'weights'` parts apart). */
function checkOrder(transforms: readonly GradientTransformation[]): void {
  transforms.forEach((t, k) => {
    if (!t || typeof t.update !== 'function' || typeof t.init !== 'function') {
      throw new TypeError(`chain: part ${k + 1} is not a gradient transformation (got ${String(t)}).`);
    }
  });
  const first = transforms.findIndex((t) => roleOf(t) === 'learningRate');
  if (first < 0) return;
  const applied = transforms[first] as GradientTransformation;
  transforms.slice(first + 1).forEach((t, j) => {
    if (roleOf(t) === 'weights') return;
    const hint =
      applied.name === 'momentum'
        ? " momentum() is Keras's velocity form (v = momentum * v - lr * g) and applies the learning rate itself; " +
          'for a momentum that composes, use trace(momentum) before scaleByLearningRate().'
        : ' Put the gradient transformations first and the learning rate last, e.g. ' +
          'chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate()).';
    throw new Error(
      `chain: ${t.name} (part ${first + j + 2}) comes after ${applied.name} (part ${first + 1}), which already ` +
        `applied the learning rate: ${t.name} would ${roleOf(t) === 'learningRate' ? 'apply it a second time' : 'transform weight updates, not gradients'}.${hint}`,
    );
  });
}

/**
 * Runs transformations one after another, each on the previous one's updates, then the `'weights'` parts on the
 * final updates. The learning rate is applied once, last (checked when the chain is built). Slot names of the parts
 * are kept; a name already used by an earlier part gets `_<index>`.
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  checkOrder(transforms);
  const used = new Set<string>();
  // routes[k][j]: the chain's name for slot j of part k
  const routes = transforms.map((t, k) =>
    t.slotNames.map((name) => {
      const unique = used.has(name) ? `${name}_${k}` : name;
      used.add(unique);
      return unique;
    }),
  );
  const roles = transforms.map(roleOf);
  const order = [...transforms.keys()].sort((a, b) => Number(roles[a] === 'weights') - Number(roles[b] === 'weights'));
  const slot = (k: number, j: number) => (routes[k] as string[])[j] as string;
  return {
    name: 'chain',
    config: { transforms: transforms.map((t) => ({ name: t.name, config: t.config })) },
    slotNames: routes.flat(),
    readsParams: transforms.some((t) => t.readsParams === true),
    role: roles.includes('learningRate')
      ? 'learningRate'
      : roles.every((r) => r === 'weights')
        ? 'weights'
        : 'gradient',
    init(params) {
      const next: Array<Record<string, tf.Tensor>> = params.map(() => ({}));
      transforms.forEach((t, k) => {
        t.init(params).forEach((slots, i) => {
          t.slotNames.forEach((name, j) => {
            (next[i] as Record<string, tf.Tensor>)[slot(k, j)] = slots[name] as tf.Tensor;
          });
        });
      });
      return next;
    },
    update(grads, state, params, ctx) {
      const next: Array<Record<string, tf.Tensor>> = params.map(() => ({}));
      let updates: readonly tf.Tensor[] = grads;
      for (const k of order) {
        const t = transforms[k] as GradientTransformation;
        const own = state.map((record) => Object.fromEntries(t.slotNames.map((name, j) => [name, record[slot(k, j)]])));
        const r = t.update(updates, own as SlotState, params, ctx);
        updates = r.updates;
        r.state.forEach((slots, i) => {
          t.slotNames.forEach((name, j) => {
            (next[i] as Record<string, tf.Tensor>)[slot(k, j)] = slots[name] as tf.Tensor;
          });
        });
      }
      return { updates: [...updates], state: next };
    },
  };
}
