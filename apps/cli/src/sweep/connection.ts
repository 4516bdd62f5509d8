/**
 * Connections to the sweep's Redis. At start, one plain connection tries the URL once, so that a Redis that is
 * down, a wrong password or a certificate it cannot verify is one clear error naming the URL (redacted). After
 * that BullMQ's connections retry forever: `maxRetriesPerRequest: null` (which BullMQ requires for workers, and
 * which lets a command wait through a Redis restart instead of failing) and a retry every 0.2 s to 2 s.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RunError } from '../cli/errors.js';
import { type QueueUrl, scrub } from './redis-url.js';

/** What BullMQ's Queue and Worker connect with. */
export function connectionOptions(url: QueueUrl): RedisOptions {
  return {
    ...url.options,
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
}

/** Why a first connection failed, in words (the password never appears: it is scrubbed from whatever ioredis says). */
function reason(error: unknown, url: QueueUrl): string {
  const text = scrub(error instanceof Error ? error.message : String(error), url);
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `nothing listens there (${text}): is redis-server running, and is the port right`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `no such host (${text})`;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text))
    return `Redis refused the credentials (${text}); check the user and password in the URL`;
  if (/certificate|self[- ]signed|SSL|TLS|EPROTO/i.test(text))
    return `the TLS handshake failed (${text}); for a private CA, point NODE_EXTRA_CA_CERTS at its certificate`;
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return `the server closed the connection (${text}): is it TLS only (then the URL is rediss://), or not TLS at all?`;
  if (/timeout|ETIMEDOUT/i.test(text))
    return `no answer within 10 s (${text}): is the host reachable, and is it TLS (rediss://) or not`;
  return text;
}

/** Connects once (no retries) and pings; a clear RunError naming the redacted URL when that fails. */
export async function checkReachable(url: QueueUrl): Promise<void> {
  const client = new Redis({
    ...url.options,
    lazyConnect: true,
    connectTimeout: 10_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let last: unknown = null;
  client.on('error', (error) => {
    last = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new RunError(`cannot reach Redis at ${url.redacted}: ${reason(last ?? error, url)}.`);
  } finally {
    client.disconnect();
  }
}

/** Something that reports connection errors (a BullMQ Queue or Worker). */
interface Reporter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * One line when the connection is lost (not one per retry) and one when it is back, so that a Redis restart
 * reads as two lines in the log. The listener also keeps an 'error' event from ending the process.
 */
export function watchConnection(
  reporter: Reporter,
  client: Promise<{ on(event: 'ready', listener: () => void): unknown }>,
  url: QueueUrl,
  say: (line: string) => void,
): void {
  let down = false;
  reporter.on('error', (error) => {
    if (down) return;
    down = true;
    say(`lost the connection to Redis at ${url.redacted} (${scrub(error.message, url)}); reconnecting`);
  });
  void client.then(
    (c) =>
      c.on('ready', () => {
        if (!down) return;
        down = false;
        say(`reconnected to Redis at ${url.redacted}`);
      }),
    () => {},
  );
}
