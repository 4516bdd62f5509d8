/** Versions of what a run was made with: the CLI, the opt packages and TensorFlow.js (read without loading them). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const PACKAGES = ['@opt/tensor', '@opt/optimizers', '@opt/schedules', '@opt/layers', '@opt/data-fashion-mnist'];

function versionOf(name: string, from: NodeJS.Require = require): string {
  try {
    return (from(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** `{ '@opt/cli': '0.0.0', '@opt/layers': '0.0.0', ..., '@tensorflow/tfjs-core': '4.22.0' }`. */
export function versions(): Record<string, string> {
  const own = require('../../package.json') as { name: string; version: string };
  // tfjs-core is @opt/tensor's dependency, not ours: resolve it from there.
  let tensorRequire: NodeJS.Require = require;
  try {
    tensorRequire = createRequire(require.resolve('@opt/tensor/package.json'));
  } catch {
    // keep ours
  }
  return {
    [own.name]: own.version,
    ...Object.fromEntries(PACKAGES.map((p) => [p, versionOf(p)])),
    '@tensorflow/tfjs-core': versionOf('@tensorflow/tfjs-core', tensorRequire),
  };
}

/** `opt --version`: one line. */
export function versionLine(): string {
  const v = versions();
  const own = v['@opt/cli'] ?? 'unknown';
  const rest = Object.entries(v)
    .filter(([name]) => name !== '@opt/cli')
    .map(([name, version]) => `${name} ${version}`);
  return `opt ${own} (${rest.join(', ')}, Node.js ${process.version})`;
}
