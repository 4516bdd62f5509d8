/**
 * Settings of the page: build-time values (Vite's `VITE_*` variables) that a
 * query parameter can override, resolved to absolute URLs.
 */
import type { BackendRequest } from '@opt/tensor';

const query = new URLSearchParams(location.search);

/**
 * Where the four Fashion-MNIST files are: `?data=<url>`, else the build-time
 * `VITE_FASHION_MNIST_URL`, else `fashion-mnist/` beside the page (what the dev
 * and preview servers serve).
 */
export const dataUrl: string = new URL(
  withSlash(query.get('data') ?? import.meta.env.VITE_FASHION_MNIST_URL ?? 'fashion-mnist/'),
  document.baseURI,
).href;

/** Where the chapter is published (`?chapter=` or `VITE_CHAPTER_URL`); empty: sections are named, not linked. */
export const chapterUrl: string = query.get('chapter') ?? import.meta.env.VITE_CHAPTER_URL ?? '';

/** The wasm backend's binaries, copied to `tfjs-wasm/` by the build (see vite/tfjs-wasm.ts). */
export const wasmPaths: string = new URL('tfjs-wasm/', document.baseURI).href;

/** What the page offers, in auto's order. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
const BACKENDS: readonly string[] = BACKEND_CHOICES;

/**
 * `?backend=webgpu` (or webgl, wasm, cpu) asks for one backend; default `auto` (webgpu, then webgl, then wasm,
 * then cpu, with a software GPU moved behind wasm).
 */
export function requestedBackend(): { request: BackendRequest; error: string | null } {
  const asked = query.get('backend');
  if (asked === null) return { request: 'auto', error: null };
  if (BACKENDS.includes(asked)) return { request: asked as BackendRequest, error: null };
  return {
    request: 'auto',
    error: `?backend=${asked} is not a backend this page can use; choose one of ${BACKENDS.join(', ')}. Using auto.`,
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
