// Debian's Chromium for every headless run of the workspace (the packages' browser tests through
// scripts/vitest-browser.ts, the Vite test, the demo's end-to-end tests, the layers' browser benchmark): where it is,
// and the launch flags they share, so that a flag changes in one place.
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Flags every run gets: a clean, quiet, offline profile. */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** WebGL2 through ANGLE + SwiftShader (software), for the tfjs webgl backend in a machine without a GPU. */
export const WEBGL_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

/**
 * WebGPU on SwiftShader's Vulkan (software), for the tfjs webgpu backend in a machine without a GPU. WebGPU also
 * needs a secure context: serve the page from http://127.0.0.1.
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

/** Both GPU APIs, for runs that compare webgl and webgpu against cpu. */
export const GPU_ARGS = [...WEBGL_ARGS, ...WEBGPU_ARGS];

/**
 * The Chromium executable to use: `CHROMIUM_PATH` when set and not empty, else Debian's; whether it exists is the
 * caller's question ({@link chromiumPath} asks it).
 * @param {Readonly<Record<string, string | undefined>>} [env]
 * @returns {string}
 */
export function chromiumExecutable(env = process.env) {
  return env.CHROMIUM_PATH || DEBIAN_CHROMIUM;
}

/**
 * {@link chromiumExecutable}, or an error that says who needs it and how to get it (before anything is launched).
 * @param {string} who what needs the browser, the start of the message, e.g. 'The end-to-end tests'
 * @param {Readonly<Record<string, string | undefined>>} [env]
 * @returns {string}
 */
export function chromiumPath(who, env = process.env) {
  const path = chromiumExecutable(env);
  if (!existsSync(path)) {
    throw new Error(
      `${who}: Chromium is needed at ${path}; install it with \`apt-get install chromium\`, or set CHROMIUM_PATH.`,
    );
  }
  return path;
}
