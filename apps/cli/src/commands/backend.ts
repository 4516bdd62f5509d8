import { BACKEND_NAMES, type BackendRequest, BackendUnavailableError, tf, useBackend } from '@opt/tensor';
import { type Command, Option } from 'commander';

/** `opt backend`: which backend this machine runs on, and why faster ones were skipped. */
export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('Load a TensorFlow.js backend and report what was chosen and why.')
    .addOption(
      new Option('-b, --backend <name>', 'backend to load').choices([...BACKEND_NAMES, 'auto']).default('auto'),
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { backend: BackendRequest; json?: boolean }) => {
      tf.enableProdMode();
      try {
        const report = await useBackend(options.backend);
        if (options.json) {
          console.log(JSON.stringify(report));
          return;
        }
        console.log(`backend: ${report.backend} (${report.requested === 'auto' ? 'chosen by auto' : 'requested'})`);
        if (report.threads) console.log(`threads: ${report.threads.count} (${report.threads.reason})`);
        for (const { backend, reason } of report.skipped) console.log(`skipped ${backend}: ${reason}`);
      } catch (error) {
        if (error instanceof BackendUnavailableError) {
          console.error(`opt: ${error.message}`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}
