#!/usr/bin/env node
/**
 * The `opt` command. Each subcommand lives in its own module under commands/.
 */
import { Command } from 'commander';
import { registerBackendCommand } from './commands/backend.js';
import { registerTrainCommand } from './commands/train.js';

const program = new Command()
  .name('opt')
  .description('Train, compare and inspect neural-network optimizers on Fashion-MNIST.')
  .showHelpAfterError();

registerTrainCommand(program);
registerBackendCommand(program);

await program.parseAsync(process.argv);
