import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, type Result, scratch } from './testing/fixtures/opt.js';

const work = scratch();
afterAll(() => work.remove());
const base = ['train', '--backend', 'wasm', '--per-class', '20', '--batch-size', '16', '--json'];
// 600 validation images (--validation-split 0.01), not 5,000 evaluated before the first and after each epoch, where
// the advice does not read the validation loss; no charts (--no-charts): the advice is what is checked.
const train = (...args: string[]) => optIn(work.dir, ...base, '--validation-split', '0.01', '--no-charts', ...args);
const advice = (r: Result) =>
  JSON.parse(r.stdout).advice as Array<{ id: string; epoch: number | null; message: string }>;
const ids = (r: Result) => advice(r).map((a) => a.id);
/** The advice lines on stderr: one line each. */
const said = (r: Result) => r.stderr.split('\n').filter((l) => l.startsWith('advice: '));

describe("the chapter's practical workflow, as advice (each provoked by a real run)", () => {
  it('input not normalized: raw pixels have mean and std far from 0 and 1', async () => {
    // 50 per class: 500 images, enough for pixel statistics near the whole dataset's (mean 72.9, std 90.0).
    const r = await train('--normalize', 'none', '--per-class', '50', '--epochs', '1', '--out', 'raw');
    expect(ids(r)).toContain('input-not-normalized');
    expect(said(r).join('\n')).toMatch(
      /input not normalized: with --normalize none the pixels have mean 7\d\.\d and std 9\d\.\d.*use --normalize standardize/,
    );
  });

  it('the loss explodes: stop, keep the last good checkpoint, suggest a rate 10 times lower (exit 1)', async () => {
    const r = await train('--optimizer', 'sgd', '--learning-rate', '20', '--epochs', '3', '--out', 'explodes');
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe('diverged');
    expect(result.epochsRun).toBe(1);
    expect(ids(r)).toContain('diverged');
    expect(said(r).join('\n')).toContain(
      'the last good checkpoint (epoch 0) is kept; try a learning rate 10 times lower, --learning-rate 2.',
    );
    expect(r.stderr).toContain('warning: --learning-rate 20 is above 10');
    const checkpoint = JSON.parse(
      readFileSync(join(work.dir, 'explodes', 'checkpoints', 'last', 'model.json'), 'utf8'),
    );
    expect(checkpoint.training.epoch).toBe(0);
    expect(JSON.parse(readFileSync(join(work.dir, 'explodes', 'status.json'), 'utf8')).state).toBe('diverged');
  });

  it('the loss turns NaN: the guard keeps it out of the weights and the run stops the same way', async () => {
    const r = await train('--optimizer', 'sgd', '--learning-rate', '1e20', '--epochs', '2', '--out', 'nan');
    expect(r.code).toBe(1);
    expect(said(r).join('\n')).toMatch(
      /the loss diverged \(a non-finite gradient at step \d+ .*--learning-rate 1e\+19\./,
    );
  });

  it('the loss barely moves over an epoch: the rate is too low', async () => {
    const r = await train('--optimizer', 'sgd', '--learning-rate', '0.00001', '--epochs', '2', '--out', 'flat');
    expect(ids(r)).toContain('loss-flat');
    expect(said(r).join('\n')).toMatch(
      // On the recipe's subset the loss already stays within 1% in the first epoch.
      /the loss barely moved in epoch 1 .*too low or training is on a plateau; try a rate 10 times higher/,
    );
  });

  it('validation loss rising while training loss falls: overfitting, stop early', async () => {
    // 200 images for 8 epochs (the split now cuts the 60,000, so --validation-split no longer shrinks the subset).
    // The default 5,000 validation images: on 600 this run's validation loss did not rise two epochs in a row.
    const r = await optIn(work.dir, ...base, '--batch-size', '10', '--epochs', '8', '--out', 'overfits');
    expect(ids(r)).toContain('overfitting');
    expect(said(r).join('\n')).toMatch(
      /overfitting: validation loss rose for two epochs .* stop early with --patience 2/,
    );
  });

  it('batch gradient descent on the whole set, and a batch of one: time per update and noise', async () => {
    const [full, one] = await Promise.all([
      train('--batch-size', 'full', '--optimizer', 'sgd', '--nesterov', '--epochs', '1', '--out', 'full'),
      train('--per-class', '5', '--batch-size', '1', '--epochs', '1', '--out', 'one'),
    ]);
    expect(JSON.parse(full.stdout).stepsPerEpoch).toBe(1);
    expect(said(full).join('\n')).toContain(
      'batch gradient descent: each update uses all 200 training images, so it is exact but costs a full pass',
    );
    expect(full.stderr).toContain('warning: --nesterov without momentum changes nothing');
    expect(said(one).join('\n')).toContain(
      'stochastic gradient descent with batches of 1: 50 updates per epoch, each cheap but noisy',
    );
  });
});
