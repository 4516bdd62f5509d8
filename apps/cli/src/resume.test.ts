import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctrlC, optIn, type Result, scratch, spawnOnTerminal, spawnOpt } from './testing/fixtures/opt.js';

// 300 training images (30 per class) in batches of 8: ceil(300 / 8) = 38 steps per epoch, so a signal lands inside an epoch.
// The validation split's default 5,000 images: their pass keeps opt in epoch 2 long enough for the Ctrl-C test to see
// the progress bar's frame there (with 600, an unloaded machine ran through epoch 2 without one and the test hung).
const args = ['train', '--backend', 'wasm', '--per-class', '30', '--epochs', '3', '--batch-size', '8'];
const work = scratch();
const run = (...a: string[]) => optIn(work.dir, ...a);
const weights = (dir: string) => readFileSync(join(work.dir, dir, 'checkpoints', 'last', 'weights.bin'));
const state = (dir: string) => JSON.parse(readFileSync(join(work.dir, dir, 'status.json'), 'utf8')).state;

/** Every file and directory under `dir` whose name marks it as half-written. */
function partialFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry.includes('.tmp-')) out.push(path);
    if (statSync(path).isDirectory()) out.push(...partialFiles(path));
  }
  return out;
}

type Epoch = Record<string, number>;
const epochs = (dir: string): Epoch[] => JSON.parse(readFileSync(join(work.dir, dir, 'history.json'), 'utf8')).epochs;
/** history.json without what depends on the process (seconds, and the steps run in it). */
const logs = (dir: string) =>
  epochs(dir).map(({ epoch, loss, accuracy, val_loss, val_accuracy, learning_rate }) => ({
    epoch,
    loss,
    accuracy,
    val_loss,
    val_accuracy,
    learning_rate,
  }));

/** What `--resume` says for the point a stopped run's last line names: `step S of epoch E` or `epoch E`. */
function resumePoint(stdout: string): string {
  const inside = /stopped after step (\d+) of epoch (\d+)\)/.exec(stdout);
  if (inside !== null) return `resuming at epoch ${inside[2]}, step ${Number(inside[1]) + 1} of 38`;
  const after = /stopped after epoch (\d+)\)/.exec(stdout);
  expect(after, stdout).not.toBeNull();
  return `resuming at epoch ${Number(after?.[1]) + 1}`;
}

let stoppedAt = '';
let reference: Result;
beforeAll(async () => {
  reference = await run(...args, '--out', 'reference');
});
afterAll(() => work.remove());

describe('stopping and resuming a run', () => {
  it('Ctrl-C on a terminal finishes the step, checkpoints, says how to resume (exit 130), and gives the terminal back', async () => {
    const log = join(work.dir, 'tty.log');
    const job = spawnOnTerminal(work.dir, log, ...args, '--out', 'stopped');
    // The progress bar's first frame of the second epoch: Ctrl-C there stops it within a step or two of there, inside the epoch (or, on a machine too busy to react in 38 steps, after it: said either way).
    await job.waitFor(/epoch 2\/3 \[[=-]+\] \d+\/38 steps/);
    ctrlC(job);
    const stopped = await job.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(
      /stopped after (?:step \d+ of epoch 2|epoch 2)\); checkpoint saved\. Resume with: opt train --resume stopped\r?\n/,
    );
    stoppedAt = resumePoint(stopped.stdout);
    const typed = readFileSync(log, 'latin1');
    expect(typed).toContain('\x1b[?7l'); // the bar turned line wrapping off while it drew...
    expect(typed.lastIndexOf('\x1b[?7h')).toBeGreaterThan(typed.lastIndexOf('\x1b[?7l')); // ...and turned it back on
    expect(state('stopped')).toBe('interrupted');
    const list = await run('runs', 'list', '--root', '.', '--json');
    expect(JSON.parse(list.stdout).find((r: { path: string }) => r.path.endsWith('/stopped')).state).toBe(
      'interrupted',
    );
  });

  it('--resume continues the interrupted run to weights bit-identical to an uninterrupted one', async () => {
    const resumed = await run('train', '--resume', 'stopped');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${stoppedAt}\n`);
    expect(reference.code).toBe(0);
    // Weights and optimizer slots, byte for byte, as an uninterrupted run with the same seed.
    expect(weights('stopped').equals(weights('reference'))).toBe(true);
    // Every epoch's logs, the interrupted epoch's training loss and accuracy included (fit carried its sums).
    expect(logs('stopped')).toEqual(logs('reference'));
    expect(epochs('stopped')[1]?.resumedAtStep).toBeGreaterThan(0);
    expect(state('stopped')).toBe('complete');
    const again = await run('train', '--resume', 'stopped');
    expect(again.stdout).toContain('the run is already complete');
  });

  it('SIGTERM stops the same way with exit 143', async () => {
    const job = spawnOpt(work.dir, ...args, '--out', 'terminated');
    await job.waitFor(/^epoch 1\/3: /m);
    job.child.kill('SIGTERM');
    const { code, stderr } = await job.done;
    expect(code).toBe(143);
    expect(stderr).toContain('SIGTERM: stopping after the current step');
    expect(state('terminated')).toBe('interrupted');
  });

  it('a second Ctrl-C quits at once, leaving no half-written file and a usable checkpoint', async () => {
    const job = spawnOpt(work.dir, ...args, '--out', 'quit');
    await job.waitFor(/^epoch 1\/3: /m);
    job.child.kill('SIGINT');
    await job.waitFor(/Ctrl-C: stopping after the current step/);
    job.child.kill('SIGINT');
    const { code, stderr } = await job.done;
    expect(code).toBe(130);
    expect(stderr).toContain('stopped at once; the last complete checkpoint is kept.');
    expect(partialFiles(join(work.dir, 'quit'))).toEqual([]);
    const evaluated = await run('evaluate', 'quit', '--json');
    expect(evaluated.code).toBe(0);
    // The last checkpoint that landed: epoch 0 or 1, depending on where the signals fell.
    const accuracy = JSON.parse(evaluated.stdout).test.accuracy;
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
    expect(
      JSON.parse(readFileSync(join(work.dir, 'quit', 'checkpoints', 'last', 'model.json'), 'utf8')).training.epoch,
    ).toBeLessThanOrEqual(1);
  });

  it('with early stopping and ReduceLROnPlateau, a run stopped inside an epoch resumes to the same weights and the same decisions', async () => {
    // Both act within 10 epochs here: the rate halves at epochs 3, 6, 7 and 8 (on the recipe's split: the subset of
    // 300, validated on the last 5,000), and early stopping ends the run after epoch 8. Stopped in epoch 7, a resume that lost their counts would decide otherwise.
    const decide = [
      ...['train', '--backend', 'wasm', '--per-class', '30', '--epochs', '10', '--batch-size', '8'],
      ...['--learning-rate', '0.002', '--schedule', 'reduce-on-plateau', '--plateau-patience', '1', '--factor', '0.5'],
      ...['--patience', '3'],
    ];
    const straight = await run(...decide, '--out', 'decided');
    expect(straight.code).toBe(0);
    // The callbacks' messages are notes, on stderr (on a terminal, among the progress bar's redraws).
    const decisions = (out: string) =>
      out.match(/Epoch \d+: (?:ReduceLROnPlateau reducing learning rate to [\d.e-]+\.|early stopping)/g);
    expect(decisions(straight.stderr)).toContain('Epoch 3: ReduceLROnPlateau reducing learning rate to 0.001.');
    expect(straight.stdout).toMatch(/^early stopping after epoch 8: val_loss did not improve for 3 epochs$/m);

    // On a terminal the progress bar says where training is: the first frame of epoch 7 (as above).
    const job = spawnOnTerminal(work.dir, join(work.dir, 'decided.log'), ...decide, '--out', 'decided-stopped');
    await job.waitFor(/epoch 7\/10 \[[=-]+\] \d+\/38 steps/);
    ctrlC(job);
    const stopped = await job.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/stopped after (?:step \d+ of epoch 7|epoch 7)\); checkpoint saved/);
    const resumed = await run('train', '--resume', 'decided-stopped');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${resumePoint(stopped.stdout)}\n`);
    expect(weights('decided-stopped').equals(weights('decided'))).toBe(true);
    expect(logs('decided-stopped')).toEqual(logs('decided'));
    expect([...(decisions(stopped.stdout) ?? []), ...(decisions(resumed.stderr) ?? [])]).toEqual(
      decisions(straight.stderr),
    );
    expect(resumed.stdout).toMatch(/^early stopping after epoch 8: val_loss did not improve for 3 epochs$/m);
  });

  it('a run killed outright is listed as incomplete and resumes from its last checkpoint to the same weights', async () => {
    const job = spawnOpt(work.dir, ...args, '--out', 'killed');
    await job.waitFor(/^epoch 2\/3: /m);
    job.child.kill('SIGKILL');
    await job.done;
    const list = await run('runs', 'list', '--root', '.');
    expect(list.stdout).toMatch(/│ killed +│ [^│]+│ incomplete \(process gone\) │/);
    const resumed = await run('train', '--resume', 'killed');
    expect(resumed.code).toBe(0);
    expect(weights('killed').equals(weights('reference'))).toBe(true);
  });

  it('a checkpoint from before the best and last checkpoints were ModelCheckpoints resumes to the same last and best', async () => {
    const job = spawnOpt(work.dir, ...args, '--out', 'older');
    await job.waitFor(/^epoch 2\/3: /m);
    job.child.kill('SIGKILL');
    await job.done;
    // As the build before wrote it: no states of the two ModelCheckpoints, so the best so far comes from history.json.
    const path = join(work.dir, 'older', 'checkpoints', 'last', 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(json.training.callbackStates)).toEqual(['bestCheckpoint', 'lastCheckpoint']);
    json.training.callbackStates = {};
    writeFileSync(path, JSON.stringify(json));
    const resumed = await run('train', '--resume', 'older');
    expect(resumed.code).toBe(0);
    expect(weights('older').equals(weights('reference'))).toBe(true);
    const best = (dir: string) => readFileSync(join(work.dir, dir, 'checkpoints', 'best', 'weights.bin'));
    expect(best('older').equals(best('reference'))).toBe(true);
  });

  it('a run made by opt before the one recipe (subset, then split) resumes on its own images to the weights it would have reached', async () => {
    // Made by the opt of f4d9791^ (make.mjs there): stopped after epoch 1 of 2, and the same run left to finish.
    const fixture = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'fixtures', 'legacy-split-run');
    cpSync(join(fixture, 'stopped'), join(work.dir, 'legacy'), { recursive: true });
    const recorded = () => {
      const { trainCount, validationCount, statistics } = JSON.parse(
        readFileSync(join(work.dir, 'legacy', 'config.json'), 'utf8'),
      ).environment.dataset;
      return { trainCount, validationCount, statistics };
    };
    const before = recorded();
    expect([before.trainCount, before.validationCount]).toEqual([9167, 833]); // 1,000 per class, 1/12 held out
    const resumed = await run('train', '--resume', 'legacy');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("split: the run's own (an older opt's");
    expect(recorded()).toEqual(before);
    const finished = new Float32Array(new Uint8Array(weights('legacy')).buffer);
    const expected = new Float32Array(new Uint8Array(readFileSync(join(fixture, 'reference-last-weights.bin'))).buffer);
    expect(finished.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(finished[i]).toBeCloseTo(expected[i] as number, 6);
  });
});
