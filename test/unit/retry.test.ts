import { describe, expect, it } from 'vitest';
import { Backoff, retry } from '../../lib/retry.js';

describe('the retry policy', () => {
  it('retries what the caller calls retryable, with doubling jittered delays, until the call succeeds', async () => {
    let calls = 0;
    const seen: [number, number][] = [];
    const out = await retry(async () => { if (++calls < 4) throw new Error(`busy ${calls}`); return 'done'; }, {
      initialMs: 4, maxMs: 10, random: () => 1, retryable: (e) => /busy/.test((e as Error).message), onRetry: (_e, attempt, delay) => { seen.push([attempt, delay]); },
    });
    expect(out).toBe('done');
    expect(calls).toBe(4);
    expect(seen).toEqual([[1, 4], [2, 8], [3, 10]]);
  });

  it('rethrows the first error it may not retry, without waiting', async () => {
    let calls = 0;
    const fail = retry(async () => { calls++; throw new Error(calls < 3 ? 'busy' : 'refused'); }, { initialMs: 1, maxMs: 1, retryable: (e) => (e as Error).message === 'busy' });
    await expect(fail).rejects.toThrow('refused');
    expect(calls).toBe(3);
  });

  it('gives a delay between half and all of the capped base, and starts over after reset', () => {
    const lo = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    const hi = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect(Array.from({ length: 6 }, () => lo.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => hi.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    hi.reset();
    expect([hi.next(), hi.attempts]).toEqual([100, 1]);
  });
});
