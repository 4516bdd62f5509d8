/**
 * Ftrl against Keras 3's own test goldens (keras/src/optimizers/ftrl_test.py) and its update rule
 * (keras/src/optimizers/ftrl.py) transcribed on float64 numbers here.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ftrl, fromTransformation, optimizerFromConfig, scaleByFtrl } from '../index.js';
import {
  expectKerasGolden,
  expectKerasSingleStep,
  expectReference,
  type RefStep,
  zerosLike,
} from '../presets/reference.test.helpers.js';

beforeAll(() => useTestBackend());

interface FtrlArgs {
  power: number;
  initial: number;
  l1: number;
  l2: number;
  shrinkage: number;
  beta: number;
  wd?: number;
}

/**
 * Keras's update_step, after the base optimizer's `w -= w * wd * lr`, `p = learning_rate_power`:
 * `l2' = l2 + beta / (2 lr)`; `g' = g + 2 s w`; `n' = n + g^2`; `z += g' - (n'^-p - n^-p) / lr * w`;
 * `w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 l2')`; `n = n'`.
 */
function kerasFtrl(a: FtrlArgs): RefStep {
  let n: number[][] | null = null;
  let z: number[][] | null = null;
  return (vars, grads, _t, lr) => {
    n ??= zerosLike(vars, a.initial);
    z ??= zerosLike(vars);
    const l2 = a.l2 + a.beta / (2 * lr);
    vars.forEach((variable, k) => {
      const nk = n?.[k] as number[];
      const zk = z?.[k] as number[];
      variable.values = variable.values.map((w0, i) => {
        const w = w0 - w0 * (a.wd ?? 0) * lr;
        const g = grads[k]?.[i] as number;
        const gradToUse = g + 2 * a.shrinkage * w;
        const newN = (nk[i] as number) + g * g;
        zk[i] = (zk[i] as number) + gradToUse - ((newN ** -a.power - (nk[i] as number) ** -a.power) / lr) * w;
        const quadratic = newN ** -a.power / lr + 2 * l2;
        nk[i] = newN;
        const zi = zk[i] as number;
        return (Math.min(a.l1, Math.max(-a.l1, zi)) - zi) / quadratic;
      });
    });
  };
}

const GOLDEN_ARGS = {
  learningRate: 0.05,
  learningRatePower: -0.2,
  initialAccumulatorValue: 0.4,
  l1RegularizationStrength: 0.05,
  l2RegularizationStrength: 0.15,
  l2ShrinkageRegularizationStrength: 0.01,
  beta: 0.3,
};
const GOLDEN_REF = { power: -0.2, initial: 0.4, l1: 0.05, l2: 0.15, shrinkage: 0.01, beta: 0.3 };
const DEFAULT_REF = { power: -0.5, initial: 0.1, l1: 0, l2: 0, shrinkage: 0, beta: 0 };

describe('Ftrl (Keras 3)', () => {
  it("Keras's goldens: single step, the five-step golden with every strength set", () => {
    expectKerasSingleStep(
      new Ftrl({ learningRate: 0.5 }),
      [1, 2, 3, 4],
      [1, 6, 7, 2],
      [0.2218, 1.3954, 2.3651, 2.8814],
    );
    // biome-ignore format: Keras's table
    expectKerasGolden(new Ftrl(GOLDEN_ARGS), [
      [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
      [-0.0034, -0.0077, -0.0118, -0.0157, -0.0194, -0.023, -0.0263, -0.0294, -0.0325, -0.0354],
      [-0.0078, -0.0162, -0.0242, -0.0317, -0.0387, -0.0454, -0.0516, -0.0575, -0.0631, -0.0685],
      [-0.0121, -0.0246, -0.0363, -0.0472, -0.0573, -0.0668, -0.0757, -0.0842, -0.0922, -0.0999],
      [-0.0164, -0.0328, -0.0481, -0.0623, -0.0753, -0.0875, -0.099, -0.1098, -0.1201, -0.1299],
    ]);
  });

  it('matches the float64 transcription over 6 steps (defaults, every strength, weight decay, lr power 0)', () => {
    expectReference(new Ftrl({ learningRate: 0.1 }), kerasFtrl(DEFAULT_REF), { learningRate: () => 0.1 });
    expectReference(new Ftrl(GOLDEN_ARGS), kerasFtrl(GOLDEN_REF), { learningRate: () => 0.05 });
    expectReference(new Ftrl({ ...GOLDEN_ARGS, weightDecay: 0.2 }), kerasFtrl({ ...GOLDEN_REF, wd: 0.2 }), {
      learningRate: () => 0.05,
    });
    expectReference(
      new Ftrl({ learningRate: 0.1, learningRatePower: 0, initialAccumulatorValue: 0 }),
      kerasFtrl({ ...DEFAULT_REF, power: 0, initial: 0 }),
      { learningRate: () => 0.1 },
    );
  });

  it('at the defaults the first step keeps only w0 (1 - sqrt(n0 / n1)) of a weight: z starts at 0', async () => {
    // Why Ftrl leaves a deep network at chance (docs/EXPERIMENTS.md, "Beyond the chapter").
    const w = tf.variable(tf.tensor1d([1, -0.5]));
    const optimizer = new Ftrl();
    optimizer.applyGradients([[tf.tensor1d([0.1, 0.01]), w]]);
    const closed = [
      [1, 0.1],
      [-0.5, 0.01],
    ].map(([w0, g]) => {
      const [n0, n1] = [0.1, 0.1 + (g as number) ** 2];
      return (w0 as number) * (1 - Math.sqrt(n0 / n1)) - (0.001 * (g as number)) / Math.sqrt(n1);
    });
    const got = Array.from(await w.data());
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(closed[i] as number, 7);
    });
    expect(Math.abs(got[0] as number)).toBeLessThan(0.05);
    optimizer.dispose();
    w.dispose();
  });

  it('L1 sets weights to exactly 0 while |z| <= l1', () => {
    const w = tf.variable(tf.tensor1d([0.3, -0.2]));
    const opt = new Ftrl({ learningRate: 0.1, l1RegularizationStrength: 10 });
    const g = tf.tensor1d([0.5, -0.5]);
    opt.applyGradients([[g, w]]);
    expect(Array.from(w.dataSync())).toEqual([0, 0]);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it("Keras's defaults; rebuilds from its config; the block stands alone", () => {
    const opt = new Ftrl();
    expect(opt.getConfig().config).toMatchObject({
      learningRate: 0.001,
      learningRatePower: -0.5,
      initialAccumulatorValue: 0.1,
      l1RegularizationStrength: 0,
      l2RegularizationStrength: 0,
      l2ShrinkageRegularizationStrength: 0,
      beta: 0,
    });
    opt.dispose();
    const rebuilt = optimizerFromConfig(JSON.parse(JSON.stringify(new Ftrl(GOLDEN_ARGS).getConfig())));
    expect(rebuilt).toBeInstanceOf(Ftrl);
    expect(rebuilt.getConfig().config).toMatchObject(GOLDEN_ARGS);
    rebuilt.dispose();
    expectReference(
      fromTransformation(scaleByFtrl({ beta: 0.3 }), { learningRate: 0.1 }),
      kerasFtrl({ ...DEFAULT_REF, beta: 0.3 }),
      {
        learningRate: () => 0.1,
      },
    );
  });

  it('refuses what Keras refuses (a positive power, negative strengths or accumulator), naming it', () => {
    expect(() => new Ftrl({ learningRatePower: 0.5 })).toThrow(
      'Ftrl: `learningRatePower` must be a number <= 0, got 0.5. Pass e.g. -0.5.',
    );
    // The building block alone names itself.
    expect(() => scaleByFtrl({ learningRatePower: 0.5 })).toThrow(/^scaleByFtrl: `learningRatePower`/);
    for (const key of [
      'initialAccumulatorValue',
      'l1RegularizationStrength',
      'l2RegularizationStrength',
      'l2ShrinkageRegularizationStrength',
    ]) {
      expect(() => new Ftrl({ [key]: -0.1 })).toThrow(`\`${key}\` must be a number >= 0, got -0.1`);
    }
    expect(() => new Ftrl({ l1: 0.1 } as never)).toThrow('Ftrl: unknown option `l1`');
  });
});
