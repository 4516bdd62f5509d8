/**
 * Every failure of an entry point (`opt`, `pnpm experiments`) as one line on stderr that names the command,
 * a JSON error object on stdout with --json, and the exit code: 2 for usage, 1 for anything else. A stack trace
 * only with --debug or OPT_DEBUG=1.
 */
import { BackendUnavailableError } from '@opt/tensor';
import { CommanderError } from 'commander';
import { WritesClosed } from '../run/run-dir.js';
import { EXIT, errorJson, RunError, UsageError } from './errors.js';

export interface FailOptions {
  /** The command the message starts with: `opt train`, `pnpm experiments`. */
  readonly prefix: string;
  /** Commander's own message (an unknown option, a missing argument) in this program's words. */
  readonly commanderMessage: (error: CommanderError) => string;
  readonly debug: boolean;
  readonly json?: boolean;
}

export function fail(error: unknown, options: FailOptions): void {
  // A forced exit (a second Ctrl-C) is under way: it sets the exit code and says so itself.
  if (error instanceof WritesClosed) return;
  let message: string;
  let code: number;
  let kind: unknown = error;
  if (error instanceof CommanderError) {
    message = options.commanderMessage(error);
    code = EXIT.usage;
    kind = new UsageError(message);
  } else if (error instanceof UsageError || error instanceof RunError) {
    message = error.message;
    code = error instanceof UsageError ? EXIT.usage : EXIT.failure;
  } else if (error instanceof BackendUnavailableError) {
    message = error.message;
    code = EXIT.usage;
    kind = new UsageError(message, '--backend');
  } else {
    message = `${error instanceof Error ? error.message : String(error)}${options.debug ? '' : ' (run again with --debug for the stack trace)'}`;
    code = EXIT.failure;
  }
  const line = `${options.prefix}: ${message.trimEnd()}`;
  process.stderr.write(`${line}\n`);
  if (options.debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  if (options.json === true) process.stdout.write(`${JSON.stringify(errorJson(kind, line))}\n`);
  process.exitCode = code;
}

/** Commander's help and version "errors" are how it ends after printing them: not failures. */
export function isHelpOrVersion(error: unknown): boolean {
  return (
    error instanceof CommanderError &&
    (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
  );
}
