import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/errors.js';
import { parseQueueUrl, redactArgs, scrub } from './redis-url.js';

describe('--queue URLs', () => {
  it('reads host, port, database, credentials and TLS, and shows the password only as ***', () => {
    const plain = parseQueueUrl('redis://127.0.0.1:6390/3');
    expect(plain).toMatchObject({ redacted: 'redis://127.0.0.1:6390/3', tls: false, password: null });
    expect(plain.options).toEqual({ host: '127.0.0.1', port: 6390, db: 3 });
    expect(parseQueueUrl('redis://redis.lab').options).toEqual({ host: 'redis.lab', port: 6379, db: 0 });

    // A password with characters that must be percent-encoded in a URL.
    const secret = 'p@ss:w/rd#1';
    const url = parseQueueUrl(`rediss://alice:${encodeURIComponent(secret)}@redis.lab:6380/0`);
    expect(url.options).toEqual({
      host: 'redis.lab',
      port: 6380,
      db: 0,
      username: 'alice',
      password: secret,
      tls: { servername: 'redis.lab' },
    });
    expect(url.redacted).toBe('rediss://alice:***@redis.lab:6380/0');
    expect(parseQueueUrl('redis://:pw@[::1]:7000/1').redacted).toBe('redis://:***@[::1]:7000/1');
    expect(parseQueueUrl('redis://:pw@[::1]:7000/1').options.host).toBe('::1');
  });

  it('scrubs the password, as typed or percent-encoded, from any text', () => {
    const secret = 'p@ss:w/rd#1';
    const text = `rediss://alice:${encodeURIComponent(secret)}@h:1/0`;
    const url = parseQueueUrl(text);
    expect(scrub(`failed: ${secret} and ${encodeURIComponent(secret)} and ${text}`, url)).toBe(
      'failed: *** and *** and rediss://alice:***@h:1/0',
    );
    expect(redactArgs(['worker', '--queue', 'redis://:hunter2@h:6379/0', '--queue=redis://u:hunter2@h/1'])).toEqual([
      'worker',
      '--queue',
      'redis://:***@h:6379/0',
      '--queue=redis://u:***@h/1',
    ]);
  });

  it('refuses what is not a Redis URL, naming the option and never the password', () => {
    const cases: Array<[string, RegExp]> = [
      ['localhost:6379', /the scheme must be redis: or rediss:, not localhost:/],
      ['http://h:80/0', /the scheme must be redis: or rediss:, not http:/],
      ['redis://:hunter2@h:6379/x', /the path must be a database number such as \/0, not \/x/],
      ['redis://:hunter2@h:6379/0?tls=1', /query parameters and fragments are not read/],
      ['redis://:hunter2@h:99999/0', /not a URL/],
      ['not a url', /not a URL/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        parseQueueUrl(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      const m = (error as UsageError).message;
      expect([text, m]).toEqual([text, expect.stringMatching(message)]);
      expect(m).toMatch(/^--queue /);
      expect(m).not.toContain('hunter2');
    }
  });
});
