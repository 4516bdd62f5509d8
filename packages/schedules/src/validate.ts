/** Argument checks shared by the schedules and callbacks: each error names the argument, its value and the allowed range. */

/** Renders a received value for an error message (strings quoted, arrays bracketed). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function fail(where: string, name: string, value: unknown, allowed: string, fix?: string): never {
  const message = `${where}: \`${name}\` must be ${allowed}, got ${show(value)}.${fix ? ` ${fix}` : ''}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/** A finite number >= 0 (learning rates, endLearningRate, minLr, minDelta). */
export function nonNegative(where: string, name: string, value: unknown, fix?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(where, name, value, 'a finite number >= 0', fix);
  }
  return value;
}

/** A finite number > 0 (decaySteps, tMul). */
export function positive(where: string, name: string, value: unknown, fix?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(where, name, value, 'a finite number > 0', fix);
  }
  return value;
}

/** An integer >= 0 (patience, cooldown, warmup steps, boundaries of a sequence). */
export function nonNegativeInteger(where: string, name: string, value: unknown, fix?: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(where, name, value, 'an integer >= 0', fix);
  }
  return value;
}

/** A finite number in [lo, hi]. */
export function inClosedRange(where: string, name: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi) {
    fail(where, name, value, `a number in [${lo}, ${hi}]`);
  }
  return value;
}

export function boolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(where, name, value, 'true or false');
  return value;
}

export function string(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string') fail(where, name, value, 'a string');
  return value;
}

/** A list of finite numbers, each strictly greater than the one before. */
export function increasing(where: string, name: string, value: unknown, integers: boolean): number[] {
  if (!Array.isArray(value)) fail(where, name, value, `an array of ${integers ? 'integers >= 0' : 'finite numbers'}`);
  value.forEach((b, i) => {
    if (integers) nonNegativeInteger(where, `${name}[${i}]`, b);
    else if (typeof b !== 'number' || !Number.isFinite(b)) fail(where, `${name}[${i}]`, b, 'a finite number');
  });
  for (let i = 1; i < value.length; i++) {
    if ((value[i] as number) <= (value[i - 1] as number)) {
      throw new RangeError(
        `${where}: \`${name}\` must be strictly increasing, got ${show(value)} (${name}[${i}] = ${value[i]} is not greater than ${name}[${i - 1}] = ${value[i - 1]}). Sort them and remove duplicates.`,
      );
    }
  }
  return [...(value as number[])];
}

/** The step a schedule is called with: the optimizer's iteration count, an integer >= 0. */
export function checkStep(where: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    fail(where, 'step', step, 'an integer >= 0', 'A schedule is called with the optimizer step: 0, 1, 2, ...');
  }
  return step;
}

/** Rejects option names the function does not know (a typo would otherwise be silently ignored). */
export function knownKeys(where: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${where}: unknown option \`${key}\`. Known options: ${allowed.join(', ')}.`);
    }
  }
}

export function optionsObject(where: string, options: unknown): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: expected an options object, got ${show(options)}.`);
  }
  return options as Record<string, unknown>;
}
