import { describe, expect, it } from 'vitest';
import { assertShape, formatShape, shapeMatches } from './shapes.js';

describe('shape assertions', () => {
  it('matches with null as any size', () => {
    expect(shapeMatches([32, 784], [null, 784])).toBe(true);
    expect(shapeMatches([32, 28, 28], [null, 784])).toBe(false);
    expect(formatShape([null, 10])).toBe('[null, 10]');
  });

  it('names the tensor, the expected and the actual shape', () => {
    expect(() => assertShape({ shape: [32, 28, 28] }, [null, 784], 'x')).toThrow(
      'x must have shape [null, 784], but has shape [32, 28, 28]',
    );
    expect(() => assertShape({ shape: [4, 784] }, [null, 784], 'x')).not.toThrow();
  });
});
