// Cost of one schedule call (step check + formula) against the same formula written inline, per step.
// Run: pnpm --filter @opt/schedules bench (after a build). Prints ns/call and the ratio; never asserts.
import {
  cosineDecay,
  cosineDecayRestarts,
  exponentialDecay,
  linearWarmup,
  piecewiseConstantDecay,
} from '../dist/index.js';

const N = 2_000_000;

function time(fn) {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += fn(i % 100_000);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += fn(i % 100_000);
  const ns = Number(process.hrtime.bigint() - start) / N;
  if (!Number.isFinite(sink)) throw new Error('non-finite sum');
  return ns;
}

const cases = [
  [
    'exponentialDecay',
    exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96 }),
    (s) => 0.1 * 0.96 ** (s / 1000),
  ],
  [
    'piecewiseConstantDecay (3 boundaries)',
    piecewiseConstantDecay({ boundaries: [30_000, 60_000, 90_000], values: [1, 0.5, 0.1, 0.01] }),
    (s) => (s <= 30_000 ? 1 : s <= 60_000 ? 0.5 : s <= 90_000 ? 0.1 : 0.01),
  ],
  [
    'cosineDecay',
    cosineDecay({ initialLearningRate: 0.1, decaySteps: 100_000 }),
    (s) => 0.1 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 100_000)) / 100_000)),
  ],
  [
    'linearWarmup + cosineDecay',
    linearWarmup({ warmupSteps: 500, schedule: cosineDecay({ initialLearningRate: 0.1, decaySteps: 100_000 }) }),
    (s) => (s < 500 ? (0.1 * s) / 500 : 0.1 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s - 500, 100_000)) / 100_000))),
  ],
  [
    'cosineDecayRestarts (tMul 2)',
    cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 1000 }),
    (s) => {
      const f = s / 1000;
      const i = Math.floor(Math.log(1 + f) / Math.LN2);
      const x = (f - (2 ** i - 1)) / 2 ** i;
      return 0.1 * 0.5 * (1 + Math.cos(Math.PI * x));
    },
  ],
];

console.log(`node ${process.version}, ${N} calls each`);
for (const [name, schedule, inline] of cases) {
  const ours = time(schedule);
  const base = time(inline);
  console.log(
    `${name}: ${ours.toFixed(1)} ns/call, inline formula ${base.toFixed(1)} ns/call, ratio ${(ours / base).toFixed(2)}`,
  );
}
