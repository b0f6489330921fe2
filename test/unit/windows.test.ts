import { describe, expect, it } from 'vitest';
import { hash32 } from '../../schemas/sketch.js';
import { MinuteWindows, OVERFLOW_KEY } from '../../processors/windows.js';
import { ALL_KEY, emptyAggregate, mergeInto } from '../../schemas/counts.js';

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

describe('bound on hashtags per minute', () => {
  // 300 tags in one minute, some in several partials, with a watch and the stream volume beside them.
  const tags = Array.from({ length: 300 }, (_, i) => `t:tag${i}`);
  const partials = [...tags.map((k, i) => part(k, T, 1 + (i % 7), `a${i}`)), ...tags.filter((_, i) => i % 3 === 0).map((k, i) => part(k, T, 2, `b${i}`)),
    part('w:bahn', T, 40), part(ALL_KEY, T, 900)];
  const decided = (order: typeof partials, max: number) => {
    const w = new MinuteWindows(0, max);
    for (const p of order) {
      const copy = emptyAggregate(p.key, p.minute);
      mergeInto(copy, p);
      w.add(copy);
      expect(w.openBuckets).toBeLessThanOrEqual(max + 3); // the kept tags, the overflow key, the watch, the stream volume
    }
    w.progress(0, 1, T + M);
    return w.decide()[0]!.aggregates;
  };
  const summary = (aggs: ReturnType<typeof decided>) => aggs.map((a) => [a.key, a.posts, a.authors.estimate()]);
  const posts = (aggs: ReturnType<typeof decided>, keys: (k: string) => boolean) => aggs.filter((a) => keys(a.key)).reduce((s, a) => s + a.posts, 0);

  it('keeps the tags of smallest hash whatever the arrival order, and counts every other tag under the overflow key', () => {
    const exact = decided(partials, 1000);
    expect(exact.some((a) => a.key === OVERFLOW_KEY)).toBe(false);
    const bounded = decided(partials, 50);
    const kept = [...tags].sort((a, b) => hash32(a) - hash32(b) || (a < b ? -1 : 1)).slice(0, 50);
    expect(bounded.map((a) => a.key).filter((k) => k.startsWith('t:') && k !== OVERFLOW_KEY).sort()).toEqual([...kept].sort());
    // Kept tags, the watch and the volume are exact; the overflow holds the rest, so no count is lost.
    expect(summary(bounded.filter((a) => a.key !== OVERFLOW_KEY))).toEqual(summary(exact.filter((a) => !a.key.startsWith('t:') || kept.includes(a.key))));
    const overflow = bounded.find((a) => a.key === OVERFLOW_KEY)!;
    expect(overflow.posts).toBe(posts(exact, (k) => k.startsWith('t:') && !kept.includes(k)));
    expect(posts(bounded, (k) => k.startsWith('t:'))).toBe(posts(exact, (k) => k.startsWith('t:')));
    // Any order of the same partials decides the same minute.
    for (const seed of [1, 2, 3]) {
      let s = seed;
      const shuffled = [...partials];
      for (let i = shuffled.length - 1; i > 0; i--) { s = (s * 1103515245 + 12345) % 2 ** 31; const j = s % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]; }
      expect(summary(decided(shuffled, 50))).toEqual(summary(bounded));
    }
  });

  it('restores a bounded minute from its snapshot and goes on as before', () => {
    const w = new MinuteWindows(0, 50);
    for (const p of partials.slice(0, 200)) w.add(p);
    const r = MinuteWindows.fromSnapshot(JSON.parse(JSON.stringify(w.snapshot())), 0, 50);
    for (const x of [w, r]) { for (const p of partials.slice(200)) x.add(p); x.progress(0, 1, T + M); }
    expect(summary(r.decide()[0]!.aggregates)).toEqual(summary(w.decide()[0]!.aggregates));
  });
});
