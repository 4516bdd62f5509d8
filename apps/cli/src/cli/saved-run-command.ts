/** The shape of a command over a saved run (`opt evaluate`, `opt predict`): its directory and the same options. */
import type { Command } from 'commander';

export interface SavedRunFlags {
  checkpoint?: string;
  backend?: string;
  json?: boolean;
}

/** `name <dir>` with --checkpoint, --backend and --json, and `examples` (command lines) after the help. */
export function savedRunCommand(program: Command, name: string, description: string, examples: string[]): Command {
  return program
    .command(name)
    .description(description)
    .argument('<dir>', 'run directory')
    .option(
      '--checkpoint <which>',
      'last (the final weights) or best (the epoch with the best val_accuracy) (default last)',
    )
    .option('--backend <name>', "backend to run the model on (default: the run's)")
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
}
