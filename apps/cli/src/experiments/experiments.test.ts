/**
 * `pnpm experiments --quick` as a real process on the real dataset: it trains claims 1, 3 and 4 on a small
 * subset through the worker pool, writes the report from the run directories, and checks the directions that
 * hold at that scale. Then: a second call trains nothing, each row's command trains the same run again, and the
 * rows open with `opt runs show`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, type Result, scratch } from '../testing/fixtures/opt.js';

const EXPERIMENTS = fileURLToPath(new URL('../../dist/experiments/main.js', import.meta.url));
const work = scratch('opt-experiments-');
afterAll(() => work.remove());

function experiments(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [EXPERIMENTS, ...args],
      { cwd: work.dir, env: process.env, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string }) | null;
        resolve({ code: typeof e?.code === 'number' ? e.code : 0, signal: null, stdout, stderr });
      },
    );
  });
}

const report = () => readFileSync(join(work.dir, 'runs/experiments-quick/EXPERIMENTS.md'), 'utf8');
/** The `opt train` command under a row's heading in the report. */
function commandOf(label: string): string[] {
  const lines = report().split('\n');
  const at = lines.indexOf(`# ${label}`);
  expect(at, `no command for ${label}`).toBeGreaterThan(0);
  return (lines[at + 1] as string).split(' ');
}

describe('pnpm experiments --quick', () => {
  it('trains claims 1, 3 and 4 on a subset, writes the report and checks the robust directions', async () => {
    const first = await experiments('--quick', '--workers', '2');
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toMatch(
      /^ok {3}adam: standardized inputs reach a lower loss after one epoch than raw pixels/m,
    );
    expect(first.stdout).toMatch(/^ok {3}sgd: standardized inputs reach a lower loss after one epoch than raw pixels/m);
    expect(first.stdout).toMatch(/^ok {3}Adam's loss falls faster than basic SGD's in the first epoch/m);
    expect(first.stdout).toMatch(
      /^ok {3}a learning rate 100 times too high \(SGD at 1\) diverges and is reported as such: status diverged, with the diverged advice; the report says "diverged in epoch 1"$/m,
    );
    expect(first.stdout).toMatch(/^total time /m);
    // Adam and SGD at their chapter settings are in claims 1 and 4 alike: trained once, linked from the other claim.
    expect(first.stderr).toMatch(
      /^16 runs to train \(and 2 that another claim's run of the same config stands for\), 0 already complete; 2 worker process\(es\)$/m,
    );
    expect(first.stderr).toMatch(
      /^\[4-learning-rate sgd 0\.01 \(chapter\)\] the same config as \[1-normalization sgd, standardized\]: linked to its run$/m,
    );
    expect(first.stderr).toMatch(/\[lr-find sgd, lr-find\] suggested learning rate [\d.e-]+$/m);

    const text = report();
    for (const heading of ['## 1. Input normalization', '## 3. Basic SGD', '## 4. Learning rate too high and too low'])
      expect(text).toContain(heading);
    expect(text).not.toContain('## 2.');
    expect(text).toMatch(/\| sgd 1 \(100x\) \| 1 \| [\d.]+ \| [\d.]+ \| diverged in epoch 1 \|/);
    for (const chart of ['1-normalization-first-epoch-loss', '3-optimizers-val-accuracy', '4-learning-rate-lr-find'])
      expect(readFileSync(join(work.dir, `runs/experiments-quick/experiments/${chart}.svg`), 'utf8')).toMatch(/^<svg/);
    const sessions = JSON.parse(readFileSync(join(work.dir, 'runs/experiments-quick/experiments.json'), 'utf8'));
    expect(sessions.sessions).toHaveLength(1);
    expect(sessions.sessions[0]).toMatchObject({
      quick: true,
      trained: 16,
      linked: 2,
      kept: 0,
      failed: [],
      stopped: false,
    });
  });

  it('a second call keeps every complete run and only rewrites the report', async () => {
    const before = report();
    const again = await experiments('--quick');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^0 runs to train, 18 already complete/m);
    expect(again.stderr).toContain('[lr-find sgd, lr-find] already done');
    // The same runs give the same report, but for the cost paragraph (the sessions that trained are the same too).
    expect(report()).toBe(before);
  });

  it("a row's command trains the same run again, and its run directory opens with opt runs show", async () => {
    const command = commandOf('sgd, standardized');
    expect(command.slice(0, 2)).toEqual(['opt', 'train']);
    const out = command.indexOf('--out');
    const dir = command[out + 1] as string;
    expect(existsSync(join(work.dir, dir, 'status.json'))).toBe(true);
    const again = await optIn(work.dir, ...command.slice(1, out), '--out', 'again', '--json');
    expect(again.code, again.stderr).toBe(0);
    const history = (d: string) => JSON.parse(readFileSync(join(work.dir, d, 'history.json'), 'utf8'));
    expect(history('again').epochs.map((e: { val_loss: number }) => e.val_loss)).toEqual(
      history(dir).epochs.map((e: { val_loss: number }) => e.val_loss),
    );
    const shown = await optIn(work.dir, 'runs', 'show', dir);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(command.join(' '));
  });
});
