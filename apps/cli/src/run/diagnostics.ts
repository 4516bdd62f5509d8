/**
 * The chapter's practical workflow as advice: each rule looks at what a run knows (its inputs, its batch
 * size, its history so far) and, when it fires, says in one line what is wrong and what to try.
 */
import type { TrainConfig } from '../config/knobs.js';
import { formatNumber } from '../config/resolve.js';

export type AdviceId =
  | 'input-not-normalized'
  | 'full-batch'
  | 'batch-of-one'
  | 'diverged'
  | 'loss-flat'
  | 'overfitting';

export interface Advice {
  readonly id: AdviceId;
  /** The epoch (1-based) it is about, or null for advice given before training. */
  readonly epoch: number | null;
  readonly message: string;
}

/** ln(10): the cross-entropy of a uniform guess over the ten classes. */
export const CHANCE_LOSS = Math.log(10);

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** Inputs far from mean 0 and standard deviation 1 after the chosen normalization. */
export function inputAdvice(
  normalize: TrainConfig['normalize'],
  moments: { mean: number; std: number },
): Advice | null {
  const { mean, std } = moments;
  if (Math.abs(mean) <= 1 && std >= 0.1 && std <= 3) return null;
  return {
    id: 'input-not-normalized',
    epoch: null,
    message: `input not normalized: with --normalize ${normalize} the pixels have mean ${fmt(mean)} and std ${fmt(std)}, far from 0 and 1, so the first layer's pre-activations are huge and gradient steps badly scaled; use --normalize standardize (or rescale).`,
  };
}

/** The chapter on batch size: one exact but expensive update per epoch, or many cheap and noisy ones. */
export function batchAdvice(batchSize: number, trainCount: number): Advice | null {
  if (batchSize >= trainCount && trainCount > 1) {
    return {
      id: 'full-batch',
      epoch: null,
      message: `batch gradient descent: each update uses all ${trainCount} training images, so it is exact but costs a full pass, and an epoch makes only one update; mini-batches of 32-256 make ${Math.ceil(trainCount / 128)} cheaper updates per epoch with little noise.`,
    };
  }
  if (batchSize === 1) {
    return {
      id: 'batch-of-one',
      epoch: null,
      message: `stochastic gradient descent with batches of 1: ${trainCount} updates per epoch, each cheap but noisy and none vectorized, so an epoch takes far longer and the loss jitters; mini-batches of 32-256 average the noise and use the hardware.`,
    };
  }
  return null;
}

/** Divergence: a non-finite gradient or loss. `learningRate` is the rate at the failing step. */
export function divergedAdvice(epoch: number, what: string, learningRate: number, keptEpoch: number): Advice {
  return {
    id: 'diverged',
    epoch,
    message: `the loss diverged (${what}): training stopped and the last good checkpoint (epoch ${keptEpoch}) is kept; try a learning rate 10 times lower, --learning-rate ${formatNumber(Number((learningRate / 10).toPrecision(3)))}.`,
  };
}

export interface EpochRecord {
  readonly loss: number;
  readonly val_loss: number;
}

/**
 * Advice after epoch `history.length` (1-based). `initialLoss` is the validation loss before any step;
 * `given` holds the ids already given (each is said once per run).
 */
export function epochAdvice(
  history: readonly EpochRecord[],
  initialLoss: number,
  learningRate: number,
  patience: number | null,
  given: ReadonlySet<AdviceId>,
): Advice[] {
  const out: Advice[] = [];
  const e = history.length;
  const now = history[e - 1];
  if (now === undefined) return out;
  const before = e >= 2 ? (history[e - 2] as EpochRecord).loss : initialLoss;
  const lowest = Math.min(initialLoss, ...history.slice(0, -1).map((h) => h.loss));
  if (!Number.isFinite(now.loss) || (now.loss > CHANCE_LOSS && now.loss > 3 * lowest)) {
    out.push(
      divergedAdvice(e, `training loss ${fmt(now.loss)} in epoch ${e}, after ${fmt(lowest)}`, learningRate, e - 1),
    );
    return out;
  }
  // Near zero the training set is learnt: a small change there is not a plateau.
  if (
    !given.has('loss-flat') &&
    now.loss > 0.1 &&
    Number.isFinite(before) &&
    Math.abs(before - now.loss) < 0.01 * before
  ) {
    out.push({
      id: 'loss-flat',
      epoch: e,
      message: `the loss barely moved in epoch ${e} (${fmt(before)} -> ${fmt(now.loss)}, under 1%): the learning rate ${formatNumber(learningRate)} is too low or training is on a plateau; try a rate 10 times higher${e > 2 ? ', or a decay schedule (--schedule inverse-time or cosine) to settle into the minimum' : ''}.`,
    });
  }
  if (!given.has('overfitting') && e >= 3) {
    const [a, b, c] = history.slice(-3) as [EpochRecord, EpochRecord, EpochRecord];
    if (c.val_loss > b.val_loss && b.val_loss > a.val_loss && c.loss < b.loss && b.loss < a.loss) {
      out.push({
        id: 'overfitting',
        epoch: e,
        message: `overfitting: validation loss rose for two epochs (${fmt(a.val_loss)} -> ${fmt(c.val_loss)}) while training loss fell (${fmt(a.loss)} -> ${fmt(c.loss)}); ${patience === null ? 'stop early with --patience 2, or use more data or fewer epochs' : `early stopping (--patience ${patience}) will stop the run; the best checkpoint keeps the best epoch`}.`,
      });
    }
  }
  return out;
}
