/**
 * `--queue redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) to ioredis options, and the URL
 * as it may be shown: with the password replaced by `***`. Only the redacted form is ever printed, stored in a
 * directory or put in --json output; {@link scrub} removes the password from any other text (an error message).
 */
import type { RedisOptions } from 'ioredis';
import { UsageError } from '../cli/errors.js';

export interface QueueUrl {
  /** `redis://:***@host:6379/0`: the URL that may be shown. */
  readonly redacted: string;
  /** host, port, db, credentials and TLS for ioredis. */
  readonly options: Readonly<Pick<RedisOptions, 'host' | 'port' | 'db' | 'username' | 'password' | 'tls'>>;
  readonly tls: boolean;
  /** The password, to scrub from text; null without one. */
  readonly password: string | null;
}

const EXAMPLE = 'redis://HOST:6379/0, redis://:PASSWORD@HOST:6379/0 or rediss://HOST:6380/0 for TLS';

/** A URL's password replaced by `***`, without parsing it (for messages about a URL that does not parse). */
export function redactText(text: string): string {
  return text.replace(/(\/\/[^/@:]*):[^@/]*@/g, '$1:***@');
}

export function parseQueueUrl(text: string, option = '--queue'): QueueUrl {
  const bad = (why: string): never => {
    throw new UsageError(
      `${option} ${redactText(text)}: ${why}; give a URL such as ${EXAMPLE}.`,
      option,
      redactText(text),
    );
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    bad(`the scheme must be redis: or rediss:, not ${url.protocol}`);
  if (url.hostname === '') bad('no host');
  if (url.search !== '' || url.hash !== '') bad('query parameters and fragments are not read');
  // WHATWG URL drops no port for redis: (not a special scheme), so an empty one means Redis's default.
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isSafeInteger(db))
    bad(`the path must be a database number such as /0, not ${url.pathname}`);
  const username = decodeURIComponent(url.username);
  const password = url.password === '' ? null : decodeURIComponent(url.password);
  const tls = url.protocol === 'rediss:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const auth = username !== '' || password !== null ? `${url.username}${password !== null ? ':***' : ''}@` : '';
  return {
    redacted: `${url.protocol}//${auth}${url.hostname}:${port}/${db}`,
    options: {
      host,
      port,
      db,
      ...(username !== '' ? { username } : {}),
      ...(password !== null ? { password } : {}),
      // Verified against the system's CAs plus NODE_EXTRA_CA_CERTS; the name checked is the URL's host.
      ...(tls ? { tls: { servername: host } } : {}),
    },
    tls,
    password,
  };
}

/** `text` with the URL's password (as typed and percent-decoded) replaced by `***`. */
export function scrub(text: string, url: QueueUrl | null): string {
  let out = redactText(text);
  if (url?.password != null && url.password !== '') {
    for (const secret of new Set([url.password, encodeURIComponent(url.password)])) out = out.split(secret).join('***');
  }
  return out;
}

/** A command line with any Redis URL in it redacted (for run directories and process titles). */
export function redactArgs(args: readonly string[]): string[] {
  return args.map(redactText);
}

/**
 * Rewrites what `ps` shows of this process with any Redis URL redacted, and keeps OPT_QUEUE from the child
 * processes. (A password typed on the command line is visible to `ps` until this runs: OPT_QUEUE is safer.)
 */
export function hideCredentials(): void {
  process.title = ['opt', ...redactArgs(process.argv.slice(2))].join(' ');
  delete process.env.OPT_QUEUE;
}
