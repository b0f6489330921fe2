// The real-data part of the eval: NAB series into posts, the windowed-Gaussian reference and
// the window scoring, on small series whose truth is known.
import { describe, expect, it } from 'vitest';
import type { Post } from '../../schemas/post.js';
import { nabPosts, scoreNab, totalNab, WindowedGaussian, type NabSeries } from '../../bench/nab.js';

const M = 60_000;
const T0 = Date.parse('2015-03-01T00:00:00Z');

function series(ticker: string, counts: number[], windows: [number, number][] = []): NabSeries {
  return { ticker, tag: ticker.toLowerCase(), times: counts.map((_, i) => T0 + i * 5 * M), counts, windows };
}

function post(tag: string, at: number, author: string): Post {
  return { id: `${tag}-${at}-${author}`, platform: 'twitter', created_at: at, author: { id: author, handle: null, followers: 10, created_at: 0 },
    text: `#${tag}`, lang: 'en', reply_to: null, reply_to_author: null, repost_of: null, hashtags: [tag], mentions: [], metrics: { likes: 0, reposts: 0, replies: 0 } };
}

describe('NAB series as posts', () => {
  it('gives one post per counted tweet, inside its 5 minutes, merged in event time, the same for the same seed', () => {
    const s = [series('AAPL', [3, 0, 7, 2]), series('KO', [1, 4, 0, 5])];
    const a = [...nabPosts(s, 7)];
    expect(a.length).toBe(22);
    expect(a.filter((p) => p.hashtags[0] === 'aapl').length).toBe(12);
    for (let i = 1; i < a.length; i++) expect(a[i]!.created_at).toBeGreaterThanOrEqual(a[i - 1]!.created_at);
    const bucket3 = a.filter((p) => p.hashtags[0] === 'aapl' && p.created_at >= T0 + 10 * M && p.created_at < T0 + 15 * M);
    expect(bucket3.length).toBe(7);
    expect(a.every((p) => p.text.includes(`#${p.hashtags[0]!.toUpperCase()}`))).toBe(true);
    expect([...nabPosts(s, 7)]).toEqual(a);
    expect([...nabPosts(s, 8)].map((p) => p.created_at)).not.toEqual(a.map((p) => p.created_at));
  });
});

describe('windowed-Gaussian reference', () => {
  it('starts one episode when the 5-minute mean jumps past mean + 4 sd, and ends it when it falls back', () => {
    const ref = new WindowedGaussian();
    // 10 distinct authors a minute for two hours, then 100 a minute for 10 minutes, then 10 again.
    for (let m = 0; m < 180; m++) {
      const n = m >= 120 && m < 130 ? 100 : 10;
      for (let i = 0; i < n; i++) ref.offer(post('x', T0 + m * M + i, `a${m}-${i}`));
    }
    ref.finish();
    // At minute 120 the last five minutes average 28 > 10 + 4·√10: the episode starts at that minute's end.
    expect(ref.episodes).toEqual([{ tag: 'x', start: T0 + 121 * M, inauthentic: false }]);
  });

  it('starts nothing below a mean of 5 authors a minute, however steep the rise', () => {
    const ref = new WindowedGaussian();
    for (let m = 0; m < 120; m++) {
      const n = m >= 100 ? 4 : m % 10 === 0 ? 1 : 0;
      for (let i = 0; i < n; i++) ref.offer(post('y', T0 + m * M + i, `b${m}-${i}`));
    }
    ref.finish();
    expect(ref.episodes).toEqual([]);
  });
});

describe('window scoring', () => {
  it('counts a window caught when an episode of its ticker starts inside it, and every episode outside all windows', () => {
    const w1: [number, number] = [T0 + 60 * M, T0 + 120 * M];
    const w2: [number, number] = [T0 + 300 * M, T0 + 360 * M];
    const s = [series('AAPL', new Array(288).fill(1), [w1, w2]), series('KO', new Array(288).fill(1), [])];
    const rows = scoreNab(s, [
      { tag: 'aapl', start: T0 + 90 * M, inauthentic: false },
      { tag: 'aapl', start: T0 + 100 * M, inauthentic: true },
      { tag: 'aapl', start: T0 + 200 * M, inauthentic: false },
      { tag: 'ko', start: T0 + 90 * M, inauthentic: false },
    ]);
    expect(rows.map((r) => [r.ticker, r.windows, r.caught, r.episodes, r.outside, r.inauthentic])).toEqual([['AAPL', 2, 1, 3, 1, 1], ['KO', 0, 0, 1, 1, 0]]);
    expect(rows[0]!.days).toBe(1);
    const t = totalNab(rows);
    expect([t.caught, t.windows, t.outside, t.outsidePerDay, t.inauthenticShare]).toEqual([1, 2, 2, 1, 0.25]);
  });
});
