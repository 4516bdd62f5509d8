/** Ranges and options that several presets of the catalog share. */

export const unitOpen = { min: 0, max: 1, maxExclusive: true } as const;
export const unitClosed = { min: 0, max: 1 } as const;
export const positive = { min: 0, minExclusive: true } as const;
export const nonNegative = { min: 0 } as const;

export const beta1 = {
  key: 'beta1',
  kind: 'number',
  default: 0.9,
  range: unitOpen,
  help: 'decay of the moving average of the gradient (first moment)',
} as const;
export const beta2 = {
  key: 'beta2',
  kind: 'number',
  default: 0.999,
  range: unitOpen,
  help: 'decay of the moving average of the squared gradient (second moment)',
} as const;
export const epsilon = {
  key: 'epsilon',
  kind: 'number',
  default: 1e-7,
  range: positive,
  help: 'added to the denominator for stability',
} as const;
export const amsgrad = {
  key: 'amsgrad',
  kind: 'boolean',
  default: false,
  help: 'AMSGrad: divide by the running maximum of the second moment',
} as const;
