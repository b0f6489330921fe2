// The trend detector on synthetic minute decisions with known truth.
import { describe, expect, it } from 'vitest';
import { hash32 } from '../../schemas/sketch.js';
import { DEFAULT_TRENDS, TrendDetector } from '../../processors/velocity.js';
import type { MinuteDecision } from '../../processors/windows.js';
import { mulberry32 } from '../../sim/generator.js';
import { ALL_KEY, emptyAggregate, type Aggregate } from '../../schemas/counts.js';

const M = 60_000;
const T0 = Date.parse('2026-11-23T00:00:00Z');

function agg(key: string, minute: number, authors: number, salt: string, postsPerAuthor = 1, young = 0): Aggregate {
  const a = emptyAggregate(key, minute);
  for (let i = 0; i < authors; i++) a.authors.add(hash32(`${salt}-${i}`));
  a.posts = authors * postsPerAuthor;
  a.young = young * a.posts;
  return a;
}

/** Runs `minutes` minutes; `rate(tag, minute)` gives distinct authors per minute (Poisson noise from a seeded PRNG). */
function run(minutes: number, tags: Record<string, (m: number) => number>, total = 2000, seed = 1) {
  const det = new TrendDetector(DEFAULT_TRENDS);
  const rnd = mulberry32(seed);
  const poisson = (l: number) => { let k = 0; let p = Math.exp(-l); let s = p; const u = rnd(); while (u > s && k < 10_000) { k++; p *= l / k; s += p; } return k; };
  const events = [];
  for (let i = 0; i < minutes; i++) {
    const minute = T0 + i * M;
    const aggregates = [agg(ALL_KEY, minute, total, `all${i}`)];
    for (const [tag, rate] of Object.entries(tags)) {
      const n = poisson(rate(i));
      if (n > 0) aggregates.push(agg(`t:${tag}`, minute, n, `${tag}${i}`));
    }
    const d: MinuteDecision = { minute, decidedAt: minute + M + 30_000, aggregates: aggregates.sort((a, b) => (a.key < b.key ? -1 : 1)) };
    events.push(...det.onMinute(d));
  }
  return { det, events };
}

describe('trend detector', () => {
  it('starts a trend for a sudden burst of distinct authors, within two minutes, and ends it after', () => {
    const { events } = run(240, { steady: () => 20, burst: (m) => (m >= 120 && m < 150 ? 60 : m < 120 ? 0.2 : 0.2) });
    const started = events.filter((e) => e.state === 'started');
    expect(started.map((e) => e.hashtag)).toEqual(['burst']);
    expect(Date.parse(started[0]!.window_end) - (T0 + 120 * M)).toBeLessThanOrEqual(2 * M);
    expect(started[0]!.inauthentic).toBe(false);
    const ended = events.filter((e) => e.state === 'ended');
    expect(ended.map((e) => e.hashtag)).toEqual(['burst']);
    expect(Date.parse(ended[0]!.window_end)).toBeGreaterThan(T0 + 150 * M);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('raises nothing over a quiet day of 300 tags with Poisson noise', () => {
    const tags: Record<string, (m: number) => number> = {};
    for (let i = 0; i < 300; i++) tags[`tag${i}`] = () => 30 / (i + 1);
    expect(run(24 * 60, tags).events).toEqual([]);
  });

  it('does not trend a daily slot on the days after it was first seen', () => {
    const slot = (m: number) => ((m % 1440) >= 450 && (m % 1440) < 540 ? 25 : 0);
    const { events } = run(3 * 1440, { fruehstueck: slot, steady: () => 10 });
    const days = events.filter((e) => e.state === 'started').map((e) => Math.floor((Date.parse(e.window_end) - T0) / 86_400_000));
    expect(days).toEqual([0]);
  });

  it('needs distinct authors: one account posting a lot makes no trend', () => {
    const det = new TrendDetector(DEFAULT_TRENDS);
    const events = [];
    for (let i = 0; i < 120; i++) {
      const minute = T0 + i * M;
      const aggregates = [agg(ALL_KEY, minute, 2000, `all${i}`), agg('t:spam', minute, i >= 60 ? 2 : 0, 'spam', 200)];
      events.push(...det.onMinute({ minute, decidedAt: minute + M, aggregates }));
    }
    expect(events).toEqual([]);
  });

  it('trends a tag that is most of the stream when it spikes: its own posts do not raise its expectation', () => {
    // 200 posts a minute of other tags; #big has 500 authors a minute, then 3000 from minute 600 to 630.
    const det = new TrendDetector(DEFAULT_TRENDS);
    const events = [];
    for (let i = 0; i < 720; i++) {
      const minute = T0 + i * M;
      const n = i >= 600 && i < 630 ? 3000 : 500;
      const aggregates = [agg(ALL_KEY, minute, 200 + n, `all${i}`), agg('t:big', minute, n, `big${i}`)];
      events.push(...det.onMinute({ minute, decidedAt: minute + M, aggregates: aggregates.sort((a, b) => (a.key < b.key ? -1 : 1)) }));
    }
    const started = events.filter((e) => e.state === 'started');
    expect(started.map((e) => e.hashtag)).toEqual(['big']);
    expect(Date.parse(started[0]!.window_end) - (T0 + 600 * M)).toBeLessThanOrEqual(2 * M);
  });

  it('learns a tag\'s own spikiness: of 23 spikes every few hours the first trends and at most one more, none on day three, where the same spike on a calm tag trends', () => {
    // Both tags have 2 authors a minute; #spiky jumps to 40 for 5 minutes every 3 h 7 min (so no daily
    // slot repeats), #calm once, on the third day.
    const spike = (m: number) => m % 187 >= 100 && m % 187 < 105;
    const { events } = run(3 * 1440, { spiky: (m) => (spike(m) ? 40 : 2), calm: (m) => (m >= 2 * 1440 + 700 && m < 2 * 1440 + 705 ? 40 : 2) });
    const started = events.filter((e) => e.state === 'started');
    const calm = started.filter((e) => e.hashtag === 'calm');
    expect(calm.map((e) => Math.floor((Date.parse(e.window_end) - T0) / M))).toEqual([2 * 1440 + 701]);
    const spiky = started.filter((e) => e.hashtag === 'spiky').map((e) => (Date.parse(e.window_end) - T0) / M);
    expect(spiky[0]).toBe(101);
    expect(spiky.length).toBeLessThanOrEqual(2);
    expect(spiky.every((m) => m < 2 * 1440)).toBe(true);
  });

  it('trends a busy tag whose level rises by 1.8× and stays up, within 15 minutes; not the same rise for 5 minutes, nor on a small tag', () => {
    // #busy: 12 authors a minute, 1.8× from minute 300 for 45 minutes; #blip: 12, 1.8× for 5 minutes at 300;
    // #small: 1 author a minute, 1.8× from 300 for 45 minutes (too few to tell from noise that quickly).
    const up = (from: number, len: number, base: number) => (m: number) => (m >= from && m < from + len ? 1.8 * base : base);
    const { events } = run(480, { busy: up(300, 45, 12), blip: up(300, 5, 12), small: up(300, 45, 1) });
    const started = events.filter((e) => e.state === 'started');
    expect(started.map((e) => e.hashtag)).toEqual(['busy']);
    const delay = (Date.parse(started[0]!.window_end) - (T0 + 300 * M)) / M;
    expect(delay).toBeGreaterThanOrEqual(2 * DEFAULT_TRENDS.windowMinutes); // both windows up: the sustained path
    expect(delay).toBeLessThanOrEqual(15);
    expect(started[0]!.velocity).toBeGreaterThan(1.4);
    expect(started[0]!.velocity).toBeLessThan(DEFAULT_TRENDS.minVelocity);
  });

  it('raises nothing over a quiet day of busy tags whose share drifts slowly (±30 % over hours)', () => {
    const tags: Record<string, (m: number) => number> = {};
    for (let i = 0; i < 20; i++) tags[`busy${i}`] = (m) => (40 / (i + 1)) * (1 + 0.3 * Math.sin((2 * Math.PI * m) / (360 + 37 * i)));
    expect(run(24 * 60, tags).events).toEqual([]);
  });

  it('ends a trend once its crowd is gone, even on a tag whose baseline is so small that a few stray posts are above it', () => {
    // #rare: nothing for 10 hours, a burst of 40 authors a minute for 5 minutes, then 4 authors every 15 minutes (twice its tiny expectation).
    const rate = (m: number) => (m >= 600 && m < 605 ? 40 : m > 605 && m % 15 === 0 ? 4 : 0);
    const det = new TrendDetector(DEFAULT_TRENDS);
    const events = [];
    for (let i = 0; i < 800; i++) {
      const minute = T0 + i * M;
      const aggregates = [agg(ALL_KEY, minute, 2000, `all${i}`)];
      if (rate(i) > 0) aggregates.push(agg('t:rare', minute, rate(i), `rare${i}`));
      events.push(...det.onMinute({ minute, decidedAt: minute + M, aggregates: aggregates.sort((a, b) => (a.key < b.key ? -1 : 1)) }));
    }
    const states = events.filter((e) => e.state !== 'updated').map((e) => [e.state, (Date.parse(e.window_end) - T0) / M]);
    // Calm from the first minute with fewer than minAuthors in the window (minute 609), ended endMinutes later.
    expect(states).toEqual([['started', 601], ['ended', 609 + DEFAULT_TRENDS.endMinutes]]);
  });

  it('keeps detailed state for at most its capacity, however many tags it sees', () => {
    const det = new TrendDetector({ ...DEFAULT_TRENDS, capacity: 500 });
    for (let i = 0; i < 60; i++) {
      const minute = T0 + i * M;
      const aggregates = [agg(ALL_KEY, minute, 5000, `all${i}`)];
      for (let j = 0; j < 2000; j++) aggregates.push(agg(`t:tail${i}-${j}`, minute, 1, `x${i}-${j}`));
      det.onMinute({ minute, decidedAt: minute + M, aggregates: aggregates.sort((a, b) => (a.key < b.key ? -1 : 1)) });
      expect(det.tracked).toBeLessThanOrEqual(550);
    }
  });
});
