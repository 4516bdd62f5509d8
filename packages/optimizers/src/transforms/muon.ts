/** Keras 3's Muon (`keras/src/optimizers/muon.py`): orthogonalized momentum for matrices, AdamW for the rest. */
import { tf } from '@opt/tensor';
import { optionOf } from '../catalog.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { catalogOption, checkOptions } from '../validate.js';

/** The Newton-Schulz coefficients (Keras's `muon_a`, `muon_b`, `muon_c`). */
export interface NewtonSchulzCoefficients {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** Keras's `(3.4445, -4.7750, 2.0315)`: a quintic with the largest slope at zero (Jordan et al. 2024). */
export const NEWTON_SCHULZ_COEFFICIENTS: NewtonSchulzCoefficients = { a: 3.4445, b: -4.775, c: 2.0315 };

/**
 * Keras's `zeropower_via_newtonschulz5(x, steps)` for a matrix: roughly `U V^T` of `x = U S V^T`. A taller than wide
 * `x` is transposed first (and back at the end); `x = x / (||x||_F + 1e-7)`; then `steps` times
 * `A = x x^T`, `B = b A + (c A) A`, `x = a x + B x`.
 */
export function zeropowerViaNewtonSchulz5(
  x: tf.Tensor2D,
  steps: number,
  { a, b, c }: NewtonSchulzCoefficients = NEWTON_SCHULZ_COEFFICIENTS,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, cols] = x.shape;
    const tall = rows > cols;
    let y: tf.Tensor2D = tall ? tf.transpose(x) : x;
    y = tf.div(y, tf.add(tf.norm(y), tf.scalar(1e-7)));
    const [sa, sb, sc] = [a, b, c].map((k) => tf.scalar(k)) as [tf.Scalar, tf.Scalar, tf.Scalar];
    for (let k = 0; k < steps; k++) {
      // an explicit transpose: wasm's matMul with transposeB is the slow path (figures: README, Muon's step)
      const gram = tf.matMul(y, tf.transpose(y));
      const poly = tf.add(tf.mul(sb, gram), tf.matMul(tf.mul(sc, gram), gram));
      y = tf.add(tf.mul(sa, y), tf.matMul(poly, y));
    }
    return tall ? tf.transpose(y) : y;
  });
}

/** Arguments of {@link scaleByMuon}: Keras's, camelCase. */
export interface MuonArguments {
  /** AdamW step: decay of the first moment (0.9). */
  adamBeta1?: number;
  /** AdamW step: decay of the second moment (0.999). */
  adamBeta2?: number;
  /** AdamW step: Keras's epsilon hat (1e-7). */
  epsilon?: number;
  /** Newton-Schulz coefficient a (3.4445). */
  muonA?: number;
  /** Newton-Schulz coefficient b (-4.775). */
  muonB?: number;
  /** Newton-Schulz coefficient c (2.0315). */
  muonC?: number;
  /** The AdamW step's rate is `lr adamLrRatio` (1). */
  adamLrRatio?: number;
  /** Muon step: momentum of `m` (0.95). */
  momentum?: number;
  /** Newton-Schulz iterations (5). */
  nsSteps?: number;
  /** Orthogonalize `g + momentum m` (true) or `m`. */
  nesterov?: boolean;
  /** Moonlight's scaling of the Muon step; null: off. */
  rmsRate?: number | null;
}

const KEYS = [
  'adamBeta1',
  'adamBeta2',
  'epsilon',
  'muonA',
  'muonB',
  'muonC',
  'adamLrRatio',
  'momentum',
  'nsSteps',
  'nesterov',
  'rmsRate',
] as const;

/**
 * Keras 3's Muon step, learning rate included (role `'learningRate'`). `usesAdam(param)` picks the AdamW step for a
 * parameter when the slots are made (Keras's `_should_use_adamw` at `build`); it has a `velocity` slot, the others an
 * empty one. Muon step, for a matrix: `m += g + m (momentum - 1)`; `G = g + momentum m` (nesterov) or `m`;
 * `w -= (lr O) sqrt(max(rows, cols)) rmsRate` with `O = zeropowerViaNewtonSchulz5(G, nsSteps)` (no factor when
 * `rmsRate` is null). AdamW step at `lr adamLrRatio`: `alpha = lr sqrt(1 - b2^t) / (1 - b1^t)`;
 * `m += (g - m)(1 - b1)`; `v += (g² - v)(1 - b2)`; `w -= m alpha / (sqrt(v) + eps)`. Slots: `momentum`, `velocity`.
 */
export function scaleByMuon(
  options: MuonArguments = {},
  usesAdam: (param: tf.Tensor) => boolean = (p) => p.rank !== 2,
  owner = 'scaleByMuon',
): GradientTransformation {
  const o = checkOptions(owner, options, KEYS);
  const rmsRate = o.rmsRate === null ? null : catalogOption<number>(owner, optionOf('muon', 'rmsRate'), o.rmsRate);
  const config = Object.fromEntries(
    KEYS.filter((k) => k !== 'rmsRate').map((k) => [k, catalogOption(owner, optionOf('muon', k), o[k])]),
  ) as Required<Omit<MuonArguments, 'rmsRate'>>;
  const { adamBeta1: b1, adamBeta2: b2, epsilon, adamLrRatio, momentum, nsSteps, nesterov } = config;
  const coefficients = { a: config.muonA, b: config.muonB, c: config.muonC };
  return {
    name: 'scaleByMuon',
    config: { ...config, rmsRate },
    slotNames: ['momentum', 'velocity'],
    role: 'learningRate',
    init: (params) =>
      params.map((p) => ({ momentum: tf.zerosLike(p), velocity: usesAdam(p) ? tf.zerosLike(p) : tf.zeros([0]) })),
    update(grads, state, params, ctx) {
      const t = ctx.step + 1;
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const { momentum: m, velocity: v } = state[i] as { momentum: tf.Tensor; velocity: tf.Tensor };
        if (v.size === 0) {
          const mNew = tf.add(m, tf.add(g, tf.mul(m, constantOf(ctx, momentum - 1))));
          const direction = nesterov ? tf.add(g, tf.mul(constantOf(ctx, momentum), mNew)) : mNew;
          const [rows, cols] = (params[i] as tf.Tensor).shape as [number, number];
          const o2d = zeropowerViaNewtonSchulz5(direction as tf.Tensor2D, nsSteps, coefficients);
          let step = tf.mul(o2d, tf.scalar(ctx.learningRate));
          if (rmsRate !== null) {
            step = tf.mul(tf.mul(step, tf.scalar(Math.sqrt(Math.max(rows, cols)))), tf.scalar(rmsRate));
          }
          updates.push(tf.neg(step));
          return { momentum: mNew, velocity: v };
        }
        const lr = ctx.learningRate * adamLrRatio;
        const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        const mNew = tf.add(m, tf.mul(tf.sub(g, m), constantOf(ctx, 1 - b1)));
        const vNew = tf.add(v, tf.mul(tf.sub(tf.square(g), v), constantOf(ctx, 1 - b2)));
        const step = tf.div(tf.mul(mNew, tf.scalar(alpha)), tf.add(tf.sqrt(vNew), constantOf(ctx, epsilon)));
        updates.push(tf.neg(step));
        return { momentum: mNew, velocity: vNew };
      });
      return { updates, state: next };
    },
  };
}
