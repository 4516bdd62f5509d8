/**
 * Keras's `exclude_from_weight_decay`: which variables decoupled weight decay leaves alone, by object or by
 * a regular expression on the variable's name (Keras uses `re.search`, as `RegExp.test` does).
 */
import { tf } from '@opt/tensor';

export class WeightDecayExclusion {
  private readonly variables = new Set<tf.Variable>();
  private readonly patterns: RegExp[] = [];
  /** The name patterns as given, for getConfig (null: none given). */
  private names: string[] | null = null;

  constructor(
    private readonly owner: string,
    names: readonly string[] | null,
  ) {
    if (names !== null) this.addNames(owner, 'excludeFromWeightDecay', names);
  }

  /** The name patterns given so far, or null. */
  get config(): string[] | null {
    return this.names === null ? null : [...this.names];
  }

  /** Keras `exclude_from_weight_decay(var_list, var_names)`; `built` says whether the optimizer has been built. */
  exclude(options: { variables?: readonly tf.Variable[]; varNames?: readonly string[] }, built: boolean): void {
    const where = `${this.owner}.excludeFromWeightDecay`;
    if (built) {
      throw new Error(`${where} must be called before the optimizer is built (before its first step), as in Keras.`);
    }
    for (const v of options.variables ?? []) {
      if (!(v instanceof tf.Variable)) throw new TypeError(`${where}: \`variables\` must hold tf.Variable objects.`);
      this.variables.add(v);
    }
    if (options.varNames !== undefined) this.addNames(where, 'varNames', options.varNames);
  }

  /**
   * Replaces the name patterns with `patterns` (the exact ones a tfjs save kept in the optimizer's weights: loading
   * turns `a_b` into `aB` in every string of the saved config). Before the first step only.
   */
  restoreNames(patterns: readonly string[], built: boolean): void {
    if (built) throw new Error(`${this.owner}.setWeights: restore the weights before the optimizer's first step.`);
    this.patterns.splice(0);
    this.names = null;
    this.addNames(this.owner, 'excludeFromWeightDecay', patterns);
  }

  /** Whether decoupled weight decay applies to `param` (a variable not excluded by object or name). */
  applies(param: tf.Tensor): boolean {
    if (!(param instanceof tf.Variable)) return true;
    if (this.variables.has(param)) return false;
    return !this.patterns.some((pattern) => pattern.test(param.name));
  }

  /** Compiles `patterns`, naming the one that is not a valid regular expression. */
  private addNames(owner: string, argument: string, patterns: readonly string[]): void {
    if (!Array.isArray(patterns)) {
      throw new TypeError(
        `${owner}: \`${argument}\` must be an array of variable-name patterns such as ['bias', 'gamma'].`,
      );
    }
    for (const pattern of patterns) {
      if (typeof pattern !== 'string' || pattern === '') {
        throw new TypeError(`${owner}: \`${argument}\` must hold non-empty strings, got ${JSON.stringify(pattern)}.`);
      }
      try {
        this.patterns.push(new RegExp(pattern));
      } catch (error) {
        throw new RangeError(
          `${owner}: \`${argument}\` pattern ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}).`,
        );
      }
    }
    this.names = [...(this.names ?? []), ...patterns];
  }
}
