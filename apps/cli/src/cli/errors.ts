/**
 * The two kinds of failure the `opt` command reports, and how each is shown: one line on stderr (or one
 * JSON object on stdout with --json), exit 2 for usage and 1 for everything else, a stack only on request.
 */

/** Something the user typed or wrote in a config file is wrong: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The flag or config field at fault, e.g. `--learning-rate` or `learningRate`. */
    readonly option?: string,
    /** The value that was given, as given. */
    readonly value?: unknown,
  ) {
    super(message);
  }
}

/** A run could not do what was asked for a reason outside the command line (data, memory, a diverged run): exit 1. */
export class RunError extends Error {
  override name = 'RunError';
  constructor(
    message: string,
    /** The file or directory at fault, when there is one. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

/** The JSON error object `--json` prints on stdout. */
export interface ErrorJson {
  error: { kind: 'usage' | 'failure'; message: string; exitCode: number; option?: string; file?: string };
}

export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? EXIT.usage : EXIT.failure;
}

export function errorJson(error: unknown, message: string): ErrorJson {
  const kind = error instanceof UsageError ? 'usage' : 'failure';
  return {
    error: {
      kind,
      message,
      exitCode: exitCodeOf(error),
      ...(error instanceof UsageError && error.option !== undefined ? { option: error.option } : {}),
      ...(error instanceof RunError && error.file !== undefined ? { file: error.file } : {}),
    },
  };
}

/** True when stack traces were asked for: `--debug` on the command line or OPT_DEBUG=1. */
export function debugRequested(argv: readonly string[] = process.argv, env = process.env): boolean {
  return argv.includes('--debug') || (env.OPT_DEBUG !== undefined && env.OPT_DEBUG !== '' && env.OPT_DEBUG !== '0');
}
