// Bundles tfjs-core's gradient definitions into dist/, so that autodiff works
// where tfjs-core's Node entry leaves them out (its ESM sources cannot be
// loaded by Node directly). The bundle registers into tfjs-core's global
// gradient registry, which every copy of tfjs-core shares.
import { build } from 'esbuild';

await build({
  entryPoints: ['@tensorflow/tfjs-core/dist/register_all_gradients.js'],
  outfile: 'dist/tfjs-core-gradients.js',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  external: ['seedrandom', 'long'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
