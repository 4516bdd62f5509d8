#!/usr/bin/env node
// What the tests need from the machine beyond `pnpm install`, checked before `pnpm test` and `pnpm test:release`
// (and by .ci/run before it installs anything else). What is missing is installed with apt-get when this runs as
// root on a machine with apt-get, saying what and why; otherwise, or when OPT_INSTALL_PREREQUISITES=0, or when
// the install fails, one message lists each missing thing and how to get it, and the exit status is 1.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumExecutable } from './chromium.mjs';

export const DATASET_DIR = '/usr/share/datasets/fashion-mnist';
/** The font the CLI's charts ask for first (any font would do; this one comes with Debian's fonts-dejavu-core). */
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const DATASET_FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];

/**
 * Each prerequisite: how to tell it is there, the Debian package that provides it (when installing that package
 * would satisfy the check), and how to get it by hand.
 */
export function prerequisites({ env = process.env, datasetDir = DATASET_DIR } = {}) {
  const chromium = chromiumExecutable(env);
  const [major, minor] = process.versions.node.split('.').map(Number);
  return [
    {
      what: `Node.js >= 20.10 (this is ${process.versions.node})`,
      why: 'the packages and tools declare engines.node >= 20.10',
      present: major > 20 || (major === 20 && minor >= 10),
      apt: null,
      howTo: 'install Node.js 20.10 or newer (https://nodejs.org/)',
    },
    {
      what: `Chromium at ${chromium}`,
      why: 'the browser tests of @opt/tensor, @opt/layers and @opt/data-fashion-mnist run in a real headless Chromium',
      present: existsSync(chromium),
      // Debian's package puts it at /usr/bin/chromium; a CHROMIUM_PATH somewhere else is the user's to fix.
      apt: env.CHROMIUM_PATH ? null : 'chromium',
      howTo: env.CHROMIUM_PATH
        ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist: point it at a Chromium or Chrome binary, or unset it to use /usr/bin/chromium`
        : '`apt-get install chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary',
    },
    {
      what: `the Fashion-MNIST files in ${datasetDir}`,
      why: 'the real-data tests, the CLI tests and the release rehearsal read the real dataset (the tests never download it)',
      present: DATASET_FILES.every((file) => existsSync(join(datasetDir, file))),
      apt: datasetDir === DATASET_DIR ? 'dataset-fashion-mnist' : null,
      howTo: `\`apt-get install dataset-fashion-mnist\` (Debian/Ubuntu), or copy ${DATASET_FILES.join(', ')} into ${datasetDir}`,
    },
    {
      what: `a font (${FONT})`,
      why: "the CLI's PNG charts draw their text with the system's fonts (resvg)",
      present: existsSync(FONT),
      apt: 'fonts-dejavu-core',
      howTo: '`apt-get install fonts-dejavu-core` (Debian/Ubuntu)',
    },
    {
      what: 'redis-server',
      why: "the CLI's sweep tests start a private Redis for `opt sweep --queue` and `opt worker` (BullMQ)",
      present: onPath('redis-server', env) || existsSync('/usr/bin/redis-server'),
      apt: 'redis-server',
      howTo: '`apt-get install redis-server` (Debian/Ubuntu; the tests start their own instance, none need run)',
    },
    {
      what: 'openssl',
      why: "the CLI's sweep tests make a self-signed certificate for Redis over TLS (rediss://)",
      present: onPath('openssl', env) || existsSync('/usr/bin/openssl'),
      apt: 'openssl',
      howTo: '`apt-get install openssl` (Debian/Ubuntu)',
    },
    {
      what: 'the `script` command (util-linux)',
      why: 'the CLI tests press Ctrl-C on a pseudo-terminal, as a user at a keyboard does, through `script`',
      present: onPath('script', env) || existsSync('/usr/bin/script'),
      apt: 'bsdutils',
      howTo: '`apt-get install bsdutils` (Debian/Ubuntu; part of util-linux elsewhere)',
    },
  ];
}

function onPath(command, env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** Why apt-get will not be run here, or null when it may be. */
export function cannotInstall(env = process.env) {
  if (env.OPT_INSTALL_PREREQUISITES === '0') return 'OPT_INSTALL_PREREQUISITES=0 is set';
  if (process.getuid?.() !== 0) return 'this is not running as root';
  if (!onPath('apt-get', env)) return 'apt-get is not on PATH';
  return null;
}

/** The one message for what is still missing. */
export function report(missing, reason) {
  const lines = missing.map((p) => `  - ${p.what}: ${p.why}.\n    Get it: ${p.howTo}.`);
  return (
    `The tests need what this machine lacks${reason ? ` (not installed automatically: ${reason})` : ''}:\n` +
    `${lines.join('\n')}\nThen run the command again.`
  );
}

function aptGet(args, env) {
  return spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
  }).status;
}

function main() {
  const env = process.env;
  let missing = prerequisites({ env }).filter((p) => !p.present);
  if (missing.length === 0) return 0;

  const installable = missing.filter((p) => p.apt !== null);
  const reason = cannotInstall(env);
  let failure = reason;
  if (installable.length > 0 && reason === null) {
    const packages = installable.map((p) => p.apt);
    console.log(`prerequisites: installing ${packages.join(' ')} with apt-get, because:`);
    for (const p of installable) console.log(`  - ${p.apt}: ${p.why}`);
    const status = aptGet(['update', '-qq'], env) || aptGet(['install', '-y', '-qq', ...packages], env);
    if (status !== 0) failure = `apt-get exited with ${status}`;
    missing = prerequisites({ env }).filter((p) => !p.present);
    if (missing.length === 0) return 0;
  }
  console.error(report(missing, installable.length > 0 ? failure : null));
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main();
