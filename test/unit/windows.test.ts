import { describe, expect, it } from 'vitest';
import { hash32 } from '../../schemas/sketch.js';
import { MinuteWindows } from '../../processors/windows.js';
import { emptyAggregate } from '../../schemas/counts.js';

const T = Date.parse('2026-11-27T10:00:00Z');
const M = 60_000;
const part = (key: string, minute: number, posts: number, author = 'a') => {
  const a = emptyAggregate(key, minute);
  a.posts = posts;
  a.authors.add(hash32(author));
  return a;
};

describe('minute windows and watermark', () => {
  it('waits for every source, then decides minutes the watermark passed, in order, empty ones included', () => {
    const w = new MinuteWindows(30_000);
    w.add(part('t:a', T, 2));
    w.add(part('t:a', T + 2 * M, 1));
    w.progress(0, 2, T + 5 * M);
    expect(w.decide()).toEqual([]); // source 1 has not reported
    w.progress(1, 2, T + 2 * M + 30_000);
    const d = w.decide();
    expect(d.map((x) => x.minute)).toEqual([T, T + M]);
    expect(d[0]!.aggregates[0]!.posts).toBe(2);
    expect(d[1]!.aggregates).toEqual([]);
    expect(d[0]!.decidedAt).toBe(T + M + 30_000);
  });

  it('merges partials of one key and minute from several sources', () => {
    const w = new MinuteWindows(0);
    w.add(part('t:a', T, 2, 'x'));
    w.add(part('t:a', T, 3, 'y'));
    w.add(part('t:b', T, 1, 'x'));
    w.progress(0, 1, T + M);
    const [d] = w.decide();
    expect(d!.aggregates.map((a) => [a.key, a.posts, a.authors.estimate()])).toEqual([['t:a', 5, 2], ['t:b', 1, 1]]);
  });

  it('counts and drops partials for minutes already decided', () => {
    const w = new MinuteWindows(0);
    w.add(part('t:a', T, 1));
    w.progress(0, 1, T + M);
    w.decide();
    expect(w.add(part('t:a', T, 4))).toBe(false);
    expect(w.latePosts).toBe(4);
    expect(w.add(part('t:a', T + M, 1))).toBe(true);
  });

  it('never moves a source back', () => {
    const w = new MinuteWindows(0);
    w.progress(0, 1, T + 5 * M);
    w.progress(0, 1, T);
    expect(w.streamTime()).toBe(T + 5 * M);
  });
});
