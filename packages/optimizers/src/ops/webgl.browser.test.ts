/**
 * Each WebGL kernel of the ops against the op's reference in tfjs ops, both on WebGL (SwiftShader in headless
 * Chromium): the fast kernels must compute what the portable op computes.
 */
import { tf, useBackend } from '@opt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worstRelativeError } from '../webgl.test.helpers.js';
import { adamUpdate, adamUpdateReference } from './adam.js';
import { applyUpdates, applyUpdatesReference, keepWhenShut } from './apply-updates.js';
import { finiteVerdict, finiteVerdictReference, initialRecord, KeptZeros, type RowRange } from './finite-verdict.js';
import { webglOps } from './webgl-programs.js';

const shapes = [[784, 256], [256], [3, 5, 7], [1], []];

const worst = (got: tf.Tensor, want: tf.Tensor): number => worstRelativeError(got.dataSync(), want.dataSync());

beforeAll(async () => {
  await useBackend('webgl');
  expect(webglOps()).toBe(true);
});
afterAll(() => useBackend('cpu'));

describe('WebGL kernels against the portable ops', () => {
  it('adamUpdate: three programs compute the reference; a shut gate keeps the moments and updates by 0', () => {
    const c = { oneMinusBeta1: 0.1, oneMinusBeta2: 0.001, stepSize: -0.0316, epsilon: 1e-7 };
    shapes.forEach((shape, i) => {
      tf.tidy(() => {
        const g0 = tf.randomNormal(shape, 0, 1, 'float32', 1 + i);
        const m0 = tf.randomNormal(shape, 0, 0.1, 'float32', 11 + i);
        const v0 = tf.abs(tf.randomNormal(shape, 0, 0.1, 'float32', 21 + i));
        const want = adamUpdateReference(g0, m0, v0, c);
        // Uploaded tensors, then textures made by packed programs (sampled at the output's texel where they align)
        for (const [g, m, v, gate] of [undefined, tf.scalar(true), tf.scalar(false)].flatMap((gate) => [
          [g0, m0, v0, gate] as const,
          [tf.mul(g0, 1), tf.mul(m0, 1), tf.mul(v0, 1), gate] as const,
        ])) {
          const got = adamUpdate(g, m, v, c, { gate });
          const shut = gate !== undefined && gate.dataSync()[0] === 0;
          expect(worst(got.momentum, shut ? m : want.momentum)).toBeLessThan(1e-6);
          expect(worst(got.velocity, shut ? v : want.velocity)).toBeLessThan(1e-6);
          expect(worst(got.update, shut ? tf.zerosLike(g) : want.update)).toBeLessThan(1e-5);
          // a kernel that took the gate needs no select after it
          if (gate !== undefined) expect(keepWhenShut(gate, got.momentum, m)).toBe(got.momentum);
        }
      });
    });
  });

  it('applyUpdates: one program computes gate ? w + u : w', () => {
    tf.tidy(() => {
      const params = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 31 + i));
      const updates = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 41 + i));
      // Textures made by packed programs, one of them laid out for another shape (a product's [1, r, c] reshaped)
      const made = params.map((p) => tf.mul(p, 1));
      const reshaped = updates.map((u) => tf.reshape(tf.mul(tf.reshape(u, [1, ...u.shape]), 1), u.shape));
      for (const [gate, ws, us] of [true, false].flatMap((open) => [
        [tf.scalar(open), params, updates] as const,
        [tf.scalar(open), made, reshaped] as const,
      ])) {
        const got = applyUpdates(ws, us, gate);
        const want = applyUpdatesReference(params, updates, gate);
        got.forEach((t, i) => {
          expect(worst(t, want[i] as tf.Tensor)).toBe(0);
        });
      }
    });
  });

  it("finiteVerdict: the record programs keep the reference's record and name the same gradient ('throw', 'skip')", () => {
    const zeros = new KeptZeros();
    const gradientOf = (ranges: readonly RowRange[], row: number) => ranges.find((r) => row < r.end)?.index ?? -1;
    for (const policy of ['throw', 'skip'] as const) {
      let fast = tf.keep(initialRecord(policy));
      let reference = tf.keep(initialRecord(policy));
      // clean, bad in a matrix row 3, clean and near float32's largest (rows that would overflow if summed before
      // the zero), bad in the vector, bad in the scalar, more than 12 gradients, bad in the last row of an odd count
      const bad: Array<[number, number] | null> = [null, [0, 3 * 256 + 5], null, [1, 200], [4, 0], null, [12, 104]];
      bad.forEach((where, step) => {
        tf.tidy(() => {
          const many = step === 5 ? 14 : step === 6 ? 15 : shapes.length;
          const grads = Array.from({ length: many }, (_, i) => {
            const shape = shapes[i % shapes.length] as number[];
            const values = new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(step === 2 ? 3e38 : 0.5);
            if (where !== null && where[0] === i)
              values[where[1]] = step % 2 === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
            return tf.tensor(values, shape);
          });
          const a = finiteVerdict(grads, fast, step, policy, zeros);
          const b = finiteVerdictReference(grads, reference, step, policy, zeros);
          const [ra, rb] = [Array.from(a.record.dataSync()), Array.from(b.record.dataSync())];
          // badStep, skipped and open agree; badRow agrees by the gradient it falls in (the rows are numbered apart)
          expect([ra[0], ra[1], ra[3]]).toEqual([rb[0], rb[1], rb[3]]);
          if (ra[0] === step) {
            expect(gradientOf(a.ranges, ra[2] as number)).toBe(where?.[0]);
            expect(gradientOf(b.ranges, rb[2] as number)).toBe(where?.[0]);
          }
          expect(a.gate.dataSync()[0]).toBe(b.gate.dataSync()[0]);
          tf.dispose([fast, reference]);
          fast = tf.keep(a.record);
          reference = tf.keep(b.record);
        });
      });
      tf.dispose([fast, reference]);
    }
    zeros.dispose();
  });
});
