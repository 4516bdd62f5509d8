// Removes the package's dist/ before tsc writes it again: tsc never deletes the output of a source file that is gone,
// and a stale file would be packed and published.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
