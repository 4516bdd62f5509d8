/**
 * Builds the site before the end-to-end tests when dist/ is missing or older than its sources (turbo's
 * `test` task builds first anyway; this covers `pnpm --filter @opt/demo test` on its own).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { APP_DIR } from './harness.js';

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export default function setup(): void {
  const built = join(APP_DIR, 'dist', 'index.html');
  const packages = join(APP_DIR, '..', '..', 'packages');
  const inputs = [
    join(APP_DIR, 'src'),
    join(APP_DIR, 'vite'),
    join(APP_DIR, 'index.html'),
    join(APP_DIR, 'vite.config.ts'),
    ...readdirSync(packages).map((p) => join(packages, p, 'dist')),
  ];
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...inputs.map(newest))) return;
  execFileSync(
    process.execPath,
    [join(APP_DIR, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: APP_DIR,
      stdio: 'inherit',
    },
  );
}
