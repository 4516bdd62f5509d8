/**
 * The download cache of the Node loader: which directory it is (XDG, home, then the OS temp directory) and
 * whether a directory can hold it, checked only when something has to be downloaded.
 */
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The user cache directory the loader downloads into (without `cacheDir`), when it is usable. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (defaultCacheDirs(env)[0] as { dir: string }).dir;
}

export interface CachePlace {
  /** How the place was chosen, for messages. */
  readonly label: string;
  readonly dir: string;
}

/** The cache directories tried in order without a `cacheDir` option: XDG, then home, then the OS temp directory. */
export function defaultCacheDirs(env: Readonly<Record<string, string | undefined>>): CachePlace[] {
  const xdg = env.XDG_CACHE_HOME;
  const places: CachePlace[] = [];
  if (xdg !== undefined && xdg !== '')
    places.push({ label: '$XDG_CACHE_HOME/opt/fashion-mnist', dir: join(xdg, 'opt', 'fashion-mnist') });
  places.push({ label: '~/.cache/opt/fashion-mnist', dir: join(homedir(), '.cache', 'opt', 'fashion-mnist') });
  places.push({ label: 'the temporary directory', dir: join(tmpdir(), 'opt-fashion-mnist') });
  return places;
}

/** An fs error as `CODE: message`, for the messages that name a directory and why it was refused. */
export function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code !== undefined
    ? `${e.code}: ${e.message.replace(/^\w+: /, '')}`
    : String((error as Error)?.message ?? error);
}

/**
 * Why `dir` cannot hold the cache, or null once it exists and takes a file. The directories are created one
 * level at a time: Node's recursive mkdir spins at 100% CPU forever where directories cannot be created (under
 * /proc), so it is never used here.
 */
async function cacheUnusable(dir: string): Promise<string | null> {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      if (!(await stat(existing)).isDirectory()) return `${existing} is a file, not a directory`;
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot look at ${existing} (${errorText(error)})`;
    }
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot create ${d} (${errorText(error)})`;
    }
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    return `cannot write in ${dir} (${errorText(error)})`;
  }
  return null;
}

/**
 * The first usable cache directory for a download, warning about each one skipped; or an error listing every
 * one and why.
 */
export async function chooseCache(places: readonly CachePlace[], warn: (message: string) => void): Promise<string> {
  const refused: string[] = [];
  for (const [i, place] of places.entries()) {
    const why = await cacheUnusable(place.dir);
    if (why === null) return place.dir;
    refused.push(`${place.label} (${place.dir}): ${why}`);
    const next = places[i + 1];
    if (next !== undefined) {
      warn(
        `Fashion-MNIST: the cache ${place.label} (${place.dir}) is not usable: ${why}; using ${next.label} (${next.dir}) instead.`,
      );
    }
  }
  throw new Error(`no usable cache directory to download into: ${refused.join('; ')}`);
}
