/**
 * The catalog against Keras 3's signatures, transcribed here from keras/src/optimizers/<name>.py (PyTorch's and
 * optax's for the presets Keras lacks; the oracle: not our presets), and every preset's getConfig() against the catalog; the registry, getOptimizer and the README
 * derive from it; a table-driven check of the non-finite guard over every preset.
 */
import { readFileSync } from 'node:fs';
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type GradientTransformationOptimizer, getOptimizer, OPTIMIZER_NAMES, PRESETS } from './index.js';

beforeAll(() => useTestBackend());

/** Keras 3's `__init__` defaults (learning_rate first), snake_case as Keras writes them. */
const KERAS_DEFAULTS: Record<string, Record<string, number | boolean | number[]>> = {
  SGD: { learning_rate: 0.01, momentum: 0.0, nesterov: false },
  RMSprop: { learning_rate: 0.001, rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false },
  Adam: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  AdamW: { learning_rate: 0.001, weight_decay: 0.004, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  Adagrad: { learning_rate: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7 },
  Adamax: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  Nadam: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  Adadelta: { learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 },
  Lion: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.99 },
  Lamb: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  Ftrl: {
    learning_rate: 0.001,
    learning_rate_power: -0.5,
    initial_accumulator_value: 0.1,
    l1_regularization_strength: 0.0,
    l2_regularization_strength: 0.0,
    l2_shrinkage_regularization_strength: 0.0,
    beta: 0.0,
  },
  Adafactor: {
    learning_rate: 0.001,
    beta_2_decay: -0.8,
    epsilon_1: 1e-30,
    epsilon_2: 1e-3,
    clip_threshold: 1.0,
    relative_step: true,
  },
  // keras/src/optimizers/muon.py (Keras 3 master): exclude_layers (a list, default None) is an argument of the class
  // but not in the catalog.
  Muon: {
    learning_rate: 0.001,
    adam_beta_1: 0.9,
    adam_beta_2: 0.999,
    adam_weight_decay: 0.004,
    epsilon: 1e-7,
    weight_decay: 0.004,
    exclude_embeddings: true,
    muon_a: 3.4445,
    muon_b: -4.775,
    muon_c: 2.0315,
    adam_lr_ratio: 1,
    momentum: 0.95,
    ns_steps: 5,
    nesterov: true,
    rms_rate: 0.2,
  },
  // torch.optim (PyTorch 1.13): RAdam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8), Rprop(lr=1e-2, etas=(0.5, 1.2),
  // step_sizes=(1e-6, 50)), ASGD(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6); betas and etas as this package names them.
  RAdam: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8 },
  Rprop: { learning_rate: 0.01, etaminus: 0.5, etaplus: 1.2, step_sizes: [1e-6, 50] },
  ASGD: { learning_rate: 0.01, lambd: 1e-4, alpha: 0.75, t0: 1e6 },
  // optax: scale_by_yogi(b1=0.9, b2=0.999, eps=1e-3, initial_accumulator_value=1e-6), scale_by_belief(b1=0.9,
  // b2=0.999, eps=1e-16, eps_root=1e-16); optax has no default rate: Yogi's paper's 0.01, AdaBelief's 1e-3.
  Yogi: { learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-3, initial_accumulator_value: 1e-6 },
  AdaBelief: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-16, epsilon_root: 1e-16 },
  // optax.contrib: schedule_free_adamw(learning_rate=0.0025, warmup_steps=None, b1=0.9, b2=0.999, eps=1e-8,
  // weight_decay=0.0, weight_lr_power=2.0), schedule_free_sgd(learning_rate=1.0, warmup_steps=None, b1=0.9,
  // weight_decay=None, weight_lr_power=2.0), prodigy(learning_rate=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8,
  // estim_lr0=1e-6, estim_lr_coef=1.0, weight_decay=0.0, safeguard_warmup=False); warmup_steps and beta3 are
  // arguments of the classes but not in the catalog.
  ScheduleFreeAdamW: {
    learning_rate: 0.0025,
    weight_decay: 0,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-8,
    weight_lr_power: 2,
  },
  ScheduleFreeSGD: { learning_rate: 1, beta_1: 0.9, weight_lr_power: 2 },
  Prodigy: {
    learning_rate: 1,
    weight_decay: 0,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-8,
    estim_lr0: 1e-6,
    estim_lr_coef: 1,
    safeguard_warmup: false,
  },
};

/** Keras's snake_case to our camelCase: `beta_1` -> `beta1`, `l1_regularization_strength` -> `l1RegularizationStrength`. */
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe('the catalog', () => {
  it("holds Keras 3's defaults for every preset (transcribed from Keras's signatures)", () => {
    expect(CATALOG.map((e) => e.className)).toEqual(Object.keys(KERAS_DEFAULTS));
    for (const entry of CATALOG) {
      const ours: Record<string, unknown> = {
        learningRate: entry.learningRate,
        ...('baseDefaults' in entry ? entry.baseDefaults : {}),
      };
      for (const option of entry.options) ours[option.key] = option.default;
      const keras = Object.fromEntries(
        Object.entries(KERAS_DEFAULTS[entry.className] ?? {}).map(([k, v]) => [camel(k), v]),
      );
      expect([entry.className, ours]).toEqual([entry.className, keras]);
      expect(entry.name).toBe(entry.className.toLowerCase());
    }
  });

  it("each preset's getConfig() holds the catalog's defaults, and accepts each default", () => {
    for (const entry of CATALOG) {
      const opt = new PRESETS[entry.className]();
      const config = opt.getConfig().config;
      expect([entry.className, config.learningRate]).toEqual([entry.className, entry.learningRate]);
      for (const option of entry.options) {
        expect([entry.className, option.key, config[option.key]]).toEqual([
          entry.className,
          option.key,
          option.default,
        ]);
      }
      if ('baseDefaults' in entry) expect(config).toMatchObject(entry.baseDefaults);
      opt.dispose();
    }
  });

  it('the registry, getOptimizer and OPTIMIZER_NAMES list exactly the catalog', () => {
    expect(Object.keys(PRESETS)).toEqual(CATALOG.map((e) => e.className));
    expect([...OPTIMIZER_NAMES]).toEqual(CATALOG.map((e) => e.name));
    for (const entry of CATALOG) {
      const opt = getOptimizer(entry.name);
      expect(opt).toBeInstanceOf(PRESETS[entry.className]);
      opt.dispose();
    }
  });

  it('each option refuses a value just outside its range, with the range in the message', () => {
    for (const entry of CATALOG) {
      for (const option of entry.options) {
        const Preset = PRESETS[entry.className] as new (o: Record<string, unknown>) => { dispose(): void };
        const r = 'range' in option ? (option.range as { min?: number; max?: number; minExclusive?: boolean }) : {};
        const bad =
          option.kind === 'boolean'
            ? 'yes'
            : r.min !== undefined
              ? r.min - (r.minExclusive ? 0 : 0.5)
              : (r.max as number) + 0.5;
        expect(() => new Preset({ [option.key]: bad }), `${entry.className}.${option.key} = ${bad}`).toThrow(
          new RegExp(`\`${option.key}\` must be`),
        );
      }
    }
  });

  it('loads no TensorFlow.js: the module imports only its data files and option-spec.ts, which import nothing else', () => {
    const source = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
    const imports = (file: string) =>
      [...source(file).matchAll(/^(?:import|export)\b.*from '([^']+)'/gm)].map((m) => m[1]);
    expect(new Set(imports('./catalog.ts'))).toEqual(
      new Set(['./catalog/keras.js', './catalog/pytorch-optax.js', './option-spec.js']),
    );
    for (const file of ['./catalog/keras.ts', './catalog/pytorch-optax.ts']) {
      expect(new Set(imports(file))).toEqual(new Set(['../option-spec.js', './shared.js']));
    }
    expect(imports('./catalog/shared.ts')).toEqual([]);
    expect(imports('./option-spec.ts')).toEqual([]);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./catalog']).toEqual({ types: './dist/catalog.d.ts', import: './dist/catalog.js' });
  });

  it("the README's table lists every catalog entry with its reference, slots and when to use it", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const entry of CATALOG) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${entry.className}\` |`));
      expect(row, `README row of ${entry.className}`).toBeDefined();
      for (const cell of [entry.reference, entry.formula, entry.slots, entry.whenToUse]) {
        expect(row, entry.className).toContain(cell.replaceAll('|', '\\|'));
      }
    }
  });
});

describe('the non-finite guard, for every preset of the catalog', () => {
  it("'throw': a NaN step writes no weight and no slot, and the next call throws; 'skip' counts it", async () => {
    for (const entry of CATALOG) {
      for (const policy of ['throw', 'skip'] as const) {
        const Preset = PRESETS[entry.className] as new (o: object) => GradientTransformationOptimizer;
        const opt = new Preset({ nonFiniteGradients: policy, learningRate: 0.01 });
        const w = tf.variable(tf.tensor2d([0.5, -1, 2, 0.25, 1.5, -0.75], [2, 3]));
        const good = tf.tensor2d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [2, 3]);
        const bad = tf.tensor2d([0.1, Number.NaN, 0.3, 0.4, -0.5, 0.6], [2, 3]);
        opt.applyGradients([[good, w]]);
        const before = (await opt.getState()).slots.map((s) => Array.from(s.values));
        const weights = Array.from(w.dataSync());
        opt.applyGradients([[bad, w]]);
        expect([entry.className, policy, Array.from(w.dataSync())]).toEqual([entry.className, policy, weights]);
        if (policy === 'throw') {
          await expect(opt.checkGradients(), entry.className).rejects.toThrow(/non-finite/i);
        } else {
          const after = (await opt.getState()).slots.map((s) => Array.from(s.values));
          expect([entry.className, after]).toEqual([entry.className, before]);
          expect((await opt.nonFiniteReport()).skippedSteps).toBe(1);
        }
        opt.dispose();
        tf.dispose([w, good, bad]);
      }
    }
  });
});
