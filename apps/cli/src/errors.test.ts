import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, optWith, type Result, realDataDir, scratch } from './testing/fixtures/opt.js';

const work = scratch();
const run = (...args: string[]) => optIn(work.dir, ...args);
afterAll(() => work.remove());

const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

/** A data directory with the real files, one of them replaced by `bad` (written as `name`, or `name.gz`). */
function dataDirWith(name: string, bad: Uint8Array, gz: boolean): string {
  const dir = join(work.dir, `data-${name}-${gz ? 'gz' : 'raw'}`);
  mkdirSync(dir, { recursive: true });
  for (const f of FILES) if (f !== name) copyFileSync(join(realDataDir(), `${f}.gz`), join(dir, `${f}.gz`));
  writeFileSync(join(dir, gz ? `${name}.gz` : name), bad);
  return dir;
}
const raw = (name: string) => new Uint8Array(gunzipSync(readFileSync(join(realDataDir(), `${name}.gz`))));

/** One message on stderr, ending in a newline, without a stack trace; no run directory left behind. */
function oneCleanMessage(r: Result, code: number, ...parts: string[]): void {
  expect(r.code).toBe(code);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const line = r.stderr.split('\n').find((l) => /^opt( [a-z-]+)*: /.test(l));
  expect(line).toBeDefined();
  for (const part of parts) expect(r.stderr).toContain(part);
  expect(existsSync(join(work.dir, 'runs'))).toBe(false);
}

const quick = ['--backend', 'wasm', '--per-class', '10', '--epochs', '1', '--batch-size', '16'];

describe('bad input, tried as a new user would', () => {
  it('names an unknown option, the nearest one, and where the options are listed (exit 2)', async () => {
    oneCleanMessage(
      await run('train', '--lr', '0.1'),
      2,
      "unknown option '--lr' (did you mean --learning-rate?)",
      '`opt train --help` lists the options',
    );
    oneCleanMessage(await run('compare', '--optimizer-list', 'sgd'), 2, "unknown option '--optimizer-list'");
    oneCleanMessage(await run('trian'), 2, "unknown command 'trian'", '`opt --help` lists the commands');
    oneCleanMessage(await run('evaluate'), 2, "missing required argument 'dir'");
  });

  it('names a malformed value and what is accepted (exit 2)', async () => {
    oneCleanMessage(
      await run('train', '--optimizer', 'adamm'),
      2,
      '--optimizer must be one of sgd, rmsprop, adam, adamw, adagrad, adamax, nadam, adadelta, lion, lamb, ftrl, adafactor, muon, radam, rprop, asgd, yogi, adabelief, schedulefreeadamw, schedulefreesgd, prodigy, momentum, nesterov, got "adamm".',
    );
    oneCleanMessage(await run('train', '--epochs', '2.5'), 2, '--epochs must be a positive integer, got "2.5".');
    oneCleanMessage(
      await run('train', '--threads', '0'),
      2,
      '--threads must be auto or an integer from 1 to 8, got "0".',
    );
    oneCleanMessage(
      await optWith({ cwd: work.dir, env: { OPT_THREADS: 'many' } }, 'train', ...quick),
      2,
      'OPT_THREADS must be auto or an integer from 1 to 8, got "many": fix it, or unset it for the default.',
    );
    oneCleanMessage(
      await run('compare', '--optimizers', 'sgd,adam', '--threads', '2', '--backend', 'cpu'),
      2,
      "--threads sets the wasm backend's threads, and --backend cpu takes none: leave out --threads, or train on --backend wasm.",
    );
    oneCleanMessage(
      await run('train', '--schedule', 'cosine', '--decay-rate', '3'),
      2,
      '--decay-rate applies to the inverse-time and exponential schedules, not cosine',
    );
    oneCleanMessage(
      await run('predict', 'nowhere', '--index', '3..1'),
      2,
      '--index must be indices of test images in [0, 9999]',
    );
    oneCleanMessage(
      await run('compare', '--optimizers', 'sgd,,adam'),
      2,
      '--optimizers must be a comma-separated list',
    );
  });

  it('blames a seed beyond the safe integers on --seed, not on --per-class', async () => {
    const r = await run('train', ...quick, '--seed', '1e20');
    oneCleanMessage(r, 2, '--seed must be an integer >= 0, got "1e20".');
    expect(r.stderr).not.toContain('--per-class');
  });

  it('says when the validation split leaves nothing, with the fractions that work', async () => {
    oneCleanMessage(
      // The split comes before the subset, so it cuts the 60000 training images: floor(60000 * 0.00001) = 0 train.
      await run('train', ...quick, '--validation-split', '0.99999'),
      2,
      '--validation-split 0.99999 of 60000 training images holds out 60000 for validation, leaving nothing to train on',
      'use a fraction between 1/60000 and 59999/60000',
    );
  });

  it('refuses batch normalization on a batch of one, and on a last batch of one, with a batch size that works', async () => {
    oneCleanMessage(
      await run('train', ...quick, '--batch-norm', '--batch-size', '1'),
      2,
      '--batch-norm with --batch-size 1: a batch of one sample has no variance',
    );
    // 100 training images (10 per class, after the split) in batches of 11: nine batches and a last one of 1.
    oneCleanMessage(
      await run('train', ...quick, '--batch-norm', '--batch-size', '11'),
      2,
      '--batch-size 11 leaves a last batch of 1 sample each epoch (100 training images)',
      'use e.g. --batch-size 12',
    );
  });

  it('refuses a --hidden width too large for memory before allocating it', async () => {
    oneCleanMessage(
      await run('train', ...quick, '--hidden', '400000'),
      2,
      '--hidden 400000: the model has 318,000,010 weights',
      'Use narrower layers',
    );
  });

  it('uses a --data-dir it is given or fails naming the missing files: never another copy', async () => {
    oneCleanMessage(await run('train', ...quick, '--data-dir', join(work.dir, 'missing')), 2, 'no such directory');
    mkdirSync(join(work.dir, 'empty'));
    oneCleanMessage(
      await run('train', ...quick, '--data-dir', join(work.dir, 'empty')),
      2,
      'none of the four Fashion-MNIST files is there',
    );
    mkdirSync(join(work.dir, 'partial'));
    copyFileSync(
      join(realDataDir(), 'train-labels-idx1-ubyte.gz'),
      join(work.dir, 'partial', 'train-labels-idx1-ubyte.gz'),
    );
    oneCleanMessage(
      await run('train', ...quick, '--data-dir', join(work.dir, 'partial')),
      2,
      'incomplete; missing t10k-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, train-images-idx3-ubyte.gz',
    );
  });

  it('names the damaged file for a truncated .gz, a wrong IDX magic number, wrong image dimensions and a wrong label count (exit 1)', async () => {
    const gz = readFileSync(join(realDataDir(), 'train-labels-idx1-ubyte.gz'));
    const truncated = dataDirWith('train-labels-idx1-ubyte', gz.subarray(0, gz.length >> 1), true);
    oneCleanMessage(
      await run('train', ...quick, '--data-dir', truncated),
      1,
      `${join(truncated, 'train-labels-idx1-ubyte.gz')}: corrupt gzip stream`,
    );

    const magic = raw('t10k-labels-idx1-ubyte');
    magic[3] = 3; // 2049 -> 2051, the magic number of an images file
    const swapped = dataDirWith('t10k-labels-idx1-ubyte', magic, false);
    oneCleanMessage(
      await run('train', ...quick, '--data-dir', swapped),
      1,
      'bad magic number 2051, expected 2049 for IDX labels',
      'are two file names swapped?',
    );

    const dims = raw('t10k-images-idx3-ubyte');
    dims[11] = 27; // 28 rows -> 27
    const wrongDims = dataDirWith('t10k-images-idx3-ubyte', dims, false);
    oneCleanMessage(
      await run('train', ...quick, '--data-dir', wrongDims),
      1,
      join(wrongDims, 't10k-images-idx3-ubyte'),
    );

    const labels = raw('t10k-labels-idx1-ubyte');
    labels[7] = 0x0f; // the header announces 9999 labels for 10000 images
    const count = dataDirWith('t10k-labels-idx1-ubyte', labels.subarray(0, labels.length - 1), false);
    const r = await run('train', ...quick, '--data-dir', count, '--json');
    oneCleanMessage(r, 1, join(count, 't10k-labels-idx1-ubyte'));
    // With --json, the error is also one JSON object on stdout.
    expect(JSON.parse(r.stdout).error).toMatchObject({
      kind: 'failure',
      exitCode: 1,
      file: join(count, 't10k-labels-idx1-ubyte'),
    });
  });

  it('prints the stack trace only with --debug or OPT_DEBUG=1', async () => {
    const dir = join(work.dir, 'missing');
    expect((await run('train', '--data-dir', dir, '--debug')).stderr).toMatch(/^\s+at /m);
    expect((await optWith({ cwd: work.dir, env: { OPT_DEBUG: '1' } }, 'train', '--data-dir', dir)).stderr).toMatch(
      /^\s+at /m,
    );
  });

  it('reads config files with errors that name the file and the field', async () => {
    writeFileSync(join(work.dir, 'run.yaml'), 'optimizer: sgd\nlearning_rate: 0.1\n');
    oneCleanMessage(
      await run('train', '--config', 'run.yaml'),
      2,
      'run.yaml: unknown field "learning_rate" (did you mean "learningRate"?)',
    );
    writeFileSync(join(work.dir, 'broken.json'), '{ "optimizer": ');
    oneCleanMessage(await run('train', '--config', 'broken.json'), 2, '--config broken.json: not valid JSON');
    oneCleanMessage(
      await run('train', '--config', 'absent.yaml'),
      2,
      '--config absent.yaml: cannot read it (no such file)',
    );
  });

  it('refuses to resume what is not a run, and flags that would change a resumed run', async () => {
    oneCleanMessage(await run('train', '--resume', work.dir), 2, 'not a run directory (no config.json there)');
    oneCleanMessage(
      await run('train', '--resume', work.dir, '--epochs', '9'),
      2,
      '--resume continues a run with its own config; leave out --epochs.',
    );
    oneCleanMessage(await run('evaluate', work.dir), 2, 'not a run directory');
  });

  it('refuses to resume a run whose training images neither split (the recipe, the older one) gives', async () => {
    expect((await run('train', ...quick, '--out', 'old-split')).code).toBe(0);
    // Statistics of training images that neither split picks (resume.test resumes a run of the older split).
    const file = join(work.dir, 'old-split', 'config.json');
    const record = JSON.parse(readFileSync(file, 'utf8'));
    record.environment.dataset.statistics.mean += 0.001;
    writeFileSync(file, JSON.stringify(record));
    // As if stopped before its end: a complete run is not resumed at all.
    const status = join(work.dir, 'old-split', 'status.json');
    writeFileSync(status, JSON.stringify({ ...JSON.parse(readFileSync(status, 'utf8')), state: 'interrupted' }));
    oneCleanMessage(
      await run('train', '--resume', 'old-split'),
      2,
      'old-split: the run trained on 100 images and validated on 5000',
      "but neither this opt's split nor the older one (--per-class before the validation split) picks those",
      'it would continue on different data.',
      'or start it again with --out.',
    );
  });
});
