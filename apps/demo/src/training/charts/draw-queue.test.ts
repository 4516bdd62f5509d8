import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { drawQueue } from './draw-queue.js';

describe('the draw queue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs one draw per task, in order, and a draw queued twice while waiting once', () => {
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const q = drawQueue(500);
    q.queue(a, b);
    q.queue(a);
    expect(calls).toEqual([]);
    vi.advanceTimersToNextTimer();
    expect(calls).toEqual(['a']);
    vi.advanceTimersToNextTimer();
    expect(calls).toEqual(['a', 'b']);
    vi.runAllTimers();
    expect(calls).toEqual(['a', 'b']);
    q.queue(a);
    vi.runAllTimers();
    expect(calls).toEqual(['a', 'b', 'a']);
  });

  it('soon: many calls within the interval queue the draws once, after the interval', () => {
    const calls: string[] = [];
    const q = drawQueue(500);
    const a = () => calls.push('a');
    for (let i = 0; i < 10; i++) q.soon(a);
    vi.advanceTimersByTime(499);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    vi.runAllTimers();
    expect(calls).toEqual(['a']);
    q.soon(a);
    vi.runAllTimers();
    expect(calls).toEqual(['a', 'a']);
  });
});
