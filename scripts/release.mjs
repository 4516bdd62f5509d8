#!/usr/bin/env node
// `pnpm release`: publishes the versions `pnpm version-packages` wrote, to ONE registry chosen by one setting.
//
//   pnpm release [--dry-run] [--registry <url>] [--otp <code>]
//
// The registry is `--registry`, else the OPT_REGISTRY environment variable, else the public npm registry
// (https://registry.npmjs.org/). Two tools must agree on it, and they read different settings: changesets'
// "is this version already published?" check reads `npm_config_registry`, while pnpm 12's publish reads
// `pnpm_config_registry` or `.npmrc` and ignores `npm_config_registry`. This script sets both (and npm's
// `@opt:registry`), then asks npm and pnpm which registry they would use for `@opt/*` and refuses to go on
// unless both answer the chosen one (an `@opt:registry` line in an `.npmrc` wins over pnpm's environment).
//
// `--dry-run` prints, for every publishable package, its name, version, the registry and whether that version
// is already there, then stops: nothing is built, published or tagged. Without it the script also refuses when
// changesets are pending (run `pnpm version-packages` first), when tracked files have uncommitted changes (the
// tags would point at a commit without the bump), or when `npm whoami` fails against the registry; then it builds
// the packages, runs `changeset publish` (which publishes the versions the registry lacks and creates a git tag
// `<name>@<version>` for each) and checks the registry again.
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const PUBLIC_REGISTRY = 'https://registry.npmjs.org/';
const SCOPE = '@opt';
const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const USAGE = `Usage: pnpm release [--dry-run] [--registry <url>] [--otp <code>]

  --registry <url>  where to publish; else $OPT_REGISTRY; else ${PUBLIC_REGISTRY} (the public npm registry)
  --dry-run         list each package's name, version, registry and whether it is already there; change nothing
  --otp <code>      a one-time password for registries that ask for one (passed to changeset publish)`;

/** Prints one clear message and exits: bad input never ends in a stack trace. */
function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        registry: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        otp: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${error.message}\n${USAGE}`);
  }
}

/** The registry URL with a trailing slash, and where the choice came from. */
function chooseRegistry(flag, env) {
  const [value, source] =
    flag !== undefined
      ? [flag, '--registry']
      : env.OPT_REGISTRY
        ? [env.OPT_REGISTRY, 'OPT_REGISTRY']
        : [PUBLIC_REGISTRY, 'the default: the public npm registry'];
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(`${source} is "${value}", which is not a URL. Give one like https://registry.npmjs.org/.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`${source} is "${value}": a registry URL starts with http:// or https://.`);
  }
  const href = url.href.endsWith('/') ? url.href : `${url.href}/`;
  return { registry: href, source };
}

const sameRegistry = (a, b) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * The environment for npm, pnpm and changesets: both registry variables set to `registry`. A registry variable
 * already set to something else is refused rather than overridden, since whoever set it expected it to count.
 */
function releaseEnvironment(registry, source) {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm|pnpm)_config_(@opt:)?registry$/i.test(name) && value && !sameRegistry(value, registry)) {
      fail(
        `${name}=${value} is set, but this release goes to ${registry} (${source}). One setting chooses the ` +
          `registry for both the check and the publish: pass --registry ${value} or OPT_REGISTRY=${value}, ` +
          `or unset ${name}.`,
      );
    }
    if (/^(npm|pnpm)_config_/i.test(name) && /registry$/i.test(name)) delete env[name];
  }
  env.npm_config_registry = registry;
  env.pnpm_config_registry = registry;
  env[`npm_config_${SCOPE}:registry`] = registry;
  return env;
}

/** Asks npm and pnpm themselves which registry they would publish `@opt/*` to. */
async function checkToolsAgree(registry, env) {
  const ask = async (tool, key) => {
    const { stdout } = await run(tool, ['config', 'get', key], { cwd: root, env });
    return stdout.trim();
  };
  const answers = await Promise.all([
    ask('npm', 'registry'),
    ask('npm', `${SCOPE}:registry`),
    ask('pnpm', 'registry'),
    ask('pnpm', `${SCOPE}:registry`),
  ]);
  const [npmDefault, npmScoped, pnpmDefault, pnpmScoped] = answers;
  const npmUses = npmScoped && npmScoped !== 'undefined' ? npmScoped : npmDefault;
  const pnpmUses = pnpmScoped && pnpmScoped !== 'undefined' ? pnpmScoped : pnpmDefault;
  for (const [tool, uses, scoped] of [
    ['npm', npmUses, npmScoped],
    ['pnpm', pnpmUses, pnpmScoped],
  ]) {
    if (!sameRegistry(uses, registry)) {
      const why =
        scoped && scoped !== 'undefined'
          ? `an \`${SCOPE}:registry=${scoped}\` line in an .npmrc (the project's, ~/.npmrc or $NPM_CONFIG_USERCONFIG) ` +
            `wins over the environment. Remove that line, or release to it with --registry ${scoped}.`
          : `check \`${tool} config list\` for where its registry comes from.`;
      fail(`${tool} would publish ${SCOPE}/* to ${uses}, not to ${registry}: ${why}`);
    }
  }
}

/** name, version and directory of every package under packages/ that is not private. */
function publishablePackages() {
  return readdirSync(join(root, 'packages'))
    .map((name) => {
      const dir = join(root, 'packages', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { name: manifest.name, version: manifest.version, private: manifest.private === true, dir };
    })
    .filter((pkg) => !pkg.private)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The versions of `name` on the registry, asked the way changesets asks (`npm info <name> --json`). */
async function publishedVersions(name, env) {
  try {
    const { stdout } = await run('npm', ['info', name, '--json'], { cwd: root, env });
    const info = JSON.parse(stdout);
    const manifest = Array.isArray(info) ? info[0] : info;
    return manifest?.versions ?? [];
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    if (/E404|404 Not Found|is not in this registry/.test(output)) return [];
    fail(`could not ask the registry about ${name} (npm info ${name}): ${output.trim() || error.message}`);
  }
}

async function registryStatus(env) {
  const packages = publishablePackages();
  const versions = await Promise.all(packages.map((pkg) => publishedVersions(pkg.name, env)));
  return packages.map((pkg, i) => ({ ...pkg, there: versions[i].includes(pkg.version) }));
}

function printTable(rows, registry, verbs) {
  const header = ['package', 'version', 'registry', 'status'];
  const lines = rows.map((row) => [row.name, row.version, registry, row.there ? verbs.there : verbs.missing]);
  const widths = header.map((_, c) => Math.max(header[c].length, ...lines.map((line) => line[c].length)));
  for (const line of [header, ...lines]) {
    console.log(`  ${line.map((cell, c) => cell.padEnd(widths[c])).join('  ')}`.trimEnd());
  }
}

/** Changesets not yet applied by `pnpm version-packages`. */
function pendingChangesets() {
  return readdirSync(join(root, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
}

function uncommittedChanges() {
  const result = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) fail(`git status failed in ${root}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function whoami(env) {
  const result = spawnSync('npm', ['whoami'], { cwd: root, env, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

async function main() {
  const options = parseCommandLine();
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const { registry, source } = chooseRegistry(options.registry, process.env);
  const env = releaseEnvironment(registry, source);
  await checkToolsAgree(registry, env);
  console.log(`Registry: ${registry} (${source}); npm and pnpm both resolve ${SCOPE}/* there.`);

  const pending = pendingChangesets();
  const dirty = uncommittedChanges();
  const user = whoami(env);
  const rows = await registryStatus(env);
  const toPublish = rows.filter((row) => !row.there);

  if (options['dry-run']) {
    printTable(rows, registry, { there: 'already there: skipped', missing: 'would be published' });
    if (pending.length > 0) {
      console.log(`Pending changesets (${pending.join(', ')}): run \`pnpm version-packages\` before releasing.`);
    }
    if (dirty) console.log('Uncommitted changes to tracked files: commit the version bump before releasing.');
    console.log(user ? `Logged in to ${registry} as ${user}.` : `Not logged in to ${registry}: npm whoami failed.`);
    console.log(
      toPublish.length > 0
        ? `Would create git tags: ${toPublish.map((row) => `${row.name}@${row.version}`).join(' ')}`
        : 'Nothing to publish.',
    );
    console.log('Dry run: nothing was built, published or tagged.');
    return;
  }

  if (pending.length > 0) {
    fail(`changesets are pending (${pending.join(', ')}): run \`pnpm version-packages\`, commit, then release.`);
  }
  if (dirty) {
    fail(`tracked files have uncommitted changes; commit the version bump first (the tags go on HEAD):\n${dirty}`);
  }
  if (toPublish.length === 0) {
    printTable(rows, registry, { there: 'already there: skipped', missing: '' });
    console.log('Nothing to publish: every version is already on the registry.');
  } else {
    printTable(rows, registry, { there: 'already there: skipped', missing: 'to publish' });
  }
  if (user === null && toPublish.length > 0) {
    fail(`not logged in to ${registry} (npm whoami failed): run \`npm login --registry ${registry}\`.`);
  }

  // Build what is published (the apps are private), then let changesets publish and tag.
  const steps = [
    [join(root, 'node_modules/.bin/turbo'), ['run', 'build', '--filter=./packages/*']],
    [join(root, 'node_modules/.bin/changeset'), ['publish', ...(options.otp ? ['--otp', options.otp] : [])]],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
    if (result.status !== 0) fail(`\`${command.split('/').pop()} ${args.join(' ')}\` failed (exit ${result.status}).`);
  }

  const after = await registryStatus(env);
  const missing = after.filter((row) => !row.there);
  if (missing.length > 0) {
    fail(`not on ${registry} after publishing: ${missing.map((row) => `${row.name}@${row.version}`).join(', ')}`);
  }
  const tags = toPublish.map((row) => `${row.name}@${row.version}`);
  console.log(
    tags.length > 0
      ? `Published and tagged: ${tags.join(' ')}\nNext: git push --follow-tags`
      : `Nothing published; every version is on ${registry}.`,
  );
}

await main();
