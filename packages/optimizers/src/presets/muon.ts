import { tf } from '@opt/tensor';
import { optionOf } from '../catalog.js';
import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { type MuonArguments, scaleByMuon } from '../transforms/muon.js';
import { boolean, catalogOption } from '../validate.js';
import { split } from './split.js';

/** {@link Muon}'s arguments: Keras 3's, camelCase, besides the base options. */
export interface MuonOptions extends OptimizerOptions, MuonArguments {
  /** Decoupled weight decay of the AdamW-updated variables (Keras's `adam_weight_decay`, 0.004). */
  adamWeightDecay?: number | null;
  /** Variables whose name matches one of these regular expressions take the AdamW step (Keras's `re.search`). */
  excludeLayers?: readonly string[] | null;
  /** Variables whose name contains 'embedding' (any case) take the AdamW step (default true). */
  excludeEmbeddings?: boolean;
}

/** Where {@link Muon}'s tfjs weights keep `excludeLayers` as given (loading camel-cases the strings of a config). */
const LAYERS_WEIGHT = 'excludeLayers';

/** Which variables take the AdamW step: decided when a variable's slots are made, as Keras decides at `build`. */
class MuonRouting {
  patterns: RegExp[] = [];
  names: string[] = [];
  built = false;

  constructor(
    names: readonly string[],
    private readonly excludeEmbeddings: boolean,
  ) {
    this.set('Muon', names);
  }

  /** Keras's `_should_use_adamw`: not a matrix, an embedding, or a name matching `excludeLayers`. */
  usesAdam(param: tf.Tensor): boolean {
    if (param.rank !== 2) return true;
    const name = param instanceof tf.Variable ? param.name : '';
    if (this.excludeEmbeddings && name.toLowerCase().includes('embedding')) return true;
    return this.patterns.some((pattern) => pattern.test(name));
  }

  set(owner: string, names: readonly string[]): void {
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
      throw new TypeError(
        `${owner}: \`excludeLayers\` must be an array of variable-name patterns such as ['output'], got ${JSON.stringify(names)}.`,
      );
    }
    this.patterns = names.map((pattern) => {
      try {
        return new RegExp(pattern);
      } catch (error) {
        throw new RangeError(
          `${owner}: \`excludeLayers\` pattern ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}).`,
        );
      }
    });
    this.names = [...names];
  }
}

/**
 * Keras 3's Muon (Jordan et al. 2024; Liu et al. 2025's scaling): each weight matrix steps along the
 * orthogonalized momentum, `w -= lr sqrt(max(rows, cols)) rmsRate NewtonSchulz5(g + momentum m)` with
 * `m = momentum m + g`; every other variable (not 2-D, an embedding with `excludeEmbeddings`, or named by
 * `excludeLayers`) takes AdamW's step at `lr adamLrRatio` (see {@link scaleByMuon}). Decoupled weight decay
 * `w -= w wd lr` before the step, `wd` being `weightDecay` (0.004) for the Muon variables and `adamWeightDecay`
 * (0.004) for the rest; `excludeFromWeightDecay` applies to both. Defaults: lr 0.001, adamBeta1 0.9, adamBeta2
 * 0.999, epsilon 1e-7, muonA/B/C 3.4445 / -4.775 / 2.0315, adamLrRatio 1, momentum 0.95, nsSteps 5, nesterov true,
 * rmsRate 0.2 (null: off). Keras advises AdamW for the output layer: name it in `excludeLayers`. The Muon variables'
 * `velocity` slot is empty.
 */
export class Muon extends GradientTransformationOptimizer {
  private readonly routing: MuonRouting;
  /** The config object getConfig() reads (shared with the base class), so that restored names show there. */
  private readonly config: { excludeLayers: string[] };

  constructor(options: MuonOptions = {}) {
    const { own, base } = split('Muon', options, ['excludeLayers']);
    const { adamWeightDecay: adamDecayGiven, excludeLayers, excludeEmbeddings: embeddingsGiven } = own;
    const { adamBeta1, adamBeta2, epsilon, muonA, muonB, muonC, adamLrRatio, momentum, nsSteps, nesterov } = own;
    const muon = { adamBeta1, adamBeta2, epsilon, muonA, muonB, muonC, adamLrRatio, momentum, nsSteps, nesterov };
    const adamWeightDecay =
      adamDecayGiven === null
        ? null
        : catalogOption<number>('Muon', optionOf('muon', 'adamWeightDecay'), adamDecayGiven);
    const excludeEmbeddings = boolean('Muon', 'excludeEmbeddings', embeddingsGiven ?? true);
    const routing = new MuonRouting(excludeLayers ?? [], excludeEmbeddings);
    const rmsRate = own.rmsRate;
    const core = scaleByMuon(
      { ...muon, ...(rmsRate === undefined ? {} : { rmsRate }) },
      (p) => routing.usesAdam(p),
      'Muon',
    );
    const weightDecay = base.weightDecay ?? 0.004;
    const config = { ...core.config, adamWeightDecay, excludeEmbeddings, excludeLayers: routing.names };
    super(core, { ...base, weightDecay }, 'Muon', config, {
      weightDecayOf: (param) => (routing.usesAdam(param) ? adamWeightDecay : weightDecay),
    });
    this.routing = routing;
    this.config = config;
  }

  /** Keras's `_should_use_adamw`: whether `variable` takes the AdamW step (decided at its first step). */
  usesAdam(variable: tf.Variable): boolean {
    return this.routing.usesAdam(variable);
  }

  /** Creates the slots (and so decides each variable's step); `excludeLayers` is fixed from then on. */
  override build(variables: readonly tf.Variable[]): void {
    super.build(variables);
    this.routing.built = this.builtVariables.length > 0;
  }

  /** tfjs's `getWeights`, with `excludeLayers` as given (a tfjs load rewrites `a_b` as `aB` in the config). */
  override async getWeights(): Promise<Array<{ name: string; tensor: tf.Tensor }>> {
    const weights = await super.getWeights();
    return [{ name: LAYERS_WEIGHT, tensor: tf.tensor1d(this.routing.names, 'string') }, ...weights];
  }

  /** tfjs's `setWeights`: `excludeLayers` back as saved (before the first step), then the optimizer's weights. */
  override async setWeights(weights: Array<{ name: string; tensor: tf.Tensor }>): Promise<void> {
    const layers = weights.find((w) => w.name === LAYERS_WEIGHT);
    if (layers !== undefined) {
      const names = (await layers.tensor.data()) as unknown as string[];
      if (JSON.stringify(names) !== JSON.stringify(this.routing.names)) {
        if (this.routing.built) {
          throw new Error('Muon.setWeights: restore the weights before the first step (excludeLayers differs).');
        }
        this.routing.set('Muon.setWeights', names);
        this.config.excludeLayers = [...names];
      }
    }
    await super.setWeights(weights.filter((w) => w !== layers));
  }
}
