/**
 * `opt data get`: Fashion-MNIST made present and verified, in the order a user expects: the copy the user named
 * (`--data-dir`, `$FASHION_MNIST_DIR`), a local copy (the download cache, Debian's directory), the download, and
 * last, where this runs as root with apt-get and installing is not forbidden, Debian's `dataset-fashion-mnist`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import {
  DEBIAN_DATA_DIR,
  FashionMnistNotFoundError,
  type FileKey,
  type LoadProgress,
  loadFashionMnist,
} from '@opt/data-fashion-mnist';
import { checkDataDir, DEBIAN_PACKAGE, damaged, notFound, verifiedFiles } from './data.js';

export { DEBIAN_PACKAGE };

/** Where the verified copy came from, in the words of the order above. */
export type DataSource = 'data-dir' | 'FASHION_MNIST_DIR' | 'cache' | 'debian' | 'download' | 'debian-installed';

export interface GotData {
  /** The directory holding all four files, or null when they were found in more than one place. */
  readonly directory: string | null;
  readonly source: DataSource;
  /** file key -> its path and the sha256 its uncompressed content was verified against. */
  readonly files: Record<FileKey, { path: string; sha256: string }>;
}

export interface GetDataOptions {
  /** `--data-dir`: only that directory, never another copy, no download, no install. */
  readonly dataDir: string | null;
  /** `--no-download` turns the download off. */
  readonly download: boolean;
  /** `--no-install` turns the last step off; so does `OPT_INSTALL_PREREQUISITES=0`. */
  readonly install: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Debian's directory (a test points it elsewhere). */
  readonly systemDir?: string;
  /** Where the download comes from (default: upstream). */
  readonly baseUrl?: string;
  readonly retryDelayMs?: number;
  readonly onProgress?: (progress: LoadProgress) => void;
  /** The one line that says what is installed and why, before installing. */
  readonly onInstall?: (line: string) => void;
  /** Installs Debian's package and resolves with apt-get's exit status (default: the real apt-get). */
  readonly installPackage?: () => Promise<number>;
}

/** Why Debian's package will not be installed here, or null when it may be. */
export function cannotInstall(
  install: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
  uid: number | undefined = process.getuid?.(),
): string | null {
  if (!install) return '--no-install was given';
  if (env.OPT_INSTALL_PREREQUISITES === '0') return 'OPT_INSTALL_PREREQUISITES=0 is set';
  if (uid !== 0) return 'this is not running as root';
  if (!(env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'apt-get'))))
    return 'apt-get is not on PATH';
  return null;
}

/**
 * `apt-get update` then `apt-get install dataset-fashion-mnist`. apt's own output is kept and written to stderr only
 * when it fails (stdout stays the command's result).
 */
export async function aptGetInstall(env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const apt = (args: string[]) =>
    new Promise<number>((resolve) => {
      const child = spawn('apt-get', args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      const said: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => said.push(d));
      child.stderr.on('data', (d: Buffer) => said.push(d));
      child.on('error', (error) => {
        process.stderr.write(`apt-get ${args.join(' ')}: ${error.message}\n`);
        resolve(127);
      });
      child.on('close', (code) => {
        if (code !== 0) process.stderr.write(Buffer.concat(said));
        resolve(code ?? 1);
      });
    });
  return (await apt(['update', '-qq'])) || apt(['install', '-y', '-qq', DEBIAN_PACKAGE]);
}

export async function getData(options: GetDataOptions): Promise<GotData> {
  const env = options.env ?? process.env;
  const systemDir = options.systemDir ?? DEBIAN_DATA_DIR;
  let downloaded = false;
  const onProgress = (progress: LoadProgress) => {
    if (progress.phase === 'done') downloaded = true;
    options.onProgress?.(progress);
  };
  const load = (download: boolean) =>
    loadFashionMnist({
      ...(options.dataDir !== null ? { dataDir: options.dataDir, systemDir: null } : { systemDir }),
      download: options.dataDir === null && download,
      ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      onProgress,
    });

  if (options.dataDir !== null) checkDataDir(options.dataDir);
  let data: Awaited<ReturnType<typeof load>>;
  let installed = false;
  try {
    data = await load(options.download);
  } catch (error) {
    if (!(error instanceof FashionMnistNotFoundError) || options.dataDir !== null) throw damaged(error);
    const reason = cannotInstall(options.install, env);
    if (reason !== null) throw notFound(error, `not tried (${reason})`, options.download);
    options.onInstall?.(
      `installing Debian's ${DEBIAN_PACKAGE} with apt-get: no local copy of Fashion-MNIST${options.download ? ' and the download failed' : ''} (OPT_INSTALL_PREREQUISITES=0 or --no-install would forbid this)`,
    );
    const status = await (options.installPackage ?? (() => aptGetInstall(env)))();
    if (status !== 0) throw notFound(error, `apt-get install ${DEBIAN_PACKAGE} exited with ${status}`, false);
    try {
      data = await load(false);
    } catch (again) {
      if (!(again instanceof FashionMnistNotFoundError)) throw damaged(again);
      throw notFound(again, `installed, yet the files are not in ${systemDir}`, false);
    }
    installed = true;
  }

  const files = verifiedFiles(data);
  const dirs = new Set(Object.values(files).map((f) => dirname(f.path)));
  const directory = dirs.size === 1 ? ([...dirs][0] as string) : null;
  let source: DataSource = downloaded ? 'download' : 'cache';
  if (options.dataDir !== null) source = 'data-dir';
  else if (installed) source = 'debian-installed';
  else if (directory !== null && directory === env.FASHION_MNIST_DIR) source = 'FASHION_MNIST_DIR';
  else if (directory === systemDir) source = 'debian';
  return { directory, files, source };
}
