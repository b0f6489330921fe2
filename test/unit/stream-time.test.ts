// The stream clock moves only on evidence from several posts (issue 20): one forged future
// timestamp makes no honest post late, here at the clock, at stage A's intake and through
// the whole detector.
import { describe, expect, it } from 'vitest';
import { StreamClock, minuteOf, type StreamClockOptions } from '../../processors/stream-time.js';
import { PostIntake } from '../../processors/intake.js';
import { DEFAULT_LATENESS_MS, detectPosts, type DetectStats } from '../../processors/detect.js';
import { generate } from '../../sim/generator.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import type { Post } from '../../schemas/post.js';

const T = Date.parse('2026-11-27T10:00:00Z');
const MIN = 60_000;

describe('stream clock', () => {
  it('is established by three posts and then stands at the third-greatest recent created_at', () => {
    const c = new StreamClock();
    c.observe(T); c.observe(T + 1000);
    expect(c.time).toBe(-Infinity);
    c.observe(T + 500);
    expect(c.time).toBe(T);
    c.observe(T + 60_000);
    expect(c.time).toBe(T + 500);
    c.observe(T + 30_000);
    expect(c.time).toBe(T + 1000);
    c.observe(T + 100); // behind the clock: never moves it back
    expect(c.time).toBe(T + 1000);
    c.observe(T + 61_000); c.observe(T + 62_000);
    expect(c.time).toBe(T + 60_000);
  });

  it('is not moved by one or two wild timestamps far ahead, and forgets them', () => {
    const c = new StreamClock();
    for (let i = 0; i < 3; i++) c.observe(T + i);
    c.observe(T + 86_400_000 * 365);
    c.observe(T + 3 * 3600_000);
    for (let i = 0; i < 999; i++) {
      c.observe(T + 1000 + i);
      expect(c.time).toBe(T + 1000 + i); // the two wild ones hold two places: the clock is at the greatest honest one
    }
    for (let i = 999; i < 2000; i++) c.observe(T + 1000 + i);
    expect(c.time).toBe(T + 2997); // forgotten after 1000 posts: the third-greatest honest one again
    c.observe(T + 86_400_000 * 365); // alone and unconfirmed: the clock never passes an honest post's time
    expect(c.time).toBe(T + 2998);
  });

  it('jumps a real gap once three posts confirm it', () => {
    const c = new StreamClock();
    for (let i = 0; i < 3; i++) c.observe(T + i);
    const later = T + 2 * 3600_000;
    c.observe(later); c.observe(later + 10);
    expect(c.time).toBe(T + 2);
    c.observe(later + 20);
    expect(c.time).toBe(later);
  });

  it('restores from a snapshot that went through JSON, also one of the older clock', () => {
    const c = new StreamClock();
    const fresh = StreamClock.restore(JSON.parse(JSON.stringify(c.snapshot())));
    expect(fresh.time).toBe(-Infinity);
    for (let i = 0; i < 4; i++) c.observe(T + i);
    const back = StreamClock.restore(JSON.parse(JSON.stringify(c.snapshot())));
    expect(back.time).toBe(T + 1);
    back.observe(T + 10);
    expect(back.time).toBe(T + 2);
    // The older clock kept unconfirmed far-ahead times unsorted and without a cap.
    const old = StreamClock.restore({ time: T, seen: 10, pending: [{ t: T + 5, at: 9 }, { t: T + 9e6, at: 3 }, { t: T - 5, at: 2 }, { t: T + 7, at: 8 }] });
    expect(old.snapshot().pending).toEqual([{ t: T + 9e6, at: 3 }, { t: T + 7, at: 8 }]);
  });

  it('floors to the minute, also before 1970', () => {
    expect(minuteOf(T + 59_999)).toBe(T);
    expect(minuteOf(-1)).toBe(-60_000);
  });
});

// An honest stream arriving with up to 50 s of disorder (within the 60 s allowed lateness),
// and a forger's posts dated 4 min 59 s ahead (ingest accepts up to 5 minutes ahead).
const honest: Post[] = [...generate({ seed: 20, start: T, minutes: 30, postsPerMinute: 200, rhythm: false, disorderMs: 50_000, watches: EVAL_WATCHES })];
const forged = (i: number, at: number): Post => ({ ...honest[i]!, id: `forged-${i}`, platform: 'forger', created_at: at + 5 * MIN - 1000 });
const withForgeries = (n: number) => {
  const out = [...honest];
  for (let j = 0; j < n; j++) out.splice(5000 + j, 0, forged(5000 + j, Math.max(...honest.slice(0, 5000 + j).map((p) => p.created_at))));
  return out;
};

function lateAtIntake(posts: Post[], clock?: StreamClockOptions): number {
  const intake = new PostIntake(DEFAULT_LATENESS_MS, null, clock ? new StreamClock(clock) : undefined);
  let late = 0;
  for (const p of posts) if (intake.offer(p).verdict === 'late' && p.platform !== 'forger') late++;
  return late;
}

describe('a forged future timestamp', () => {
  it('makes no honest post late at stage A intake, where a clock that follows the greatest created_at loses hundreds', () => {
    expect(lateAtIntake(honest)).toBe(0);
    expect(lateAtIntake(withForgeries(1))).toBe(0);
    expect(lateAtIntake(withForgeries(2))).toBe(0);
    // The same stream under the rule the clock had before (any step up to 5 minutes taken at once):
    const followsGreatest = lateAtIntake(withForgeries(1), { confirmations: 1, forgetAfter: 1000 });
    expect(followsGreatest).toBeGreaterThan(500);
  });

  it('three forged posts together are the evidence the clock needs (the documented threshold)', () => {
    expect(lateAtIntake(withForgeries(3))).toBeGreaterThan(500);
  });

  it('through the whole detector: no late post, the same events as without it', () => {
    const run = (posts: Post[]) => {
      const stats: DetectStats = { posts: 0, late: 0, duplicates: 0, minutes: 0 };
      const events = [...detectPosts(posts, { latenessMs: DEFAULT_LATENESS_MS, watches: EVAL_WATCHES }, stats)];
      return { events, stats };
    };
    const clean = run(honest);
    const attacked = run(withForgeries(1));
    expect(clean.stats.late).toBe(0);
    expect(attacked.stats.late).toBe(0);
    expect(attacked.stats.posts).toBe(honest.length + 1);
    expect(attacked.events.map((e) => e.id)).toEqual(clean.events.map((e) => e.id));
  });
});
