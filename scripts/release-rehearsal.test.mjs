// The release rehearsal (`pnpm test:release`): the release flow of .changeset/README.md run for real against a
// throwaway Verdaccio registry on a loopback port, in a scratch copy of the repository (the working tree is
// never changed). It versions and publishes the first release, releases again (nothing to publish), installs the
// packages from the registry into a fresh npm project and fresh pnpm projects and runs each package README's
// example there, then releases a patch and a minor of @opt/schedules and checks which versions the registry and a
// fresh consumer end up with. HOME points into the scratch directory, whose .npmrc holds a token for the loopback
// registry only, and every publish is preceded by a check that npm and pnpm resolve @opt/* to it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'opt-release-'));
const repo = join(scratch, 'repo');
const home = join(scratch, 'home');
const consumers = join(scratch, 'consumers');
const started = Date.now();

/** Every publishable package: the directories under packages/ whose package.json is not private. */
const PACKAGES = readdirSync(join(root, 'packages'))
  .map((dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')))
  .filter((manifest) => !manifest.private)
  .map((manifest) => manifest.name)
  .sort();

/**
 * What a README example takes from the text around it, inserted after its `await useBackend(...)` line. Checked
 * list: a README example that needs something not here fails to compile, which names what is missing.
 */
const PRELUDES = {
  // "x: [60000, 784] pixel values 0..255, y: [60000] class indices 0..9": 512 made-up ones keep it quick.
  '@opt/layers': {
    imports: "import { tf as preludeTf } from '@opt/tensor';",
    statements:
      'const x = preludeTf.randomUniform([512, 784], 0, 255);\n' +
      "const y = preludeTf.randomUniform([512], 0, 10, 'int32');",
  },
};

let registry; // http://127.0.0.1:<port>/
let verdaccio; // the server process itself (node node_modules/verdaccio/bin/verdaccio), stopped by its PID
let env; // the environment of every command run here

function elapsed() {
  return `${((Date.now() - started) / 1000).toFixed(0)} s`;
}

/** Runs a command; throws with its output when it fails unless `allowFailure`. */
function sh(command, args, { cwd = repo, allowFailure = false, timeout = 600_000 } = {}) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (!allowFailure && result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${cwd} failed (${result.status ?? result.signal}):\n${output}`,
    );
  }
  return { status: result.status, stdout: result.stdout ?? '', output };
}

/** A free loopback port: bound to port 0, read, released. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * One HTTP request to the rehearsal registry on a fresh connection (fetch's keep-alive pool would reuse a socket
 * Verdaccio has closed while a long step ran). Resolves `{ status, body }` with the body as a Buffer.
 */
function http(url, { method = 'GET', json } = {}) {
  return new Promise((resolveRequest, reject) => {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers = body ? { 'content-type': 'application/json', 'content-length': body.length } : {};
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolveRequest({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The environment: ours, minus what a parent pnpm or npm set, with HOME in the scratch directory. */
function scratchEnvironment() {
  const ask = (tool, args) => spawnSync(tool, args, { cwd: root, encoding: 'utf8' }).stdout.trim();
  const store = dirname(ask('pnpm', ['store', 'path']));
  const pnpmCache = ask('pnpm', ['cache', 'path']);
  const npmCache = ask('npm', ['config', 'get', 'cache']);
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(npm|pnpm)_(config|package|lifecycle)_|^npm_|^PNPM_|^INIT_CWD$|^OPT_REGISTRY$/i.test(name),
    ),
  );
  return {
    ...clean,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_STATE_HOME: join(home, '.local/state'),
    // The machine's caches, so nothing is downloaded twice: pnpm's store, its metadata (its lockfile policy check
    // needs that offline) and npm's cache. Registry metadata is keyed by URL, and the port is new each run.
    pnpm_config_store_dir: store,
    pnpm_config_cache_dir: pnpmCache,
    npm_config_cache: npmCache,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    CI: 'true',
    TURBO_TELEMETRY_DISABLED: '1',
    GIT_AUTHOR_NAME: 'Release rehearsal',
    GIT_AUTHOR_EMAIL: 'rehearsal@example.invalid',
    GIT_COMMITTER_NAME: 'Release rehearsal',
    GIT_COMMITTER_EMAIL: 'rehearsal@example.invalid',
  };
}

/** The working tree's files as git sees them (tracked and untracked, not ignored), in a fresh repository. */
function copyRepository() {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    copyFileSync(join(root, file), join(repo, file));
  }
  sh('git', ['init', '-q', '-b', 'main']);
  sh('git', ['add', '-A']);
  sh('git', ['commit', '-q', '-m', 'The working tree, for the release rehearsal']);
  sh('pnpm', ['install', '--frozen-lockfile', '--offline', '--ignore-scripts']);
}

async function startRegistry() {
  const dir = join(scratch, 'registry');
  mkdirSync(dir, { recursive: true });
  // No uplinks: this registry holds what the rehearsal publishes and nothing else.
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      `  htpasswd: { file: ${join(dir, 'htpasswd')}, max_users: 10 }`,
      'uplinks: {}',
      'packages:',
      "  '**': { access: $all, publish: $authenticated, unpublish: $authenticated }",
      'web: { enable: false }',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const log = join(dir, 'verdaccio.log');
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const out = openSync(log, 'a');
    const child = spawn(
      process.execPath,
      [
        join(root, 'node_modules/verdaccio/bin/verdaccio'),
        '--config',
        join(dir, 'config.yaml'),
        '--listen',
        `127.0.0.1:${port}`,
      ],
      { cwd: dir, stdio: ['ignore', out, out] },
    );
    const url = `http://127.0.0.1:${port}/`;
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    for (let wait = 0; wait < 600 && !exited; wait++) {
      try {
        if ((await http(`${url}-/ping`)).status === 200) return { child, url };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    if (attempt === 5) throw new Error(`Verdaccio did not start:\n${readFileSync(log, 'utf8')}`);
  }
}

async function stopRegistry() {
  if (!verdaccio || verdaccio.exitCode !== null) return;
  const exited = new Promise((r) => verdaccio.once('exit', r));
  process.kill(verdaccio.pid, 'SIGTERM');
  const timer = setTimeout(() => verdaccio.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The registry's document for a package: `{ versions, 'dist-tags' }`, or null when it has none. */
async function packument(name) {
  const response = await http(`${registry}${name.replace('/', '%2f')}`);
  if (response.status === 404) return null;
  assert.equal(response.status, 200, `GET ${name}: ${response.status}`);
  return JSON.parse(response.body.toString('utf8'));
}

async function versionsOnRegistry() {
  const entries = await Promise.all(
    PACKAGES.map(async (name) => [name, Object.keys((await packument(name))?.versions ?? {}).sort()]),
  );
  return Object.fromEntries(entries);
}

function manifest(name) {
  return JSON.parse(readFileSync(join(repo, 'packages', name.slice(5), 'package.json'), 'utf8'));
}

function localVersions() {
  return Object.fromEntries(PACKAGES.map((name) => [name, manifest(name).version]));
}

function changelog(name) {
  return readFileSync(join(repo, 'packages', name.slice(5), 'CHANGELOG.md'), 'utf8');
}

/** The release flow's own commands, as .changeset/README.md gives them. */
function versionPackages() {
  sh('pnpm', ['version-packages']);
  sh('git', ['add', '-A']);
  sh('git', ['commit', '-q', '-m', 'Version packages']);
}

/**
 * `pnpm release --dry-run`, checked (the loopback registry on every line, and exactly `expected` would be
 * published), then `pnpm release`. Returns the release's output.
 */
function release(expected) {
  // Before anything is published: the scratch configuration must point at the loopback registry.
  assert.match(env.OPT_REGISTRY, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(env.HOME, home);
  assert.equal(readFileSync(join(home, '.npmrc'), 'utf8').trim().split('\n').length, 1, 'one credential only');
  const dry = sh('pnpm', ['release', '--dry-run']).stdout;
  assert.ok(dry.includes(`Registry: ${registry} (OPT_REGISTRY)`), dry);
  const rows = dry.split('\n').filter((line) => /^\s+@opt\//.test(line));
  assert.equal(rows.length, PACKAGES.length, dry);
  for (const row of rows) assert.ok(row.includes(registry), `the dry run lists another registry: ${row}`);
  const wouldPublish = rows
    .filter((row) => row.endsWith('would be published'))
    .map((row) => row.trim().split(/\s+/).slice(0, 2).join('@'));
  assert.deepEqual(wouldPublish.sort(), [...expected].sort(), dry);
  return sh('pnpm', ['release']).stdout;
}

function writeChangeset(file, name, bump, summary) {
  writeFileSync(join(repo, '.changeset', file), `---\n'${name}': ${bump}\n---\n\n${summary}\n`);
}

/** The README's install command and the first TypeScript example after it. */
function readmeExample(name) {
  const text = readFileSync(join(root, 'packages', name.slice(5), 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1],
    code: m[2],
    at: m.index,
  }));
  const install = blocks.find((b) => b.lang === 'sh' && /^npm install /m.test(b.code));
  assert.ok(install, `${name}'s README has no \`npm install\` line in a sh block`);
  const example = blocks.find((b) => b.lang === 'ts' && b.at > install.at);
  assert.ok(example, `${name}'s README has no ts example after its install line`);
  const line = install.code.split('\n').find((l) => l.startsWith('npm install '));
  const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(2);
  return { names, code: example.code };
}

/** The README example with its prelude, as the TypeScript file the rehearsal compiles. */
function exampleSource(name) {
  const { code } = readmeExample(name);
  const prelude = PRELUDES[name];
  if (!prelude) return code;
  const backendLine = /^await useBackend\(.*\);$/m;
  assert.match(code, backendLine, `${name}'s example has no \`await useBackend(...)\` line to put its prelude after`);
  return `${prelude.imports}\n${code.replace(backendLine, (line) => `${line}\n${prelude.statements}`)}`;
}

/**
 * Writes the examples of `names` into `project`, compiles them in one tsc run against the installed packages'
 * types (strict), then runs each compiled example with Node; a failing one fails with its output.
 */
function runExamples(project, names) {
  const files = names.map((name) => {
    const file = `${name.slice(5)}.ts`;
    writeFileSync(join(project, file), exampleSource(name));
    return file;
  });
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        skipLibCheck: true,
        types: [],
        outDir: 'out',
      },
      files,
    }),
  );
  sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project });
  for (const file of files) {
    // Each example runs in its own directory: the layers example writes checkpoints/ beside it.
    const cwd = join(project, 'run', file.replace(/\.ts$/, ''));
    mkdirSync(cwd, { recursive: true });
    sh(process.execPath, [join(project, 'out', file.replace(/\.ts$/, '.js'))], { cwd, timeout: 300_000 });
  }
}

function freshProject(name) {
  const dir = join(consumers, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module' })}\n`);
  // @opt/* from the rehearsal registry; everything else (TensorFlow.js) from the machine's usual registry.
  writeFileSync(join(dir, '.npmrc'), `@opt:registry=${registry}\n`);
  return dir;
}

/** The version of `dependency` that `name`, as installed in `project`, resolves. */
function resolvedFrom(project, name, dependency) {
  const from = realpathSync(join(project, 'node_modules', name));
  const script = `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(`${from}/package.json`)});
console.log(require(${JSON.stringify(`${dependency}/package.json`)}).version);`;
  return sh(process.execPath, ['--input-type=module', '-e', script], { cwd: project }).stdout.trim();
}

function installedVersion(project, name) {
  return JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')).version;
}

before(async () => {
  mkdirSync(home, { recursive: true });
  env = scratchEnvironment();
  copyRepository();
  ({ child: verdaccio, url: registry } = await startRegistry());
  // A user on the rehearsal registry; its token is the only credential in the scratch HOME.
  const response = await http(`${registry}-/user/org.couchdb.user:rehearsal`, {
    method: 'PUT',
    json: { name: 'rehearsal', password: 'rehearsal-password' },
  });
  assert.equal(response.status, 201, response.body.toString('utf8'));
  const { token } = JSON.parse(response.body.toString('utf8'));
  writeFileSync(join(home, '.npmrc'), `${registry.replace(/^http:/, '')}:_authToken=${token}\n`);
  env.OPT_REGISTRY = registry;
  console.log(`# registry ${registry} (pid ${verdaccio.pid}), scratch ${scratch}, ready after ${elapsed()}`);
});

after(async () => {
  const pid = verdaccio?.pid;
  await stopRegistry();
  if (pid !== undefined) {
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `Verdaccio (pid ${pid}) is still running`);
  }
  rmSync(scratch, { recursive: true, force: true });
  console.log(`# release rehearsal: ${elapsed()}`);
});

describe('release rehearsal against a throwaway registry', () => {
  // One changeset's first line per package, to find in its tarball; a changeset may name several packages.
  const firstChangesets = {};

  it('version-packages writes one changelog per package, with the changes of the changesets naming it only', () => {
    const changesets = [];
    for (const file of readdirSync(join(repo, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
      const text = readFileSync(join(repo, '.changeset', file), 'utf8');
      const [, front, body] = text.match(/^---\n([\s\S]*?)\n---\n([\s\S]*)$/);
      const names = [...front.matchAll(/^['"](@opt\/[\w-]+)['"]:/gm)].map(([, name]) => name);
      assert.ok(names.length > 0, `${file} names no @opt package in its front matter`);
      changesets.push({ file, names, firstLine: body.trim().split('\n')[0] });
      for (const name of names) firstChangesets[name] ??= body.trim();
    }
    assert.deepEqual(Object.keys(firstChangesets).sort(), [...PACKAGES].sort(), 'a changeset for every package');
    versionPackages();
    assert.deepEqual(localVersions(), Object.fromEntries(PACKAGES.map((name) => [name, '0.1.0'])));
    for (const name of PACKAGES) {
      const text = changelog(name);
      assert.match(text, new RegExp(`^# ${name}\\n\\n## 0\\.1\\.0\\n`));
      for (const { file, names, firstLine } of changesets) {
        if (names.includes(name)) assert.ok(text.includes(firstLine), `${name}'s CHANGELOG lacks ${file}`);
        else assert.ok(!text.includes(firstLine), `${name}'s CHANGELOG repeats ${file}, which names ${names}`);
      }
    }
    assert.deepEqual(readdirSync(join(repo, '.changeset')).sort(), ['README.md', 'config.json']);
  });

  it('release publishes every package to the loopback registry and tags each version', async () => {
    assert.deepEqual(await versionsOnRegistry(), Object.fromEntries(PACKAGES.map((name) => [name, []])));
    const output = release(PACKAGES.map((name) => `${name}@0.1.0`));
    assert.match(output, /Next: git push --follow-tags/);
    assert.deepEqual(await versionsOnRegistry(), Object.fromEntries(PACKAGES.map((name) => [name, ['0.1.0']])));
    for (const name of PACKAGES) {
      assert.equal(
        sh('git', ['cat-file', '-t', `${name}@0.1.0`]).stdout.trim(),
        'tag',
        `${name}@0.1.0 is not an annotated tag`,
      );
      // What was published: CHANGELOG inside, metadata, workspace ranges rewritten.
      const document = await packument(name);
      const published = document.versions['0.1.0'];
      assert.equal(document['dist-tags'].latest, '0.1.0');
      assert.equal(published.repository.directory, `packages/${name.slice(5)}`);
      assert.ok(published.homepage && published.bugs?.url, `${name} lacks homepage or bugs`);
      for (const range of Object.values(published.dependencies ?? {})) assert.doesNotMatch(range, /^workspace:/);
      const tarball = join(scratch, `${name.slice(5)}.tgz`);
      writeFileSync(tarball, (await http(published.dist.tarball)).body);
      const shipped = sh('tar', ['-xzOf', tarball, 'package/CHANGELOG.md'], { cwd: scratch }).stdout;
      assert.ok(shipped.includes(firstChangesets[name].split('\n')[0]), `${name}'s tarball has no CHANGELOG entry`);
    }
    assert.deepEqual((await packument('@opt/layers')).versions['0.1.0'].dependencies, {
      '@opt/optimizers': '^0.1.0',
      '@opt/schedules': '^0.1.0',
      '@opt/tensor': '^0.1.0',
    });
    console.log(`# first release published after ${elapsed()}`);
  });

  it('release again publishes nothing and exits 0', async () => {
    const before = await versionsOnRegistry();
    const output = release([]);
    assert.match(output, /Nothing to publish: every version is already on the registry/);
    // Whole words: turbo prints cache hashes in hex, and one held "409" (a CI run of e0ab38f failed on it).
    assert.doesNotMatch(output, /\b409\b|\bConflict\b|cannot publish over/i);
    assert.deepEqual(await versionsOnRegistry(), before);
  });

  it('every README example runs in a fresh npm project after its npm install line', () => {
    const project = freshProject('npm-consumer');
    const names = new Set();
    for (const name of PACKAGES) {
      const example = readmeExample(name);
      for (const [, imported] of example.code.matchAll(/from '(@opt\/[\w-]+)'/g)) {
        assert.ok(example.names.includes(imported), `${name}'s example imports ${imported}; its install line omits it`);
      }
      for (const n of example.names) names.add(n);
    }
    // npm hoists, so one install of every line's packages is what the five lines give; pnpm checks each alone.
    sh('npm', ['install', '--loglevel=error', ...names], { cwd: project });
    runExamples(project, PACKAGES);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    for (const name of PACKAGES) {
      assert.ok(lock.packages[`node_modules/${name}`].resolved.startsWith(registry), `${name} came from elsewhere`);
    }
    console.log(`# npm consumer done after ${elapsed()}`);
  });

  it('every README example runs in its own fresh pnpm project with exactly that README’s packages', () => {
    for (const name of PACKAGES) {
      const { names } = readmeExample(name);
      const project = freshProject(`pnpm-${name.slice(5)}`);
      sh('pnpm', ['add', '--reporter=silent', ...names], { cwd: project });
      runExamples(project, [name]);
    }
    console.log(`# pnpm consumers done after ${elapsed()}`);
  });

  it('a patch of @opt/schedules publishes schedules alone; a fresh @opt/layers install gets it through ^0.1.0', async () => {
    writeChangeset('schedules-patch.md', '@opt/schedules', 'patch', 'Rehearsal: a fix inside @opt/schedules.');
    versionPackages();
    assert.deepEqual(localVersions(), {
      ...Object.fromEntries(PACKAGES.map((n) => [n, '0.1.0'])),
      '@opt/schedules': '0.1.1',
    });
    assert.equal(manifest('@opt/layers').dependencies['@opt/schedules'], 'workspace:^');
    assert.match(changelog('@opt/schedules'), /## 0\.1\.1\n\n### Patch Changes\n\n- [0-9a-f]*:? ?Rehearsal: a fix/);
    assert.doesNotMatch(changelog('@opt/layers'), /0\.1\.1/);
    release(['@opt/schedules@0.1.1']);
    assert.deepEqual(await versionsOnRegistry(), {
      ...Object.fromEntries(PACKAGES.map((n) => [n, ['0.1.0']])),
      '@opt/schedules': ['0.1.0', '0.1.1'],
    });
    assert.equal((await packument('@opt/schedules'))['dist-tags'].latest, '0.1.1');

    // npm: the newest version in range at once (--prefer-online: our shared cache saw 0.1.0 minutes ago).
    const npmProject = freshProject('npm-after-patch');
    sh('npm', ['install', '--loglevel=error', '--prefer-online', '@opt/layers'], { cwd: npmProject });
    // pnpm 12 without settings: versions younger than its default minimumReleaseAge (1440 minutes) are held
    // back while an older one satisfies the range, so a fresh pnpm project stays on 0.1.0 for a day.
    const pnpmProject = freshProject('pnpm-after-patch');
    sh('pnpm', ['add', '--reporter=silent', '@opt/layers'], { cwd: pnpmProject });
    // pnpm with minimumReleaseAge 0 (or @opt/* in minimumReleaseAgeExclude) behaves like npm.
    const pnpmNow = freshProject('pnpm-after-patch-no-age');
    sh('pnpm', ['add', '--reporter=silent', '--config.minimum-release-age=0', '@opt/layers'], { cwd: pnpmNow });
    for (const [project, schedules] of [
      [npmProject, '0.1.1'],
      [pnpmProject, '0.1.0'],
      [pnpmNow, '0.1.1'],
    ]) {
      assert.equal(installedVersion(project, '@opt/layers'), '0.1.0', project);
      assert.equal(resolvedFrom(project, '@opt/layers', '@opt/schedules'), schedules, project);
    }
  });

  it('a minor of @opt/schedules leaves ^0.1.0, so its dependents (@opt/optimizers, @opt/layers) get patches on ^0.2.0', async () => {
    writeChangeset('schedules-minor.md', '@opt/schedules', 'minor', 'Rehearsal: a new schedule in @opt/schedules.');
    versionPackages();
    assert.deepEqual(localVersions(), {
      ...Object.fromEntries(PACKAGES.map((n) => [n, '0.1.0'])),
      '@opt/schedules': '0.2.0',
      '@opt/optimizers': '0.1.1',
      '@opt/layers': '0.1.1',
    });
    for (const name of ['@opt/optimizers', '@opt/layers']) {
      assert.match(
        changelog(name),
        /## 0\.1\.1\n\n### Patch Changes\n\n- Updated dependencies[\s\S]*@opt\/schedules@0\.2\.0/,
      );
    }
    release(['@opt/layers@0.1.1', '@opt/optimizers@0.1.1', '@opt/schedules@0.2.0']);
    assert.deepEqual(await versionsOnRegistry(), {
      ...Object.fromEntries(PACKAGES.map((n) => [n, ['0.1.0']])),
      '@opt/schedules': ['0.1.0', '0.1.1', '0.2.0'],
      '@opt/optimizers': ['0.1.0', '0.1.1'],
      '@opt/layers': ['0.1.0', '0.1.1'],
    });
    const optimizers = (await packument('@opt/optimizers')).versions['0.1.1'];
    assert.equal(optimizers.dependencies['@opt/schedules'], '^0.2.0');
    const layers = (await packument('@opt/layers')).versions['0.1.1'];
    assert.equal(layers.dependencies['@opt/schedules'], '^0.2.0');
    assert.equal(layers.dependencies['@opt/optimizers'], '^0.1.1');
    assert.equal(layers.dependencies['@opt/tensor'], '^0.1.0');

    const npmProject = freshProject('npm-after-minor');
    sh('npm', ['install', '--loglevel=error', '--prefer-online', '@opt/layers'], { cwd: npmProject });
    const pnpmProject = freshProject('pnpm-after-minor-no-age');
    sh('pnpm', ['add', '--reporter=silent', '--config.minimum-release-age=0', '@opt/layers'], { cwd: pnpmProject });
    for (const project of [npmProject, pnpmProject]) {
      assert.equal(installedVersion(project, '@opt/layers'), '0.1.1', project);
      assert.equal(resolvedFrom(project, '@opt/layers', '@opt/schedules'), '0.2.0', project);
      assert.equal(resolvedFrom(project, '@opt/layers', '@opt/optimizers'), '0.1.1', project);
    }
    const tags = sh('git', ['tag', '--list', '@opt/*']).stdout.trim().split('\n').sort();
    assert.deepEqual(
      tags,
      [
        ...PACKAGES.map((n) => `${n}@0.1.0`),
        '@opt/layers@0.1.1',
        '@opt/optimizers@0.1.1',
        '@opt/schedules@0.1.1',
        '@opt/schedules@0.2.0',
      ].sort(),
    );
    console.log(`# patch and minor releases checked after ${elapsed()}`);
  });
});
