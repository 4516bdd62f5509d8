/**
 * The end-to-end tests' real parts: the built site served by `vite preview`
 * (a child process on a free port, killed by its PID) and Debian's Chromium
 * driven by playwright-core, with WebGL and WebGPU through SwiftShader.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { BASE_ARGS, chromiumPath, GPU_ARGS } from '../../../scripts/chromium.mjs';

export const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = join(APP_DIR, 'test-results');
/** `[.WebGL-0x...]GL Driver Message (OpenGL, Performance, ...)`: a note of the GPU driver, not of the page. */
const DRIVER_PERFORMANCE_NOTE = /^\[\.WebGL-[^\]]*\]GL Driver Message \([^,]*, Performance,/;

/**
 * The flags the packages' browser tests use (scripts/chromium.mjs): no network chatter, WebGL2 and WebGPU on
 * SwiftShader. WebGPU also needs a secure context: the servers listen on 127.0.0.1.
 */
export const CHROMIUM_ARGS = [...BASE_ARGS, ...GPU_ARGS];

/** A port nobody uses right now (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Preview {
  readonly url: string;
  stop(): Promise<void>;
}

/** `vite preview` of dist/, started as `node .../vite.js` so that killing the child frees the port. */
export async function startPreview(env: Record<string, string> = {}): Promise<Preview> {
  if (!existsSync(join(APP_DIR, 'dist', 'index.html'))) {
    throw new Error('apps/demo/dist is missing: run `pnpm --filter @opt/demo build` first.');
  }
  const port = await freePort();
  const vite = join(APP_DIR, 'node_modules', 'vite', 'bin', 'vite.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [vite, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    {
      cwd: APP_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const url = `http://127.0.0.1:${port}/`;
  // No time limit of its own: vite answers later on a loaded machine; one that exits fails at once.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(url);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Browser {
  readonly context: BrowserContext;
  /** Console errors and warnings, and uncaught page errors, of every page of the context. */
  readonly problems: string[];
  /** Bytes of each script, style sheet and wasm file the site's pages and workers downloaded, by URL. */
  readonly assets: Map<string, Buffer>;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A fresh profile (its own IndexedDB) in Debian's Chromium. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath('The end-to-end tests');
  const profile = mkdtempSync(join(tmpdir(), 'opt-demo-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  // No 30 s limit on clicks, navigations and waits: a loaded machine is slower; vitest's test timeout catches a hang.
  context.setDefaultTimeout(0);
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message: ConsoleMessage) => {
      // Chromium relays the GL driver's own performance notes ("GPU stall due to ReadPixels") as page warnings,
      // depending on timing; they say nothing of the page's code. Every other driver message still counts.
      if (DRIVER_PERFORMANCE_NOTE.test(message.text())) return;
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`${message.type()}: ${message.text()} (${page.url()})`);
      }
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message} (${page.url()})`));
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  const assets = new Map<string, Buffer>();
  context.on('response', (response) => {
    const url = response.url();
    if (!/\/(assets|tfjs-wasm)\//.test(url) || response.status() !== 200) return;
    response.body().then(
      (body) => assets.set(url, body),
      () => {},
    );
  });
  const leveller = setInterval(() => yieldToPage(profile), 500);
  return {
    context,
    problems,
    assets,
    newPage: async () => context.pages()[0] ?? (await context.newPage()),
    close: async () => {
      clearInterval(leveller);
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * On the machines the demo is for, a GPU does the training's arithmetic and the worker has a core of its
 * own. Here SwiftShader does that arithmetic on the same two CPU cores, in Chromium's GPU process, which
 * Chromium even runs at nice -8, above the page. To measure the page's responsiveness rather than this
 * machine's core count, this lowers the GPU process and the page's dedicated worker threads to nice 10
 * (only ever lowering a priority). It cannot help a page that trains on its main thread: that thread is
 * left alone.
 */
function yieldToPage(profile: string): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return; // not Linux: nothing to adjust
  }
  const info = new Map<string, { ppid: string; args: string }>();
  for (const pid of pids) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (!args.includes('chromium')) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '';
      info.set(pid, { ppid, args });
    } catch {
      // the process ended meanwhile
    }
  }
  const ours = new Set([...info].filter(([, p]) => p.args.includes(`--user-data-dir=${profile}`)).map(([pid]) => pid));
  for (const [pid, p] of info) {
    if (!(ours.has(pid) || ours.has(p.ppid))) continue;
    const gpu = p.args.includes('--type=gpu-process');
    if (!gpu && !p.args.includes('--type=renderer')) continue;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const worker = !gpu && readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker');
        if ((gpu || worker) && getPriority(Number(tid)) < 10) setPriority(Number(tid), 10);
      } catch {
        // a thread that ended meanwhile
      }
    }
  }
}
