import { tf, useBackend } from '@opt/tensor';
import { finiteRows, KeptZeros } from '../optimizers/dist/ops/index.js';
const threads = Number(process.argv[2] ?? 2);
const r = await useBackend('wasm', { threads });
console.log('threads', r.threads?.count);
const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
const grads = shapes.map((s) => tf.randomNormal(s));
const zeros = new KeptZeros();
const zero = tf.keep(tf.scalar(0));
const time = (name, f, n = 300) => {
  for (let i = 0; i < 20; i++) tf.tidy(f);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tf.tidy(f);
  return `${name} ${(((performance.now() - t0) / n) * 1000).toFixed(0)}us`;
};
for (let k = 0; k < 3; k++) {
  console.log([
    time('rows+sum+read', () => { const { rows } = finiteRows(grads, zeros); tf.sum(rows).dataSync(); }),
    time('sum(mul0) each,addN,read', () => { tf.addN(grads.map((g) => tf.sum(tf.mul(g, zero)))).dataSync(); }),
    time('all(isFinite) each, read', () => { tf.logicalAnd(tf.all(tf.isFinite(grads[0])), tf.all(tf.isFinite(grads[2]))).dataSync(); }),
    time('concat flat,mul,sum,read', () => { tf.sum(tf.mul(tf.concat(grads.map((g) => (g.rank === 1 ? g : tf.reshape(g, [g.size])))), zero)).dataSync(); }),
    time('gemv each,addN,read', () => { tf.addN(grads.map((g) => tf.reshape(tf.matMul(tf.reshape(g, [1, g.size]), zeros.of(g.size)), []))).dataSync(); }),
    time('gemv each,concat,sum,read', () => { tf.sum(tf.concat(grads.map((g) => tf.reshape(tf.matMul(tf.reshape(g, [1, g.size]), zeros.of(g.size)), [1])))).dataSync(); }),
    time('gemv784', () => { tf.matMul(tf.reshape(grads[0], [1, grads[0].size]), zeros.of(grads[0].size)); }),
    time('mm784', () => { tf.matMul(grads[0], zeros.of(256)); }),
    time('summul784', () => { tf.sum(tf.mul(grads[0], zero)); }),
    time('isfin784', () => { tf.all(tf.isFinite(grads[0])); }),
    time('mul784', () => { tf.mul(grads[0], zero); }),
  ].join('  '));
}
