/**
 * `opt sweep` and `opt worker` as real processes on the real dataset, against a real redis-server (Debian's)
 * that this file starts on a free loopback port and stops by its PID.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareRow } from './engine/compare-dir.js';
import type { HistoryFile } from './run/run-types.js';
import { optWith, type Result, type Running, scratch, spawnOptWith } from './testing/fixtures/opt.js';
import { freePort, type RedisServer, startRedis } from './testing/fixtures/redis.js';

const work = scratch('opt-sweep-');
const PASSWORD = 'sw33p:p@ss/wörd';
const ENCODED = encodeURIComponent(PASSWORD);
let redis: RedisServer;
const url = (db: number, port = redis.port) => `redis://:${ENCODED}@127.0.0.1:${port}/${db}`;

/** Every stdout and stderr of every command, for the password check at the end. */
const said: string[] = [];
const running = new Set<Running>();
const record = (r: Result): Result => {
  said.push(r.stdout, r.stderr);
  return r;
};
const opt = async (args: string[], env: Record<string, string> = {}) =>
  record(await optWith({ cwd: work.dir, env }, ...args));
function start(args: string[], env: Record<string, string> = {}): Running {
  const job = spawnOptWith({ cwd: work.dir, env }, ...args);
  running.add(job);
  void job.done.then((r) => {
    record(r);
    running.delete(job);
  });
  return job;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const json = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const SPEC = [
  'name: optimizers',
  // 600 validation images (validationSplit 0.01), not 5,000 evaluated before the first and after each epoch.
  'base: { perClass: 30, epochs: 4, hidden: [32], batchSize: 8, backend: wasm, validationSplit: 0.01 }',
  'variations:',
  '  - { name: sgd, optimizer: sgd, learningRate: 0.05 }',
  '  - { name: adam, optimizer: adam }',
  '  - { name: momentum, optimizer: momentum }',
  'seeds: [1, 2]',
].join('\n');
const LABELS = ['sgd seed=1', 'sgd seed=2', 'adam seed=1', 'adam seed=2', 'momentum seed=1', 'momentum seed=2'];
const WORKER = ['worker', '--concurrency', '1', '--dir', 'workers', '--lock-duration', '10', '--stalled-interval', '3'];

beforeAll(async () => {
  writeFileSync(join(work.dir, 'sweep.yaml'), SPEC);
  redis = await startRedis({ dir: work.dir, password: PASSWORD });
});

afterAll(async () => {
  for (const job of running) job.child.kill('SIGKILL');
  await redis?.stop();
  work.remove();
});

interface Report {
  dir: string;
  rows: CompareRow[];
  sweep: { id: string; queue: string | null; trials: number };
  trials: Array<{
    label: string;
    jobId: string;
    state: string;
    worker: string | null;
    attemptsMade: number;
    stalled: number;
    resumedFrom: { epoch: number; step: number } | null;
    reused: boolean | null;
    weightsSha256: string | null;
    error: string | null;
  }>;
}

let local: Report;
let queued: Report;

describe('opt sweep and opt worker through Redis', () => {
  it('refuses an invalid sweep file before adding anything, and names the URL (password hidden) when Redis is down', async () => {
    writeFileSync(join(work.dir, 'bad.yaml'), `${SPEC}\ngrid: { learningRate: [0.1, fast] }`);
    const bad = await opt(['sweep', 'bad.yaml', '--queue', url(1), '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('opt sweep: bad.yaml: grid.learningRate value 2 must be a positive number, got "fast".\n');
    expect(JSON.parse(bad.stdout).error).toMatchObject({ kind: 'usage', option: 'grid.learningRate value 2' });
    expect(await redis.client(1).dbsize()).toBe(0);

    const closed = await freePort();
    const down = await opt(['sweep', 'sweep.yaml', '--queue', url(1, closed)]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `opt sweep: cannot reach Redis at redis://:***@127.0.0.1:${closed}/1: nothing listens there (connect ECONNREFUSED 127.0.0.1:${closed}): is redis-server running, and is the port right.\n`,
    );
    const wrong = await opt(['worker', '--queue', `redis://:nope@127.0.0.1:${redis.port}/1`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^opt worker: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/1: Redis refused the credentials \((WRONGPASS|NOAUTH)/m,
    );
  });

  it('runs the sweep locally: a compare of its trials', async () => {
    const r = await opt(['sweep', 'sweep.yaml', '--workers', '2', '--out', 'local', '--target', '0.5', '--json']);
    expect(r.code).toBe(0);
    local = JSON.parse(r.stdout);
    expect(local.rows.map((row) => [row.label, row.status])).toEqual(LABELS.map((l) => [l, 'complete']));
    expect(json<{ format: string }>(join(work.dir, 'local', 'compare.json')).format).toBe('opt.compare.v1');
    expect(readFileSync(join(work.dir, 'local', 'charts', 'val_accuracy.svg'), 'utf8')).toContain('momentum seed=2');
  });

  it('through the queue with two workers, one killed mid-trial and Redis restarted: every trial once, the same results', async () => {
    const coordinator = start([
      'sweep',
      'sweep.yaml',
      '--queue',
      url(1),
      '--out',
      'queued',
      '--target',
      '0.5',
      '--poll',
      '0.5',
      '--json',
    ]);
    // One worker reads the URL from OPT_QUEUE, the other from its command line.
    const a = start([...WORKER, '--name', 'w-a', '--queue'], { OPT_QUEUE: url(1) });
    const b = start([...WORKER, '--name', 'w-b', '--queue', url(1)]);
    await a.waitFor(/^\[(.+)\] epoch 1\/4/m);
    const killed = /^\[(.+)\] epoch 1\/4/m.exec(a.output().stderr)?.[1] as string;
    a.child.kill('SIGKILL');
    expect(LABELS).toContain(killed);
    // What `ps` shows of a worker given the URL on its command line: the password redacted.
    const cmdline = readFileSync(`/proc/${b.child.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--queue redis://:***@127.0.0.1:');
    expect(cmdline).not.toContain(ENCODED);
    const c = start([...WORKER, '--name', 'w-c', '--queue', url(1)]);

    await coordinator.waitFor(/^[2-4]\/6 done/m);
    await redis.restart();
    const done = await coordinator.done;
    expect(done.code).toBe(0);
    queued = JSON.parse(done.stdout);
    expect(done.stderr).toContain(`lost the connection to Redis at redis://:***@127.0.0.1:${redis.port}/1`);
    expect(done.stderr).toContain(`reconnected to Redis at redis://:***@127.0.0.1:${redis.port}/1`);
    expect(done.stderr).toContain('6/6 done (0 failed)');
    expect(queued.sweep.queue).toBe(`redis://:***@127.0.0.1:${redis.port}/1`);

    // Every trial completed exactly once (one job each) and was trained to the end once: a trial whose result
    // could not be stored during the restart comes back from the worker directory untrained, "already trained".
    const queue = new Queue('opt-trials', { connection: redis.client(1) });
    expect(await queue.getJobCounts()).toMatchObject({ completed: 6, failed: 0, active: 0, waiting: 0, delayed: 0 });
    await queue.close();
    const logs = [a, b, c].map((w) => w.output().stderr).join('\n');
    for (const label of LABELS) {
      const trained = logs.split('\n').filter((line) => line.startsWith(`[${label}] complete:`));
      expect([label, trained.length]).toEqual([label, 1]);
    }
    // The killed trial: its worker stopped answering, another worker resumed it from the checkpoint.
    const trial = queued.trials.find((t) => t.label === killed);
    expect(trial).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(trial?.stalled).toBeGreaterThanOrEqual(1);
    expect(['w-b', 'w-c']).toContain(trial?.worker);
    expect(logs).toMatch(/its worker stopped answering; back in the queue/);
    const resumed = new RegExp(`^\\[${killed}\\] resuming from the checkpoint at epoch (\\d+)`, 'm').exec(
      [b, c].map((w) => w.output().stderr).join('\n'),
    );
    expect(Number(resumed?.[1])).toBeGreaterThanOrEqual(2);

    // The same results as the local sweep: metrics to the last bit, the final weights byte for byte.
    for (const [i, label] of LABELS.entries()) {
      const [l, q] = [local.rows[i] as CompareRow, queued.rows[i] as CompareRow];
      const pick = (row: CompareRow) => [
        row.label,
        row.status,
        row.bestValAccuracy,
        row.bestEpoch,
        row.finalValAccuracy,
        row.testAccuracy,
        row.epochs,
      ];
      expect(pick(q)).toEqual(pick(l));
      const [lh, qh] = [l, q].map((row) => json<HistoryFile>(join(row.runDir, 'history.json')));
      expect(qh?.initial).toEqual(lh?.initial);
      for (const [e, entry] of (qh as HistoryFile).epochs.entries()) {
        const other = (lh as HistoryFile).epochs[e];
        const { val_loss, val_accuracy, learning_rate } = entry;
        expect([label, val_loss, val_accuracy, learning_rate]).toEqual([
          label,
          other?.val_loss,
          other?.val_accuracy,
          other?.learning_rate,
        ]);
        // A resumed epoch's training loss averages only the steps after the resume.
        if (!((entry.resumedAtStep ?? 0) > 0))
          expect([label, entry.loss, entry.accuracy]).toEqual([label, other?.loss, other?.accuracy]);
      }
      const weights = sha256(join(l.runDir, 'checkpoints', 'last', 'weights.bin'));
      const t = queued.trials[i];
      expect([label, t?.weightsSha256]).toEqual([label, weights]);
      expect(sha256(join(work.dir, 'workers', t?.jobId as string, 'checkpoints', 'last', 'weights.bin'))).toBe(weights);
      expect(json<{ state: string }>(join(q.runDir, 'status.json')).state).toBe('complete');
    }
    expect(readFileSync(join(work.dir, 'queued', 'charts', 'val_accuracy.svg'), 'utf8')).toContain('momentum seed=2');
  });

  it('adds nothing for the same sweep again; status and results read it from the queue', async () => {
    const again = await opt(['sweep', 'sweep.yaml', '--queue', url(1), '--detach', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: [], existing: LABELS });
    const queue = new Queue('opt-trials', { connection: redis.client(1) });
    expect(await queue.count()).toBe(0);
    expect((await queue.getJobCounts()).completed).toBe(6);
    await queue.close();

    const list = await opt(['sweep', 'status', '--queue', url(1), '--json']);
    expect(JSON.parse(list.stdout).sweeps).toEqual([
      expect.objectContaining({ id: queued.sweep.id, name: 'optimizers', trials: 6, completed: 6, failed: 0 }),
    ]);
    const status = await opt(['sweep', 'status', queued.sweep.id, '--queue'], { OPT_QUEUE: url(1) });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^sweep \w{12} \(optimizers\), added .*: 6\/6 done \(0 failed\), 0 running, 0 waiting; w-b \d done; w-c \d done/,
    );
    expect(status.stdout).toMatch(/│ sgd seed=1 +│ completed │ w-[bc] /);

    const results = await opt([
      'sweep',
      'results',
      'sweep.yaml',
      '--queue',
      url(1),
      '--out',
      'collected',
      '--target',
      '0.5',
      '--json',
    ]);
    expect(results.code).toBe(0);
    const rows = (JSON.parse(results.stdout) as Report).rows;
    expect(rows.map((r) => [r.label, r.status, r.testAccuracy])).toEqual(
      queued.rows.map((r) => [r.label, r.status, r.testAccuracy]),
    );
    // A sweep directory is a compare directory: opt runs list reads its trials.
    const runs = await opt(['runs', 'list', '--root', 'collected', '--json']);
    expect(JSON.parse(runs.stdout).map((s: { state: string }) => s.state)).toEqual(LABELS.map(() => 'complete'));
  });

  it('reports failing trials in their rows: a usage error at once, another failure after its attempts, a diverged run', async () => {
    writeFileSync(
      join(work.dir, 'failing.yaml'),
      [
        'base: { perClass: 30, epochs: 2, hidden: [32], batchSize: 8, backend: wasm, validationSplit: 0.01 }',
        'variations:',
        '  - { name: too-big, batchSize: 100000 }',
        '  - { name: no-webgl, backend: webgl }',
        '  - { name: diverges, optimizer: sgd, learningRate: 1000000 }',
      ].join('\n'),
    );
    const r = await opt([
      'sweep',
      'failing.yaml',
      '--queue',
      url(1),
      '--attempts',
      '2',
      '--backoff',
      '1',
      '--poll',
      '0.5',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.rows.map((row) => [row.label, row.status])).toEqual([
      ['too-big', 'failed'],
      ['no-webgl', 'failed'],
      ['diverges', 'diverged'],
    ]);
    expect(report.rows[0]?.error).toBe(
      '--batch-size 100000 is larger than the 300 training images: use at most 300, or --batch-size full.',
    );
    expect(report.rows[1]?.error).toMatch(/^Backend "webgl" is not available/);
    expect(report.rows[2]?.error).toMatch(/^the loss diverged/);
    expect(report.trials.map((t) => t.attemptsMade)).toEqual([1, 2, 1]);
    expect(r.stderr).toMatch(/\[no-webgl\] attempt 1 failed \(Backend "webgl" is not available/);
    expect(r.stdout).not.toContain('stack');
  });

  it('stops the workers with SIGTERM and has never shown the password, in any output or file', async () => {
    for (const job of [...running]) job.child.kill('SIGTERM');
    await Promise.all([...running].map((job) => job.done));
    for (const text of said) expect(text).not.toContain(PASSWORD);
    for (const text of said) expect(text).not.toContain(ENCODED);
    const files: string[] = [];
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) visit(path);
        else files.push(path);
      }
    };
    visit(work.dir);
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const bytes = readFileSync(file).toString('latin1');
      expect([file, bytes.includes(ENCODED) || bytes.includes(Buffer.from(PASSWORD).toString('latin1'))]).toEqual([
        file,
        false,
      ]);
    }
  });
});

describe('opt sweep over TLS (rediss://)', () => {
  it('verifies the server with a private CA from NODE_EXTRA_CA_CERTS, and says so when it cannot', async () => {
    const dir = join(work.dir, 'tls');
    spawnSync('mkdir', ['-p', dir]);
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ]);
    expect(made.status, made.stderr?.toString()).toBe(0);
    const tls = await startRedis({
      dir,
      password: PASSWORD,
      extra: [
        '--tls-cert-file',
        join(dir, 'cert.pem'),
        '--tls-key-file',
        join(dir, 'key.pem'),
        '--tls-auth-clients',
        'no',
      ],
    });
    try {
      const tlsUrl = `rediss://:${ENCODED}@localhost:${tls.port}/0`;
      const untrusted = await opt(['sweep', 'sweep.yaml', '--queue', tlsUrl, '--detach']);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(
        /cannot reach Redis at rediss:\/\/:\*\*\*@localhost:\d+\/0: the TLS handshake failed \(self[- ]signed certificate\); for a private CA, point NODE_EXTRA_CA_CERTS at its certificate/,
      );
      const trusted = await opt(['sweep', 'sweep.yaml', '--queue', '--detach', '--json'], {
        OPT_QUEUE: tlsUrl,
        NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
      });
      expect(trusted.code).toBe(0);
      expect(JSON.parse(trusted.stdout)).toMatchObject({
        sweep: { queue: `rediss://:***@localhost:${tls.port}/0` },
        added: LABELS,
      });
      const plain = await opt(['sweep', 'status', '--queue', `redis://:${ENCODED}@localhost:${tls.port}/0`]);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@localhost:\d+\/0: /);
      for (const text of [untrusted, trusted, plain].flatMap((x) => [x.stdout, x.stderr]))
        expect(text).not.toContain(ENCODED);
    } finally {
      await tls.stop();
    }
  });
});
