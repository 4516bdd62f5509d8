/** Numeric flags that are not knobs (--workers, --target, --attempts, ...), checked with one message each. */
import { UsageError } from './errors.js';

export function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer, got "${text}".`, flag, text);
  return n;
}

/** An accuracy in (0, 1], such as `--target`. */
export function fraction(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n > 0 && n <= 1))
    throw new UsageError(`${flag} must be an accuracy in (0, 1], e.g. 0.85, got "${text}".`, flag, text);
  return n;
}

/** A number of seconds >= 0, such as `--backoff`. */
export function nonNegative(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a number of seconds >= 0, got "${text}".`, flag, text);
  return n;
}

/** `--target`, 0.85 when not given. */
export const targetOf = (text: string | undefined): number => (text !== undefined ? fraction('--target', text) : 0.85);
