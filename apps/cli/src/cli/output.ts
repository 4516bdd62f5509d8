/**
 * Where a command's words go. Text mode: results on stdout, warnings and advice on stderr, colour and
 * progress bars only on a terminal. `--json`: exactly one JSON document on stdout at the end, and only
 * warnings, advice and progress notes on stderr.
 */
import { createColors } from 'picocolors';

export class Output {
  readonly json: boolean;
  readonly command: string;
  /** Colours for stdout and stderr, each on only when that stream is a terminal (NO_COLOR respected). */
  readonly out: ReturnType<typeof createColors>;
  readonly err: ReturnType<typeof createColors>;
  readonly interactive: boolean;

  constructor(command: string, json: boolean) {
    this.command = command;
    this.json = json;
    const colorAllowed = process.env.NO_COLOR === undefined || process.env.NO_COLOR === '';
    this.out = createColors(colorAllowed && process.stdout.isTTY === true);
    this.err = createColors(colorAllowed && process.stderr.isTTY === true);
    this.interactive = process.stderr.isTTY === true;
  }

  /** A line of the human-readable report (nothing with --json). */
  line(text = ''): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** A note about what is happening (stderr, so it never mixes into results). */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    process.stderr.write(`${this.err.yellow('warning:')} ${text}\n`);
  }

  advice(text: string): void {
    process.stderr.write(`${this.err.cyan('advice:')} ${text}\n`);
  }

  /** The one JSON document of a --json run. */
  result(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  }
}
