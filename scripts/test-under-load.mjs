#!/usr/bin/env node
// Proves `pnpm test` holds at any load: on a fresh clone of this repository (its committed HEAD), the README's setup,
// then `pnpm test` --runs times in a row (default 3) while a CPU burner (`node -e 'for(;;){}'`) holds one core.
// Prints each run's duration and result, and exits 1 if any run failed. `--here` runs in this checkout instead.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, here: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test-under-load: --runs must be a positive integer, got "${values.runs}".`);
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let cwd = root;
let scratch = null;
const sh = (command, options = {}) => spawnSync('bash', ['-c', command], { cwd, stdio: 'inherit', ...options }).status;

if (!values.here) {
  scratch = mkdtempSync(join(tmpdir(), 'opt-under-load-'));
  cwd = join(scratch, 'opt');
  console.log(`test-under-load: cloning ${root} into ${cwd} and setting it up (pnpm install, pnpm build)`);
  if (sh(`git clone --quiet ${JSON.stringify(root)} ${JSON.stringify(cwd)}`, { cwd: scratch }) !== 0) process.exit(1);
  if (sh('pnpm install --frozen-lockfile --reporter=silent && pnpm build --output-logs=errors-only') !== 0)
    process.exit(1);
}

const burner = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
let running = null;
// Each `pnpm test` is its own process group, so that stopping this script stops everything it started.
const stopAll = () => {
  if (running !== null && running.exitCode === null) process.kill(-running.pid, 'SIGKILL');
  if (burner.exitCode === null) burner.kill('SIGKILL');
};
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
console.log(`test-under-load: CPU burner on one core (pid ${burner.pid}); ${runs} runs of pnpm test`);

const results = [];
for (let i = 1; i <= runs; i++) {
  const started = performance.now();
  running = spawn('pnpm', ['test'], {
    cwd,
    stdio: 'inherit',
    detached: true,
    // Runs the tests every time: turbo reads the builds' cache but keeps no test result to replay on the next run.
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_CACHE: 'local:r' },
  });
  const status = await new Promise((resolve) => running.on('close', (code) => resolve(code ?? 1)));
  const seconds = (performance.now() - started) / 1000;
  results.push({ run: i, status, seconds });
  console.log(
    `test-under-load: run ${i}: ${status === 0 ? 'passed' : `FAILED (exit ${status})`} in ${seconds.toFixed(0)} s`,
  );
}
stopAll();
if (scratch !== null) rmSync(scratch, { recursive: true, force: true });

console.log('\n| run | result | duration |\n|---|---|---|');
for (const r of results) {
  const m = Math.floor(r.seconds / 60);
  const s = Math.round(r.seconds % 60);
  console.log(`| ${r.run} | ${r.status === 0 ? 'passed' : 'failed'} | ${m} min ${String(s).padStart(2, '0')} s |`);
}
process.exitCode = results.every((r) => r.status === 0) ? 0 : 1;
