#!/usr/bin/env node
/**
 * The `opt` command. Each subcommand lives in its own module under commands/; this file turns every failure
 * into one message on stderr (and a JSON error object on stdout with --json) and an exit code: 2 for usage,
 * 1 for anything else. Stack traces only with --debug or OPT_DEBUG=1.
 */
import { Command, type CommanderError } from 'commander';
import { debugRequested, EXIT } from './cli/errors.js';
import { fail, isHelpOrVersion } from './cli/fail.js';
import { suggestKnob } from './config/resolve.js';
import { versionLine } from './run/versions.js';

// `opt train --help | head`: a closed pipe ends the output, not the process with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const argv = process.argv.slice(2);
const debug = debugRequested(argv);
const json = argv.includes('--json');

const program = new Command()
  .name('opt')
  .description('Train, compare and inspect neural-network optimizers on Fashion-MNIST.')
  .version(versionLine(), '-V, --version', 'print the versions of opt, its packages and TensorFlow.js')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .addHelpText(
    'after',
    `
Every command takes --help. Failures print one line on stderr and exit 2 (usage) or 1 (anything else);
--debug (or OPT_DEBUG=1) adds the stack trace, --json prints a JSON error object on stdout.

Examples:
  $ opt data get                                Fashion-MNIST found, downloaded or installed, and verified
  $ opt train                                   the chapter's MLP with Adam into runs/<time>-defaults
  $ opt compare --optimizers sgd,momentum,rmsprop,adam --epochs 10
  $ opt lr-find --optimizer sgd
  $ opt runs list
  $ opt evaluate runs/<run>
  $ opt sweep lr-grid.yaml --queue redis://HOST:6379/0   and on every machine: opt worker --queue redis://HOST:6379/0`,
  );

/**
 * Each command's module, in the order `opt --help` lists them. Only the command named on the command line is loaded
 * (all of them for `opt`, `opt --help` or a name opt does not know): `opt train` skips the other commands' modules,
 * about a quarter of its start-up.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<(program: Command) => void>]> = [
  ['data', async () => (await import('./commands/data.js')).registerDataCommand],
  ['train', async () => (await import('./commands/train.js')).registerTrainCommand],
  ['compare', async () => (await import('./commands/compare.js')).registerCompareCommand],
  ['lr-find', async () => (await import('./commands/lr-find.js')).registerLrFindCommand],
  ['evaluate', async () => (await import('./commands/evaluate.js')).registerEvaluateCommand],
  ['predict', async () => (await import('./commands/predict.js')).registerPredictCommand],
  ['runs', async () => (await import('./commands/runs.js')).registerRunsCommand],
  ['sweep', async () => (await import('./commands/sweep.js')).registerSweepCommand],
  ['worker', async () => (await import('./commands/worker.js')).registerWorkerCommand],
  ['backend', async () => (await import('./commands/backend.js')).registerBackendCommand],
];
const named = COMMANDS.find(([name]) => name === argv.find((a) => !a.startsWith('-')));
for (const register of await Promise.all((named !== undefined ? [named] : COMMANDS).map(([, load]) => load())))
  register(program);

/** The subcommand named on the command line, for the message prefix (`opt train: ...`). */
function commandName(): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const found = argv.find((a) => names.has(a));
  const subcommands = program.commands.find((c) => c.name() === found)?.commands.map((c) => c.name()) ?? [];
  if (found !== undefined && subcommands.length > 0) {
    const sub = argv[argv.indexOf(found) + 1];
    return sub !== undefined && subcommands.includes(sub) ? `opt ${found} ${sub}` : `opt ${found}`;
  }
  return found !== undefined ? `opt ${found}` : 'opt';
}

/** Commander's own messages, made one line that names the option and where to look. */
function commanderMessage(error: CommanderError): string {
  const text = error.message
    .replace(/^error: /, '')
    .replace(/\n+/g, ' ')
    .trim();
  const help = `\`${commandName()} --help\` lists the options`;
  if (error.code === 'commander.unknownOption') {
    const option = /'([^']+)'/.exec(text)?.[1] ?? '';
    const near = /Did you mean/.test(text) ? '' : suggestKnob(option);
    return `${text.replace(/\(Did you mean (.*)\?\)/, '(did you mean $1?)')}${near !== '' && near !== undefined ? ` (did you mean --${near.flag}?)` : ''}; ${help}.`;
  }
  if (error.code === 'commander.unknownCommand') return `${text}; \`opt --help\` lists the commands.`;
  return `${text}; ${help}.`;
}

try {
  await program.parseAsync(process.argv.filter((a, i) => i < 2 || a !== '--debug'));
} catch (error) {
  if (isHelpOrVersion(error)) process.exitCode = EXIT.ok;
  else fail(error, { prefix: commandName(), commanderMessage, debug, json });
}
