/** Argument checks shared by the transformations and presets: each error names the argument, its value and the range. */

function show(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : (JSON.stringify(value) ?? String(value));
}

function fail(owner: string, name: string, value: unknown, range: string, example: string): never {
  throw new RangeError(`${owner}: \`${name}\` must be ${range}, got ${show(value)}. Pass e.g. ${example}.`);
}

/** A finite number > 0 (learning rates, clip thresholds, epsilon). */
export function positive(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(owner, name, value, 'a finite number > 0', example);
  }
  return value;
}

/** A finite number >= 0 (weight decay, initial accumulator value). */
export function nonNegative(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(owner, name, value, 'a finite number >= 0', example);
  }
  return value;
}

/** In [0, 1) (Adam's betas). */
export function unitOpen(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) fail(owner, name, value, 'in [0, 1)', example);
  return value;
}

/** In [0, 1] (rho, momentum, EMA momentum). */
export function unitClosed(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(owner, name, value, 'in [0, 1]', example);
  return value;
}

/** A whole number >= 1. */
export function positiveInteger(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(owner, name, value, 'a whole number >= 1', example);
  }
  return value;
}

export function boolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(owner, name, value, 'true or false', 'false');
  return value;
}
