/**
 * The composable core, in the style of optax: a gradient transformation is a pair of functions over arrays of
 * tensors with plain state, and says where it sits relative to the learning rate, so that `chain` can refuse
 * a recipe that would apply the learning rate twice or never.
 */
import { tf } from '@opt/tensor';
import type { LearningRate } from './learning-rate.js';

/** What a transformation knows about the step it computes. */
export interface StepContext {
  /**
   * Steps applied before this one (Keras's `optimizer.iterations`): 0 on the first
   * step. Bias corrections use `t = step + 1` (Keras's `local_step`).
   */
  readonly step: number;
  /** The optimizer's learning rate for this step (a schedule is read at `step`, as Keras does). */
  readonly learningRate: number;
  /**
   * A scalar tensor holding `value`, kept by the optimizer across steps: for constants such as `1 - beta1`, so
   * that a step does not upload them again. Absent outside an optimizer; use {@link constantOf}.
   */
  readonly constant?: (value: number) => tf.Scalar;
  /**
   * On a GPU backend with the non-finite guard on: the step's verdict on the device, a bool scalar, true when
   * every gradient is finite (and, under `'throw'`, every earlier one was). A transformation that keeps its old
   * state and returns zero updates when it is false says so with `gated: true` (its fused kernels take it);
   * otherwise the optimizer gates its results.
   */
  readonly gate?: tf.Tensor;
}

/** `ctx.constant(value)`, or a fresh scalar (freed by the caller's `tf.tidy`) when the context has no cache. */
export function constantOf(ctx: StepContext, value: number): tf.Scalar {
  return ctx.constant?.(value) ?? tf.scalar(value);
}

/** One record of named slot tensors per parameter, aligned with the parameters (Keras's slot variables). */
export type SlotState = ReadonlyArray<Readonly<Record<string, tf.Tensor>>>;

export interface TransformResult {
  /** What the next transformation receives; after the learning rate, what the optimizer adds to the parameters. */
  readonly updates: tf.Tensor[];
  readonly state: SlotState;
  /**
   * Parameters changed before the update (decoupled weight decay shrinks the
   * variable first, as Keras does); later transformations see these and the
   * optimizer adds the updates to them. Absent: unchanged.
   */
  readonly params?: tf.Tensor[];
  /** The state and updates already went through `ctx.gate` (old state and zero updates when it is shut). */
  readonly gated?: boolean;
  /**
   * `params + updates`, when the transformation computed them in the same pass as its updates (WebGL's fused Adam,
   * the learning rate folded in). The optimizer writes them instead of adding the updates; `updates` may then be
   * computed only when read. A chain passes on its last part's.
   */
  readonly applied?: tf.Tensor[];
}

/**
 * Where a transformation sits relative to the learning rate:
 * - `'gradient'` (default): takes gradients, or what earlier parts made of them, and returns the same kind of
 *   thing, a direction in which the loss grows (clipping, `scaleByAdam`, `trace`, `ema`).
 * - `'learningRate'`: takes such a direction and returns the update the optimizer adds to the weights, the
 *   learning rate applied (`scaleByLearningRate`; `momentum`, Keras's velocity form, which keeps `lr` inside `v`).
 * - `'weights'`: changes the parameters and passes the updates through (`addDecayedWeights`); fits anywhere.
 *
 * A chain applies the learning rate once: nothing but `'weights'` parts may follow a `'learningRate'` part, and
 * an optimizer refuses a transformation that never applies it (its updates would climb the loss).
 */
export type TransformRole = 'gradient' | 'learningRate' | 'weights';

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
  /** Where it sits relative to the learning rate; `'gradient'` when absent. */
  readonly role?: TransformRole;
  /**
   * For a `'gradient'` transformation: the same arithmetic with `-learningRate` (undefined: the optimizer's)
   * multiplied in where Keras multiplies it, a `'learningRate'` transformation. `chain` uses it to fold a
   * `scaleByLearningRate` that follows, so the presets do Keras's operations in Keras's order, one fewer per variable.
   */
  readonly withLearningRate?: (learningRate: LearningRate | undefined) => GradientTransformation;
  init(params: readonly tf.Tensor[]): SlotState;
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
  update: (
    grads: readonly tf.Tensor[],
    params: readonly tf.Tensor[],
    ctx: StepContext,
  ) => { updates: tf.Tensor[]; params?: tf.Tensor[] },
  role: TransformRole = 'gradient',
): GradientTransformation {
  return {
    name,
    config,
    slotNames: [],
    role,
    init: (params) => params.map(() => ({})),
    update(grads, state, params, ctx) {
      const r = update(grads, params, ctx);
      return r.params === undefined ? { updates: r.updates, state } : { updates: r.updates, state, params: r.params };
    },
  };
}

/** `scaleByLearningRate` transformations and their own learning rate, so that `chain` can fold them. */
const learningRateScales = new WeakMap<GradientTransformation, { learningRate: LearningRate | undefined }>();

/** Marks `t` as `scaleByLearningRate(learningRate)` (`update = -lr * g` and nothing else). */
export function markLearningRateScale(t: GradientTransformation, learningRate: LearningRate | undefined): void {
  learningRateScales.set(t, { learningRate });
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

/** The parts to run: each `'gradient'` part that can take the learning rate absorbs a `scaleByLearningRate` after it. */
function fold(transforms: readonly GradientTransformation[]): Array<{ t: GradientTransformation; part: number }> {
  const steps: Array<{ t: GradientTransformation; part: number }> = [];
  for (let k = 0; k < transforms.length; k++) {
    const t = transforms[k] as GradientTransformation;
    const scale =
      k + 1 < transforms.length ? learningRateScales.get(transforms[k + 1] as GradientTransformation) : undefined;
    if (scale !== undefined && roleOf(t) === 'gradient' && t.withLearningRate !== undefined) {
      steps.push({ t: t.withLearningRate(scale.learningRate), part: k });
      k += 1; // the scaleByLearningRate is folded in
    } else steps.push({ t, part: k });
  }
  return steps;
}

/**
 * Runs transformations one after another: each receives the previous one's updates (and parameters, if a
 * transformation changed them). The learning rate is applied once, last: a part after the one that applied it
 * (other than a `'weights'` part) is an error, and so is a second part that applies it. Slot names of the parts
 * are kept; a name already used by an earlier part gets `_<index>`.
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  checkOrder(transforms);
  const used = new Set<string>();
  // routes[k][j] = the chain's name for slot j of part k
  const routes = transforms.map((t, k) =>
    t.slotNames.map((name) => {
      const unique = used.has(name) ? `${name}_${k}` : name;
      used.add(unique);
      return unique;
    }),
  );
  const roles = transforms.map(roleOf);
  const role: TransformRole = roles.includes('learningRate')
    ? 'learningRate'
    : roles.every((r) => r === 'weights')
      ? 'weights'
      : 'gradient';
  const steps = fold(transforms);
  return {
    name: 'chain',
    config: { transforms: transforms.map((t) => ({ name: t.name, config: t.config })) },
    slotNames: routes.flat(),
    role,
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
      let last: TransformResult | null = null;
      // Gated when the part that makes the final updates, every part with state and every part that changes the
      // parameters went through the gate (a stateless part before a gated one may pass on anything).
      let gated = ctx.gate !== undefined;
      const next: Array<Record<string, tf.Tensor>> = params.map(() => ({}));
      for (const [k, { t, part }] of steps.entries()) {
        const route = routes[part] as string[];
        const partState = state.map((record) => {
          const own: Record<string, tf.Tensor> = {};
          t.slotNames.forEach((name, j) => {
            own[name] = record[route[j] as string] as tf.Tensor;
          });
          return own;
        });
        const r = t.update(updates, partState, current, ctx);
        if (r.gated !== true && (t.slotNames.length > 0 || r.params !== undefined || k === steps.length - 1)) {
          gated = false;
        }
        // The last part's updates are not read when it applied them itself (they may cost a pass to compute).
        if (k === steps.length - 1 && r.applied !== undefined) last = r;
        else updates = r.updates;
        if (r.params !== undefined) {
          current = r.params;
          changedParams = true;
        }
        r.state.forEach((record, i) => {
          t.slotNames.forEach((name, j) => {
            (next[i] as Record<string, tf.Tensor>)[route[j] as string] = record[name] as tf.Tensor;
          });
        });
      }
      const applied = last;
      let final: tf.Tensor[] | null = applied === null ? [...updates] : null;
      return {
        get updates() {
          final ??= [...(applied as TransformResult).updates];
          return final;
        },
        state: next,
        ...(changedParams ? { params: [...current] } : {}),
        ...(gated ? { gated } : {}),
        ...(applied === null ? {} : { applied: applied.applied }),
      };
    },
  };
}
