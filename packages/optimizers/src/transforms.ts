/**
 * The gradient transformations the presets are built from, each with Keras 3's arithmetic written in its doc
 * comment. `g` is the incoming update (the gradient, or what earlier transformations made of it), `t = step + 1`,
 * `lr` the learning rate of the step. Each does one thing; the learning rate is applied once, by
 * {@link scaleByLearningRate} (or {@link momentum}, Keras's velocity form, which keeps it inside the velocity).
 */
import { tf } from '@opt/tensor';
import { fusedAdamAvailable, fusedAdamStep } from './fused-adam.js';
import { describeLearningRate, type LearningRate, learningRateAt } from './learning-rate.js';
import {
  constantOf,
  type GradientTransformation,
  markLearningRateScale,
  type SlotState,
  type StepContext,
  stateless,
} from './transform.js';
import { boolean, checkOptions, nonNegative, positive, unitClosed, unitOpen } from './validate.js';

/** The learning rate at `ctx.step`: the transformation's own (a schedule's value checked), or the optimizer's. */
function rateAt(owner: string, own: LearningRate | undefined, ctx: StepContext): number {
  return own === undefined ? ctx.learningRate : learningRateAt(owner, own, ctx.step);
}

function checkRate(owner: string, lr: LearningRate | undefined): void {
  if (lr !== undefined && typeof lr !== 'function') positive(owner, 'learningRate', lr, '0.001');
}

function describeRate(lr: LearningRate | undefined): unknown {
  return lr === undefined ? 'optimizer' : describeLearningRate(lr);
}

const zeroSlots =
  (...names: string[]) =>
  (params: readonly tf.Tensor[]): SlotState =>
    params.map((p) => Object.fromEntries(names.map((n) => [n, tf.zerosLike(p)])));

/** Where a transformation's own arithmetic applies the learning rate (null: it leaves it to a later part). */
type Folded = { readonly learningRate: LearningRate | undefined } | null;

/**
 * A `'gradient'` transformation `make(null)` that can also multiply `-lr` in where Keras does
 * (`make({ learningRate })`, role `'learningRate'`), so that `chain(it, scaleByLearningRate())` runs Keras's ops.
 */
function foldable(make: (folded: Folded) => GradientTransformation): GradientTransformation {
  return { ...make(null), withLearningRate: (learningRate) => make({ learningRate }) };
}

/** `-lr` for this step as a scalar, when the learning rate is folded in. */
function negativeRate(owner: string, folded: Folded, ctx: StepContext): tf.Scalar | null {
  return folded === null ? null : tf.scalar(-rateAt(owner, folded.learningRate, ctx));
}

/** `x * scale`, or `x` when there is no scale. */
function scaled(x: tf.Tensor, scale: tf.Scalar | null): tf.Tensor {
  return scale === null ? x : tf.mul(x, scale);
}

/**
 * `update = -lr * g`, the learning rate applied once, last. Without an argument it uses the optimizer's learning
 * rate (so that `optimizer.learningRate` and schedules drive it).
 */
export function scaleByLearningRate(learningRate?: LearningRate): GradientTransformation {
  checkRate('scaleByLearningRate', learningRate);
  const t = stateless(
    'scaleByLearningRate',
    { learningRate: describeRate(learningRate) },
    (grads, _params, ctx) => {
      const negLr = tf.scalar(-rateAt('scaleByLearningRate', learningRate, ctx));
      return { updates: grads.map((g) => tf.mul(g, negLr)) };
    },
    'learningRate',
  );
  markLearningRateScale(t, learningRate);
  return t;
}

/**
 * optax's `trace`, a momentum that composes: `trace = decay * trace + g`; `update = trace`, or with Nesterov
 * `decay * trace + g`. The learning rate is not inside: `chain(trace(0.9), scaleByLearningRate(0.1))` is
 * PyTorch's and `tf.train.momentum`'s SGD (`w -= lr * trace`), equal to Keras's velocity form ({@link momentum})
 * at a constant learning rate up to rounding; when the rate changes it rescales the whole history, Keras's does
 * not. Slot: `trace`.
 */
export function trace(decay: number, options: { nesterov?: boolean } = {}): GradientTransformation {
  unitClosed('trace', 'decay', decay, '0.9');
  const nesterov = boolean('trace', 'nesterov', checkOptions('trace', options, ['nesterov']).nesterov ?? false);
  return {
    name: 'trace',
    config: { decay, nesterov },
    slotNames: ['trace'],
    role: 'gradient',
    init: zeroSlots('trace'),
    update(grads, state, _params, ctx) {
      const d = constantOf(ctx, decay);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const t = tf.add(tf.mul(state[i]?.trace as tf.Tensor, d), g);
        updates.push(nesterov ? tf.add(tf.mul(t, d), g) : t);
        return { trace: t };
      });
      return { updates, state: next };
    },
  };
}

/**
 * Keras's SGD momentum, the velocity form, which applies the learning rate itself (inside the velocity):
 * `v = momentum * v - lr * g`; `update = v`, or with Nesterov `update = momentum * v - lr * g`. A new learning
 * rate applies to new gradients only. It must come last in a chain (no `scaleByLearningRate` after it); for a
 * momentum that composes, use {@link trace}. Slot: `momentum` (Keras's `momentums`).
 */
export function momentum(
  momentumValue: number,
  options: { nesterov?: boolean; learningRate?: LearningRate } = {},
): GradientTransformation {
  unitClosed('momentum', 'momentum', momentumValue, '0.9');
  const o = checkOptions('momentum', options, ['nesterov', 'learningRate']);
  const nesterov = boolean('momentum', 'nesterov', o.nesterov ?? false);
  checkRate('momentum', o.learningRate);
  return {
    name: 'momentum',
    config: { momentum: momentumValue, nesterov, learningRate: describeRate(o.learningRate) },
    slotNames: ['momentum'],
    role: 'learningRate',
    init: zeroSlots('momentum'),
    update(grads, state, _params, ctx) {
      const lr = tf.scalar(rateAt('momentum', o.learningRate, ctx));
      const mu = constantOf(ctx, momentumValue);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const gLr = tf.mul(g, lr);
        const v = tf.sub(tf.mul(state[i]?.momentum as tf.Tensor, mu), gLr);
        updates.push(nesterov ? tf.sub(tf.mul(v, mu), gLr) : v);
        return { momentum: v };
      });
      return { updates, state: next };
    },
  };
}

/**
 * One step of the exponential moving average, `avg = beta * avg + (1 - beta) * x` (`b` and `oneMinusB` the
 * two weights as scalars): the chapter's building block behind {@link ema}, RMSprop's average of g^2 and its
 * centered average of g, written in the order Keras's RMSprop computes it.
 */
function emaStep(avg: tf.Tensor, x: tf.Tensor, b: tf.Tensor, oneMinusB: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(b, avg), tf.mul(oneMinusB, x));
}

/**
 * The same average as an increment, `avg = avg + (x - avg) * (1 - beta)`: the form of Keras's Adam, Adamax and
 * Nadam moments (equal in exact arithmetic, kept apart so each preset rounds as Keras does).
 */
function emaIncrement(avg: tf.Tensor, x: tf.Tensor, oneMinusB: tf.Tensor): tf.Tensor {
  return tf.add(avg, tf.mul(tf.sub(x, avg), oneMinusB));
}

/**
 * Keras's RMSprop denominator, epsilon inside the square root:
 * `v = rho * v + (1 - rho) * g^2`; centered: `a = rho * a + (1 - rho) * g`, `den = v - a^2 + eps`;
 * otherwise `den = v + eps`; `update = g / sqrt(den)` (RMSprop multiplies by `-lr` next, as Keras's
 * `lr * g / sqrt(den)`, or feeds it to {@link momentum}). Slots: `velocity`, and `averageGradient` when centered.
 */
export function scaleByRms(
  options: { rho?: number; epsilon?: number; centered?: boolean } = {},
): GradientTransformation {
  const o = checkOptions('scaleByRms', options, ['rho', 'epsilon', 'centered']);
  const rho = unitClosed('scaleByRms', 'rho', o.rho ?? 0.9, '0.9');
  const epsilon = positive('scaleByRms', 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  const centered = boolean('scaleByRms', 'centered', o.centered ?? false);
  const names = centered ? ['velocity', 'averageGradient'] : ['velocity'];
  return foldable((folded) => ({
    name: 'scaleByRms',
    config: { rho, epsilon, centered },
    slotNames: names,
    role: folded === null ? 'gradient' : 'learningRate',
    init: zeroSlots(...names),
    update(grads, state, _params, ctx) {
      const r = constantOf(ctx, rho);
      const oneMinusR = constantOf(ctx, 1 - rho);
      const eps = constantOf(ctx, epsilon);
      const negLr = negativeRate('scaleByRms', folded, ctx);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i): Record<string, tf.Tensor> => {
        const s = state[i] as Record<string, tf.Tensor>;
        const v = emaStep(s.velocity as tf.Tensor, tf.square(g), r, oneMinusR);
        if (centered) {
          const a = emaStep(s.averageGradient as tf.Tensor, g, r, oneMinusR);
          updates.push(tf.div(scaled(g, negLr), tf.sqrt(tf.add(tf.sub(v, tf.square(a)), eps))));
          return { velocity: v, averageGradient: a };
        }
        updates.push(tf.div(scaled(g, negLr), tf.sqrt(tf.add(v, eps))));
        return { velocity: v };
      });
      return { updates, state: next };
    },
  }));
}

/**
 * Keras's Adam, "epsilon hat" form with the bias correction folded into the step size:
 * `m = m + (g - m) * (1 - beta1)`; `v = v + (g^2 - v) * (1 - beta2)`; amsgrad: `vHat = max(vHat, v)`, use `vHat`;
 * `update = c * m / (sqrt(v) + eps)` with `c = sqrt(1 - beta2^t) / (1 - beta1^t)`; followed by
 * {@link scaleByLearningRate}, `w -= alpha * m / (sqrt(v) + eps)` with `alpha = lr * c`, Keras's 12 operations.
 * Slots: `momentum`, `velocity` (and `velocityHat`).
 */
export function scaleByAdam(
  options: { beta1?: number; beta2?: number; epsilon?: number; amsgrad?: boolean } = {},
): GradientTransformation {
  const o = checkOptions('scaleByAdam', options, ['beta1', 'beta2', 'epsilon', 'amsgrad']);
  const beta1 = unitOpen('scaleByAdam', 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen('scaleByAdam', 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive('scaleByAdam', 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  const amsgrad = boolean('scaleByAdam', 'amsgrad', o.amsgrad ?? false);
  const names = amsgrad ? ['momentum', 'velocity', 'velocityHat'] : ['momentum', 'velocity'];
  return foldable((folded) => ({
    name: 'scaleByAdam',
    config: { beta1, beta2, epsilon, amsgrad },
    slotNames: names,
    role: folded === null ? 'gradient' : 'learningRate',
    init: zeroSlots(...names),
    update(grads, state, params, ctx) {
      const t = ctx.step + 1;
      const c = Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
      // Keras's alpha = lr * c, negated so that the optimizer adds the update (negation is exact)
      const alpha = folded === null ? c : -rateAt('scaleByAdam', folded.learningRate, ctx) * c;
      if (!amsgrad && fusedAdamAvailable()) {
        // WebGL: three programs per variable, through the guard's gate when there is one.
        const gate = ctx.gate ?? constantOf(ctx, 1);
        const constants = { oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, stepSize: alpha, epsilon };
        const steps = grads.map((g, i) => {
          const s = state[i] as Record<string, tf.Tensor>;
          return fusedAdamStep(g, s.momentum as tf.Tensor, s.velocity as tf.Tensor, gate, constants);
        });
        const next = steps.map((r) => ({ momentum: r.momentum, velocity: r.velocity }));
        const gated = ctx.gate === undefined ? {} : { gated: true };
        if (folded === null) return { updates: steps.map((r) => r.update()), state: next, ...gated };
        // The learning rate folded in: the updates are final, so the weights come out of the third program.
        let updates: tf.Tensor[] | null = null;
        return {
          get updates() {
            updates ??= steps.map((r) => r.update());
            return updates;
          },
          applied: steps.map((r, i) => r.apply(params[i] as tf.Tensor)),
          state: next,
          ...gated,
        };
      }
      const stepSize = tf.scalar(alpha);
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const oneMinusB2 = constantOf(ctx, 1 - beta2);
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i): Record<string, tf.Tensor> => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = emaIncrement(s.momentum as tf.Tensor, g, oneMinusB1);
        const v = emaIncrement(s.velocity as tf.Tensor, tf.square(g), oneMinusB2);
        const vHat = amsgrad ? tf.maximum(s.velocityHat as tf.Tensor, v) : v;
        updates.push(tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(vHat), eps)));
        return amsgrad ? { momentum: m, velocity: v, velocityHat: vHat } : { momentum: m, velocity: v };
      });
      return { updates, state: next };
    },
  }));
}

/**
 * Keras's Adamax (infinity norm):
 * `m = m + (g - m) * (1 - beta1)`; `u = max(beta2 * u, |g|)`; `update = m / ((1 - beta1^t) * (u + eps))`
 * (Keras: `lr * m / ((1 - beta1^t) * (u + eps))`). Slots: `momentum`, `norm` (Keras's `_m`, `_u`).
 */
export function scaleByAdamax(
  options: { beta1?: number; beta2?: number; epsilon?: number } = {},
): GradientTransformation {
  const o = checkOptions('scaleByAdamax', options, ['beta1', 'beta2', 'epsilon']);
  const beta1 = unitOpen('scaleByAdamax', 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen('scaleByAdamax', 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive('scaleByAdamax', 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  return foldable((folded) => ({
    name: 'scaleByAdamax',
    config: { beta1, beta2, epsilon },
    slotNames: ['momentum', 'norm'],
    role: folded === null ? 'gradient' : 'learningRate',
    init: zeroSlots('momentum', 'norm'),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const correction = tf.scalar(1 - beta1 ** t);
      const negLr = negativeRate('scaleByAdamax', folded, ctx);
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const b2 = constantOf(ctx, beta2);
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = emaIncrement(s.momentum as tf.Tensor, g, oneMinusB1);
        const u = tf.maximum(tf.mul(s.norm as tf.Tensor, b2), tf.abs(g));
        updates.push(tf.div(scaled(m, negLr), tf.mul(tf.add(u, eps), correction)));
        return { momentum: m, norm: u };
      });
      return { updates, state: next };
    },
  }));
}

/** Nadam's momentum-cache product `prod_{s=1..t} beta1 * (1 - 0.5 * 0.96^s)` (Keras's `_u_product`), memoized. */
function nadamProduct(beta1: number): (t: number) => number {
  const products = [1];
  return (t) => {
    for (let s = products.length; s <= t; s++) {
      products.push((products[s - 1] as number) * beta1 * (1 - 0.5 * 0.96 ** s));
    }
    return products[t] as number;
  };
}

/**
 * Keras's Nadam with the momentum cache:
 * `u_t = beta1 * (1 - 0.5 * 0.96^t)`, `u_{t+1} = beta1 * (1 - 0.5 * 0.96^(t+1))`,
 * `P_t = prod_{s<=t} u_s`, `P_{t+1} = P_t * u_{t+1}`;
 * `m = m + (g - m) * (1 - beta1)`; `v = v + (g^2 - v) * (1 - beta2)`;
 * `mHat = u_{t+1} * m / (1 - P_{t+1}) + (1 - u_t) * g / (1 - P_t)`; `vHat = v / (1 - beta2^t)`;
 * `update = mHat / (sqrt(vHat) + eps)` (Keras: `mHat * lr / (sqrt(vHat) + eps)`). Slots: `momentum`, `velocity`.
 */
export function scaleByNadam(
  options: { beta1?: number; beta2?: number; epsilon?: number } = {},
): GradientTransformation {
  const o = checkOptions('scaleByNadam', options, ['beta1', 'beta2', 'epsilon']);
  const beta1 = unitOpen('scaleByNadam', 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen('scaleByNadam', 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive('scaleByNadam', 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  const product = nadamProduct(beta1);
  return foldable((folded) => ({
    name: 'scaleByNadam',
    config: { beta1, beta2, epsilon },
    slotNames: ['momentum', 'velocity'],
    role: folded === null ? 'gradient' : 'learningRate',
    init: zeroSlots('momentum', 'velocity'),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const uT = beta1 * (1 - 0.5 * 0.96 ** t);
      const uNext = beta1 * (1 - 0.5 * 0.96 ** (t + 1));
      const pT = product(t);
      const pNext = pT * uNext;
      const mCoef = tf.scalar(uNext / (1 - pNext));
      const gCoef = tf.scalar((1 - uT) / (1 - pT));
      const vCoef = tf.scalar(1 / (1 - beta2 ** t));
      const negLr = negativeRate('scaleByNadam', folded, ctx);
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const oneMinusB2 = constantOf(ctx, 1 - beta2);
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = emaIncrement(s.momentum as tf.Tensor, g, oneMinusB1);
        const v = emaIncrement(s.velocity as tf.Tensor, tf.square(g), oneMinusB2);
        const mHat = tf.add(tf.mul(m, mCoef), tf.mul(g, gCoef));
        updates.push(tf.div(scaled(mHat, negLr), tf.add(tf.sqrt(tf.mul(v, vCoef)), eps)));
        return { momentum: m, velocity: v };
      });
      return { updates, state: next };
    },
  }));
}

/**
 * Keras's Adagrad, epsilon inside the square root:
 * `acc = acc + g^2` (starting at `initialAccumulatorValue`); `update = g / sqrt(acc + eps)`
 * (Keras: `lr * g / sqrt(acc + eps)`). Slot: `accumulator`.
 */
export function scaleByAdagrad(
  options: { initialAccumulatorValue?: number; epsilon?: number } = {},
): GradientTransformation {
  const o = checkOptions('scaleByAdagrad', options, ['initialAccumulatorValue', 'epsilon']);
  const initial = nonNegative('scaleByAdagrad', 'initialAccumulatorValue', o.initialAccumulatorValue ?? 0.1, '0.1');
  const epsilon = positive('scaleByAdagrad', 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  return foldable((folded) => ({
    name: 'scaleByAdagrad',
    config: { initialAccumulatorValue: initial, epsilon },
    slotNames: ['accumulator'],
    role: folded === null ? 'gradient' : 'learningRate',
    init: (params) => params.map((p) => ({ accumulator: tf.fill(p.shape, initial) })),
    update(grads, state, _params, ctx) {
      const eps = constantOf(ctx, epsilon);
      const negLr = negativeRate('scaleByAdagrad', folded, ctx);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const acc = tf.add((state[i] as Record<string, tf.Tensor>).accumulator as tf.Tensor, tf.square(g));
        updates.push(tf.div(scaled(g, negLr), tf.sqrt(tf.add(acc, eps))));
        return { accumulator: acc };
      });
      return { updates, state: next };
    },
  }));
}

/**
 * The exponential moving average, the handbook's building block:
 * `ema = beta * ema + (1 - beta) * g`; with `debias`, `update = ema / (1 - beta^t)`, else `update = ema`.
 * Slot: `ema`. Usable alone (`chain(ema(0.9), scaleByLearningRate())` is momentum in EMA form).
 */
export function ema(beta: number, options: { debias?: boolean } = {}): GradientTransformation {
  unitOpen('ema', 'beta', beta, '0.9');
  const debias = boolean('ema', 'debias', checkOptions('ema', options, ['debias']).debias ?? true);
  return {
    name: 'ema',
    config: { beta, debias },
    slotNames: ['ema'],
    role: 'gradient',
    init: zeroSlots('ema'),
    update(grads, state, _params, ctx) {
      const b = constantOf(ctx, beta);
      const oneMinusB = constantOf(ctx, 1 - beta);
      const correction = debias ? tf.scalar(1 / (1 - beta ** (ctx.step + 1))) : null;
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const e = emaStep((state[i] as Record<string, tf.Tensor>).ema as tf.Tensor, g, b, oneMinusB);
        updates.push(scaled(e, correction));
        return { ema: e };
      });
      return { updates, state: next };
    },
  };
}

/**
 * Keras's decoupled weight decay, applied to the variable before the update:
 * `w <- w - w * (wd * lr)`, wherever it sits in a chain (it changes the parameters, not the updates).
 * `mask(param, index)` returning false leaves that parameter undecayed (optax's `mask`); the optimizer
 * uses it for `excludeFromWeightDecay`, passing the variables themselves as parameters.
 */
export function addDecayedWeights(
  weightDecay: number,
  options: { learningRate?: LearningRate; mask?: (param: tf.Tensor, index: number) => boolean } = {},
): GradientTransformation {
  nonNegative('addDecayedWeights', 'weightDecay', weightDecay, '0.004');
  const o = checkOptions('addDecayedWeights', options, ['learningRate', 'mask']);
  checkRate('addDecayedWeights', o.learningRate);
  const { mask } = o;
  return stateless(
    'addDecayedWeights',
    { weightDecay, learningRate: describeRate(o.learningRate), masked: mask !== undefined },
    (grads, params, ctx) => {
      if (weightDecay === 0) return { updates: [...grads] };
      const factor = tf.scalar(weightDecay * rateAt('addDecayedWeights', o.learningRate, ctx));
      return {
        updates: [...grads],
        params: params.map((w, i) => (mask !== undefined && !mask(w, i) ? w : tf.sub(w, tf.mul(w, factor)))),
      };
    },
    'weights',
  );
}

/** Keras's `clipvalue`: `g = clip(g, -value, value)`. */
export function clipByValue(value: number): GradientTransformation {
  positive('clipByValue', 'clipvalue', value, '1');
  return stateless('clipByValue', { clipvalue: value }, (grads) => ({
    updates: grads.map((g) => tf.clipByValue(g, -value, value)),
  }));
}

/** Keras's `clipnorm`, per variable: `g = g * c / max(||g||_2, c)`. */
export function clipByNorm(clipnorm: number): GradientTransformation {
  positive('clipByNorm', 'clipnorm', clipnorm, '1');
  return stateless('clipByNorm', { clipnorm }, (grads, _params, ctx) => {
    const c = constantOf(ctx, clipnorm);
    return { updates: grads.map((g) => tf.div(tf.mul(g, c), tf.maximum(tf.sqrt(tf.sum(tf.square(g))), c))) };
  });
}

/**
 * Keras's `global_clipnorm`: `n = sqrt(sum_i ||g_i||^2)`; `g_i = g_i * c * min(1 / n, 1 / c)`
 * (`+ (n - n)`, so that a non-finite norm makes every update NaN instead of passing through).
 */
export function clipByGlobalNorm(clipnorm: number): GradientTransformation {
  positive('clipByGlobalNorm', 'globalClipnorm', clipnorm, '1');
  return stateless('clipByGlobalNorm', { globalClipnorm: clipnorm }, (grads, _params, ctx) => {
    if (grads.length === 0) return { updates: [] };
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length === 1 ? (squares[0] as tf.Tensor) : tf.addN(squares));
    const scale = tf.add(
      tf.mul(constantOf(ctx, clipnorm), tf.minimum(tf.div(constantOf(ctx, 1), norm), constantOf(ctx, 1 / clipnorm))),
      tf.sub(norm, norm),
    );
    return { updates: grads.map((g) => tf.mul(g, scale)) };
  });
}
