/**
 * Muon against Keras 3: the goldens of `keras/src/optimizers/muon_test.py` (Newton-Schulz, one Muon step, one AdamW
 * step, both weight decays, `_should_use_adamw`), and `muon.py`'s `update_step` and `_apply_weight_decay` transcribed
 * here on float64 matrices over several steps, for matrices wide and tall, vectors, an embedding and an excluded layer.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Muon, type MuonOptions, zeropowerViaNewtonSchulz5 } from '../index.js';
import { expectClose } from '../presets/reference.test.helpers.js';

beforeAll(() => useTestBackend());

type Matrix = number[][];
const transpose = (x: Matrix): Matrix => (x[0] as number[]).map((_, j) => x.map((row) => row[j] as number));
const matMul = (x: Matrix, y: Matrix): Matrix =>
  x.map((row) => (y[0] as number[]).map((_, j) => row.reduce((s, v, k) => s + v * (y[k]?.[j] as number), 0)));
const combine = (p: number, x: Matrix, q: number, y: Matrix): Matrix =>
  x.map((row, i) => row.map((v, j) => p * v + q * (y[i]?.[j] as number)));

/** Keras's `zeropower_via_newtonschulz5` on float64. */
function newtonSchulz(g: Matrix, steps: number, a = 3.4445, b = -4.775, c = 2.0315): Matrix {
  const tall = g.length > (g[0] as number[]).length;
  let x = tall ? transpose(g) : g;
  const norm = Math.sqrt(x.flat().reduce((s, v) => s + v * v, 0));
  x = x.map((row) => row.map((v) => v / (norm + 1e-7)));
  for (let k = 0; k < steps; k++) {
    const gram = matMul(x, transpose(x));
    const poly = combine(
      b,
      gram,
      1,
      matMul(
        gram.map((row) => row.map((v) => c * v)),
        gram,
      ),
    );
    x = combine(a, x, 1, matMul(poly, x));
  }
  return tall ? transpose(x) : x;
}

const flat = (t: tf.Tensor) => Array.from(t.dataSync());

describe("Keras 3's muon_test.py goldens", () => {
  it('test_Newton_Schulz: 5 iterations of [[0.2499, 0.9105], [0.2655, 0.8824]]', () => {
    const x = tf.tensor2d([
      [0.2499, 0.9105],
      [0.2655, 0.8824],
    ]);
    const got = flat(zeropowerViaNewtonSchulz5(x, 5));
    expectClose(got, [-0.4422, 0.6457, 0.7285, 0.2968], 1e-3, 'Keras golden'); // Keras's atol 1e-3
    const want = newtonSchulz(
      [
        [0.2499, 0.9105],
        [0.2655, 0.8824],
      ],
      5,
    );
    expectClose(got, want.flat(), 1e-5, 'float64 transcription');
    x.dispose();
  });

  it('test_muon_single_step, test_adamw_single_step and both weight decays', () => {
    const matrix = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const muon = new Muon({ learningRate: 0.5, weightDecay: 0 });
    muon.applyGradients([
      [
        tf.tensor2d([
          [1, 6],
          [7, 2],
        ]),
        matrix,
      ],
    ]);
    expectClose(flat(matrix), [0.988775, 1.887053, 2.873428, 3.97035], 1e-2, 'muon step'); // Keras's tolerance
    const vector = tf.variable(tf.tensor1d([1, 2, 3, 4]));
    const adam = new Muon({ learningRate: 0.5, adamWeightDecay: 0 });
    adam.applyGradients([[tf.tensor1d([1, 6, 7, 2]), vector]]);
    expectClose(flat(vector), [0.5, 1.5, 2.5, 3.5], 1e-4, 'adamw step');
    // a zero gradient moves neither step, so what is left is Keras's _apply_weight_decay
    const w2 = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const decayMuon = new Muon({ learningRate: 1, weightDecay: 0.01 });
    decayMuon.applyGradients([[tf.zeros([2, 2]), w2]]);
    expectClose(flat(w2), [0.99, 1.98, 2.97, 3.96], 1e-6, 'weight_decay');
    const scalar = tf.variable(tf.scalar(2));
    const decayAdam = new Muon({ learningRate: 1, adamWeightDecay: 0.01 });
    decayAdam.applyGradients([[tf.scalar(0), scalar]]);
    expectClose(flat(scalar), [1.98], 1e-6, 'adam_weight_decay');
    for (const o of [muon, adam, decayMuon, decayAdam]) o.dispose();
  });

  it("test_should_use_adamw: not a matrix, an embedding, a name matching excludeLayers; Keras's rms_rate scaling", () => {
    const opt = new Muon({ excludeLayers: ['var'] });
    expect(opt.usesAdam(tf.variable(tf.zeros([2, 2]), true, 'my_var'))).toBe(true);
    expect(opt.usesAdam(tf.variable(tf.zeros([2, 2]), true, 'embedding_1/embeddings'))).toBe(true);
    const plain = new Muon();
    expect(plain.usesAdam(tf.variable(tf.zeros([2, 2]), true, 'my_var2'))).toBe(false);
    expect(plain.usesAdam(tf.variable(tf.zeros([2, 2]), true, 'dense_1/kernel'))).toBe(false);
    expect(plain.usesAdam(tf.variable(tf.zeros([2]), true, 'dense_1/bias'))).toBe(true);
    expect(plain.usesAdam(tf.variable(tf.zeros([2, 2, 2]), true, 'conv/kernel'))).toBe(true);
    expect(new Muon({ excludeEmbeddings: false }).usesAdam(tf.variable(tf.zeros([2, 2]), true, 'Embedding_2'))).toBe(
      false,
    );
  });
});

interface Variable {
  name: string;
  shape: [number] | [number, number];
}
const VARIABLES: Variable[] = [
  { name: 'hidden/kernel', shape: [2, 4] },
  { name: 'tall/kernel', shape: [4, 2] },
  { name: 'hidden/bias', shape: [4] },
  { name: 'token_embedding/table', shape: [3, 2] },
  { name: 'output_dense/kernel', shape: [2, 3] },
];
const initial = (k: number, n: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.cos(0.7 * (i + 1) + k)));
const gradient = (k: number, s: number, n: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(1.3 * (s + 1) * (i + 1) + k) * (1 + 0.2 * i)));

/** Keras's Muon (`update_step`, `_muon_update_step`, `_adamw_update_step`, `_apply_weight_decay`) on float64. */
function kerasMuon(o: {
  steps: number;
  lr: (t: number) => number;
  weightDecay: number;
  adamWeightDecay: number;
  nesterov: boolean;
  rmsRate: number | null;
  excludeLayers: string[];
}): number[][][] {
  const [b1, b2, eps, mu, ratio] = [0.9, 0.999, 1e-7, 0.95, 1];
  const w = VARIABLES.map((v, k) => initial(k, size(v)));
  const m = VARIABLES.map((v) => new Array<number>(size(v)).fill(0));
  const vel = VARIABLES.map((v) => new Array<number>(size(v)).fill(0));
  const adamOf = (v: Variable) =>
    v.shape.length !== 2 ||
    v.name.toLowerCase().includes('embedding') ||
    o.excludeLayers.some((p) => new RegExp(p).test(v.name));
  const out: number[][][] = [];
  for (let s = 0; s < o.steps; s++) {
    const lr = o.lr(s);
    VARIABLES.forEach((v, k) => {
      const g = gradient(k, s, size(v));
      const wk = w[k] as number[];
      const wd = adamOf(v) ? o.adamWeightDecay : o.weightDecay;
      for (let i = 0; i < wk.length; i++) wk[i] = (wk[i] as number) - (wk[i] as number) * wd * lr;
      const mk = m[k] as number[];
      if (adamOf(v)) {
        const t = s + 1;
        const alpha = (lr * ratio * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        const vk = vel[k] as number[];
        for (let i = 0; i < wk.length; i++) {
          mk[i] = (mk[i] as number) + ((g[i] as number) - (mk[i] as number)) * (1 - b1);
          vk[i] = (vk[i] as number) + ((g[i] as number) ** 2 - (vk[i] as number)) * (1 - b2);
          wk[i] = (wk[i] as number) - ((mk[i] as number) * alpha) / (Math.sqrt(vk[i] as number) + eps);
        }
        return;
      }
      const [rows, cols] = v.shape as [number, number];
      for (let i = 0; i < mk.length; i++) mk[i] = (mk[i] as number) + ((g[i] as number) + (mk[i] as number) * (mu - 1));
      const direction = mk.map((mi, i) => (o.nesterov ? (g[i] as number) + mu * mi : mi));
      const matrix = Array.from({ length: rows }, (_, r) => direction.slice(r * cols, (r + 1) * cols));
      const orthogonal = newtonSchulz(matrix, 5).flat();
      const scale = o.rmsRate === null ? 1 : Math.sqrt(Math.max(rows, cols)) * o.rmsRate;
      for (let i = 0; i < wk.length; i++) wk[i] = (wk[i] as number) - lr * (orthogonal[i] as number) * scale;
    });
    out.push(w.map((x) => x.slice()));
  }
  return out;
}
function size(v: Variable): number {
  return v.shape.reduce((a, b) => a * b, 1);
}

function ours(options: MuonOptions, steps: number, from = 0, opt = new Muon(options), vars?: tf.Variable[]) {
  const variables =
    vars ??
    VARIABLES.map((v, k) => tf.variable(tf.tensor(initial(k, size(v)), v.shape), true, `${v.name}_${Math.random()}`));
  const out: number[][][] = [];
  for (let s = from; s < steps; s++) {
    const grads = VARIABLES.map((v, k) => tf.tensor(gradient(k, s, size(v)), v.shape));
    opt.applyGradients(grads.map((g, k) => [g, variables[k] as tf.Variable] as const));
    tf.dispose(grads);
    out.push(variables.map(flat));
  }
  return { out, opt, variables };
}

describe("Keras 3's Muon transcribed in float64", () => {
  for (const [nesterov, rmsRate] of [
    [true, 0.2],
    [false, null],
  ] as const) {
    it(`6 steps, a schedule, both decays, nesterov ${nesterov}, rmsRate ${rmsRate}: every variable to 1e-5`, () => {
      const lr = (t: number) => 0.05 / (1 + 0.3 * t);
      const options = { weightDecay: 0.1, adamWeightDecay: 0.05, nesterov, rmsRate, excludeLayers: ['output_dense'] };
      const want = kerasMuon({ steps: 6, lr, ...options });
      const { out, opt, variables } = ours({ ...options, learningRate: lr }, 6);
      expect(variables.map((v) => opt.usesAdam(v))).toEqual([false, false, true, true, true]);
      out.forEach((step, s) => {
        step.forEach((values, k) => {
          expectClose(values, want[s]?.[k] as number[], 1e-5, `step ${s + 1}, ${VARIABLES[k]?.name}`);
        });
      });
      expect(flat(opt.slot(variables[0] as tf.Variable, 'velocity') as tf.Variable)).toEqual([]); // Muon: no velocity
      opt.dispose();
      tf.dispose(variables);
    });
  }

  it('resumes exactly from getState, excludeLayers and the empty slots included', async () => {
    const options: MuonOptions = { learningRate: 0.02, excludeLayers: ['output_dense'] };
    const straight = ours(options, 6);
    const first = ours(options, 3);
    const state = await first.opt.getState();
    expect(state.config.excludeLayers).toEqual(['output_dense']);
    const second = new Muon(options);
    second.setState(state);
    const resumed = ours(options, 6, 3, second, first.variables);
    expect(resumed.out.at(-1)).toEqual(straight.out.at(-1));
    for (const r of [straight, first, resumed]) {
      r.opt.dispose();
    }
    tf.dispose([...straight.variables, ...first.variables]);
  });

  it('refuses bad arguments by name', () => {
    expect(() => new Muon({ nsSteps: 0 })).toThrow('Muon: `nsSteps` must be a whole number >= 1, got 0.');
    expect(() => new Muon({ excludeLayers: ['('] })).toThrow(/`excludeLayers` pattern "\(" is not a valid regular/);
    expect(() => new Muon({ exclude_layers: ['x'] } as never)).toThrow(/did you mean `excludeLayers`/);
    expect(() => new Muon({ adamWeightDecay: -1 })).toThrow('Muon: `adamWeightDecay` must be a number >= 0, got -1.');
  });
});
