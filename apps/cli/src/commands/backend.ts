import { type BackendRequest, tf, useBackend } from '@opt/tensor';
import type { Command } from 'commander';
import { UsageError } from '../cli/errors.js';
import { Output } from '../cli/output.js';
import { BACKEND_CHOICES } from '../config/knobs.js';

/** `opt backend`: which backend this machine runs on, and why faster ones were skipped. */
export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('Load a TensorFlow.js backend and report what was chosen and why.')
    .option('-b, --backend <name>', `backend to load (${BACKEND_CHOICES.join(', ')}) (default auto)`)
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ opt backend\n  $ opt backend --backend wasm --json')
    .action(async (options: { backend?: string; json?: boolean }) => {
      const request = options.backend ?? 'auto';
      if (!(BACKEND_CHOICES as readonly string[]).includes(request)) {
        throw new UsageError(
          `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${request}".`,
          '--backend',
          request,
        );
      }
      const out = new Output('backend', options.json === true);
      tf.enableProdMode();
      const report = await useBackend(request as BackendRequest);
      out.result(report);
      out.line(`backend: ${report.backend} (${report.requested === 'auto' ? 'chosen by auto' : 'requested'})`);
      if (report.threads) out.line(`threads: ${report.threads.count} (${report.threads.reason})`);
      for (const { backend, reason } of report.skipped) out.line(`skipped ${backend}: ${reason}`);
    });
}
