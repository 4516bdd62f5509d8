/** `--queue [url]`, shared by `opt sweep` and `opt worker`: the URL given, or $OPT_QUEUE, checked and hidden. */
import { UsageError } from '../cli/errors.js';
import { hideCredentials, parseQueueUrl, type QueueUrl, redactArgs } from './redis-url.js';

export const QUEUE_HELP =
  'the Redis of the queue: redis://[user:password@]host[:port][/db], rediss:// for TLS; without a value, $OPT_QUEUE (which keeps a password off the command line)';

/** `--queue URL`, `--queue` alone ($OPT_QUEUE), or not given (null). */
export function queueUrlOf(value: string | boolean | undefined, required: boolean): QueueUrl | null {
  if (value === undefined && !required) return null;
  const text = typeof value === 'string' ? value : process.env.OPT_QUEUE;
  if (text === undefined || text === '') {
    throw new UsageError(
      value === undefined
        ? '--queue URL is needed (or set OPT_QUEUE to the URL and give --queue alone), e.g. --queue redis://HOST:6379/0.'
        : '--queue without a URL reads OPT_QUEUE, which is not set: set it, or give --queue redis://HOST:6379/0.',
      '--queue',
    );
  }
  const url = parseQueueUrl(text);
  hideCredentials();
  return url;
}

/** The command line as stored and printed: any Redis URL redacted. */
export const commandLine = (): string[] => ['opt', ...redactArgs(process.argv.slice(2))];
