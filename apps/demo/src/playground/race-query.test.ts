/** The playground's surface and racers in the address: written readably, read back, and bad values named. */
import { describe, expect, it } from 'vitest';
import { formatRacer, parseRacer, raceQuery, readRaceQuery } from './race-query.js';
import { defaultRacers, type RacerSpec } from './racers.js';
import { ravine, surfaces } from './racers.test.helpers.js';

describe('the race in the address', () => {
  it('a racer round-trips through its `racer` value, with only the knobs that differ from the defaults', () => {
    const racer = { optimizer: 'rprop', options: { etaplus: 1.2, stepSizes: [1e-6, 2] }, learningRate: 0.5 } as const;
    expect(formatRacer(racer)).toBe('rprop,lr=0.5,stepSizes=0.000001~2');
    expect(parseRacer(formatRacer(racer), ravine)).toEqual({ ...racer, options: { stepSizes: [1e-6, 2] } });
    expect(parseRacer('Lion,beta1=0.95', ravine)).toEqual({
      optimizer: 'lion',
      options: { beta1: 0.95 },
      learningRate: 0.3,
    });
    expect(parseRacer('sgd,momentum=0.9,nesterov=true', ravine)).toMatchObject({ learningRate: 0.1 });
  });

  it('the defaults write nothing; another line-up is written readably and read back', () => {
    expect(raceQuery('?backend=webgl', 'bowl', defaultRacers(ravine), surfaces)).toBe('?backend=webgl');
    const line: RacerSpec[] = [
      defaultRacers(ravine)[0] as RacerSpec,
      { optimizer: 'lion', options: { beta1: 0.95 }, learningRate: 0.3 },
    ];
    const search = raceQuery('?backend=webgl&racer=old', 'ravine', line, surfaces);
    expect(search).toBe('?backend=webgl&surface=ravine&racer=sgd,lr=0.4&racer=lion,lr=0.3,beta1=0.95');
    expect(readRaceQuery(search, surfaces)).toEqual({ surface: 'ravine', racers: line, error: null });
  });

  it('a bad value in the address is named, with the fix, and the defaults race instead', () => {
    const error = (search: string) => readRaceQuery(search, surfaces).error;
    expect(error('?racer=adamm')).toMatch(
      /^\?racer=adamm \(racer 1\): "adamm" is not an optimizer of the catalog; use one of sgd, rmsprop, adam, .* Racing the chapter's five instead: fix the address\.$/,
    );
    expect(error('?racer=sgd&racer=lion,betta1=0.9')).toMatch(
      /\(racer 2\): Lion has no knob "betta1"; its knobs are lr, beta1, beta2\./,
    );
    expect(error('?racer=lion,beta1=2')).toMatch(/beta1 must be a number in \(0, 1\], got "2"\./);
    expect(error('?racer=sgd,nesterov=yes')).toMatch(/nesterov must be true or false, got "yes"/);
    expect(error('?racer=rprop,stepSizes=5')).toMatch(/stepSizes must be two numbers written low~high, got "5"/);
    expect(error('?racer=rprop,stepSizes=5~1')).toMatch(/stepSizes must be two numbers \[low, high\], low <= high/);
    expect(error('?racer=muon,nsSteps=2.5')).toMatch(/nsSteps must be a whole number >= 1, got "2.5"/);
    expect(error('?racer=adam,lr=')).toMatch(/lr must be a number > 0, got ""/);
    expect(error('?racer=adam,lr')).toMatch(/"lr" is not key=value/);
    expect(error('?surface=valley')).toBe(
      '?surface=valley is not a surface; use one of bowl, ravine, saddle, plateau, rosenbrock.',
    );
    expect(error(`?${'racer=adam&'.repeat(7)}`)).toMatch(/names 7 racers; the playground races at most 6/);
    expect(readRaceQuery('?racer=adamm', surfaces).racers).toBeNull();
  });
});
