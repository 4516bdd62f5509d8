/** Argument checks of this package: each error names the argument, shows the value passed and what would fit. */

/** A value as the caller wrote it: numbers as numbers (NaN, Infinity), strings quoted, objects as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** An integer >= 1 (batch sizes, epochs, units). */
export function positiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${where}: \`${name}\` must be an integer >= 1, got ${show(value)}.`);
  }
  return value;
}

/** An integer >= 0 (initialEpoch, patience). */
export function nonNegativeInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${where}: \`${name}\` must be an integer >= 0, got ${show(value)}.`);
  }
  return value;
}

/** A number in [lo, hi] or [lo, hi). */
export function inRange(where: string, name: string, value: unknown, lo: number, hi: number, hiOpen: boolean): number {
  if (typeof value !== 'number' || !(value >= lo) || !(hiOpen ? value < hi : value <= hi)) {
    throw new RangeError(
      `${where}: \`${name}\` must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${show(value)}.`,
    );
  }
  return value;
}

export function boolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new TypeError(`${where}: \`${name}\` must be true or false, got ${show(value)}.`);
  return value;
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The option a mistaken key most likely meant: a known alias (Keras or PyTorch names), the camelCase of a
 * snake_case key (`batch_size` -> `batchSize`), the same letters in another case, or a near spelling (`unit`).
 */
function suggest(key: string, allowed: readonly string[], aliases: Readonly<Record<string, string>>): string | null {
  if (Object.hasOwn(aliases, key)) return aliases[key] as string;
  const camel = key.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
  const folded = camel.toLowerCase();
  const sameLetters = allowed.find((a) => a.toLowerCase() === folded);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(key.length / 4));
  for (const a of allowed) {
    const d = editDistance(folded, a.toLowerCase());
    if (d <= bestDistance) {
      best = a;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Rejects option keys the function does not know (a typo would otherwise be ignored silently; Keras 3 refuses
 * them too), naming the key and, where there is one, the name meant. `aliases` maps other libraries' names to
 * ours (`p` -> `rate`), or to a hint in words (containing a space).
 */
export function knownOptions(
  where: string,
  options: unknown,
  allowed: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: expected an options object, got ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const meant = suggest(key, allowed, aliases);
    // An alias with a space is a hint in words rather than an option name.
    const fix = meant === null ? '.' : meant.includes(' ') ? `: ${meant}.` : `; did you mean \`${meant}\`?`;
    throw new TypeError(`${where}: unknown option \`${key}\`${fix} Known options: ${allowed.join(', ')}.`);
  }
}
