// Firestorm baselines with known truth (issue 18): a watch's normal comes from enough evidence,
// neither its first posts nor a storm define it, and an alert's reasons state it.
import { describe, expect, it } from 'vitest';
import { RateBaseline, ShareBaseline } from '../../processors/baseline.js';
import type { AlertEvent } from '../../schemas/events.js';
import { FirestormDetector } from '../../processors/firestorm.js';
import { hash32 } from '../../schemas/sketch.js';
import type { Watch } from '../../schemas/watches.js';
import type { MinuteDecision } from '../../processors/windows.js';
import { ALL_KEY, emptyAggregate, watchKey } from '../../schemas/counts.js';

const T = Date.parse('2026-11-27T06:00:00Z');
const M = 60_000;
const STREAM = 200; // posts a minute in the whole stream
const watch: Watch = { id: 'acme', name: 'Acme', handles: ['@acme'], keywords: [], hashtags: [], min_severity: 3, sensitivity: 1, channels: [] };

/** Feeds minutes to one detector; each minute gets the watch's posts as [negative, toxic] flags, each from its own author. */
class Feed {
  readonly d = new FirestormDetector(() => [watch]);
  readonly alerts: AlertEvent[] = [];
  private m = 0;
  private author = 0;

  minute(posts: { negative: boolean; toxic?: boolean }[]): void {
    const minute = T + this.m++ * M;
    const all = emptyAggregate(ALL_KEY, minute);
    all.posts = STREAM;
    const aggregates = [all];
    if (posts.length) {
      const a = emptyAggregate(watchKey(watch.id), minute);
      for (const p of posts) {
        a.posts++;
        a.authors.add(hash32(`author-${this.author++}`));
        if (p.negative) a.negative++;
        if (p.toxic) a.toxic++;
      }
      aggregates.push(a);
    }
    const d: MinuteDecision = { minute, decidedAt: minute + M + 30_000, aggregates: aggregates.sort((x, y) => (x.key < y.key ? -1 : 1)) };
    this.alerts.push(...this.d.onMinute(d));
  }

  /** `minutes` minutes with one post every `every` minutes, every `negEvery`-th of them negative. */
  quiet(minutes: number, every: number, negEvery: number): void {
    for (let i = 0; i < minutes; i++) {
      const post = i % every === 0;
      const k = Math.floor(i / every);
      this.minute(post ? [{ negative: k % negEvery === negEvery - 1 }] : []);
    }
  }

  storm(minutes: number, perMinute: number, negativeShare: number, toxicShare = negativeShare / 2): void {
    for (let i = 0; i < minutes; i++) {
      this.minute(Array.from({ length: perMinute }, (_, k) => ({ negative: k < perMinute * negativeShare, toxic: k < perMinute * toxicShare })));
    }
  }

  get negative(): number { return this.d.baseline(watch.id)!.negative; }
}

describe('firestorm baselines', () => {
  it('a quiet watch whose first 5 posts are negative learns its true normal of 10 % within 3 hours', () => {
    const f = new Feed();
    for (let i = 0; i < 5; i++) f.minute([{ negative: true }]);
    f.quiet(180, 1, 10); // 3 hours, a post a minute, 10 % negative
    expect(f.negative).toBeGreaterThan(0.08);
    expect(f.negative).toBeLessThan(0.14);
    expect(f.alerts).toEqual([]);
  });

  it('a 30-minute storm does not move the baseline, and the alert states the watch\'s true normal', () => {
    const f = new Feed();
    for (let i = 0; i < 5; i++) f.minute([{ negative: true }]);
    f.quiet(180, 1, 10);
    const before = f.d.baseline(watch.id)!;
    f.storm(30, 40, 0.9);
    const during = f.d.baseline(watch.id)!;
    expect(Math.abs(during.negative - before.negative)).toBeLessThan(0.01);
    expect(during.level / before.level).toBeLessThan(1.05);
    const opened = f.alerts.filter((a) => a.state === 'opened');
    expect(opened).toHaveLength(1);
    const reason = opened[0]!.reasons.find((r) => r.code === 'negative_share')!;
    expect(reason.value).toBeCloseTo(0.9, 1);
    expect(Math.abs(reason.baseline - before.negative)).toBeLessThan(0.011);
    expect(opened[0]!.summary).toContain(`(baseline ${Math.round(before.negative * 100)}%)`);
    // It opens within the storm's first minutes.
    expect(Date.parse(opened[0]!.detected_at) - (T + 185 * M)).toBeLessThanOrEqual(3 * M);
    // After the storm, the watch calms down and the alert resolves against the same normal.
    f.quiet(60, 1, 10);
    expect(f.alerts.map((a) => a.state)).toContain('resolved');
    expect(Math.abs(f.negative - before.negative)).toBeLessThan(0.02);
  });

  it('a watch with a few posts an hour keeps a sensible baseline between its data and the prior, and never alerts', () => {
    const f = new Feed();
    for (let i = 0; i < 3; i++) f.minute([{ negative: true }]);
    f.quiet(12 * 60, 20, 10); // three posts an hour for 12 hours, 10 % negative
    expect(f.negative).toBeGreaterThan(0.1);
    expect(f.negative).toBeLessThan(0.25);
    expect(f.alerts).toEqual([]);
  });

  it('a watch whose everyday posts are mostly complaints learns that as its normal and does not alert on it', () => {
    const f = new Feed();
    f.storm(6 * 60, 4, 0.9); // four posts a minute, 90 % negative, from the start
    expect(f.negative).toBeGreaterThan(0.85);
    expect(f.alerts).toEqual([]);
  });

  it('follows a lasting step-up of everyday complaints (a post every 3 minutes to 3 a minute, two thirds negative) without alerting', () => {
    const f = new Feed();
    f.quiet(120, 3, 5);
    const before = f.d.baseline(watch.id)!;
    f.storm(180, 3, 0.67, 0); // complaints, not insults
    const after = f.d.baseline(watch.id)!;
    expect(after.level / before.level).toBeGreaterThan(5); // the true step is 9x
    expect(after.negative).toBeGreaterThan(0.55);
    expect(f.alerts).toEqual([]);
  });

  it('is deterministic: the same minutes give the same events', () => {
    const run = () => {
      const f = new Feed();
      f.quiet(120, 2, 5);
      f.storm(20, 30, 0.8);
      return f.alerts;
    };
    expect(run()).toEqual(run());
    expect(run().length).toBeGreaterThan(0);
  });
});

describe('empirical-Bayes baselines', () => {
  it('a share starts at its prior and gives way to the data as posts accumulate', () => {
    const b = new ShareBaseline(0.25, 10);
    expect(b.mean).toBe(0.25);
    b.add(5, 5);
    expect(b.mean).toBeCloseTo(7.5 / 15, 10);
    b.add(100, 1000);
    expect(b.mean).toBeCloseTo(107.5 / 1015, 10);
    b.scale(0.5);
    expect(b.mean).toBeCloseTo((52.5 + 2.5) / (502.5 + 10), 10); // the prior does not fade, the evidence does
  });

  it('calls a minute abnormal only beyond the predictive spread, which is wide while evidence is thin', () => {
    const thin = new ShareBaseline(0.2, 10);
    const thick = new ShareBaseline(0.2, 10);
    thick.add(200, 1000);
    expect(thin.upper(20, 3)).toBeGreaterThan(thick.upper(20, 3));
    expect(thick.upper(20, 3)).toBeCloseTo(4 + 3 * Math.sqrt(20 * 0.2 * 0.8 * (1010 + 20) / 1011) + 1, 10);
    const r = new RateBaseline(0.001, 1);
    expect(r.mean).toBeCloseTo(0.001, 12);
    r.add(99, 99_000);
    expect(r.mean).toBeCloseTo(100 / 100_000, 12);
    expect(r.upper(1000, 3)).toBeCloseTo(1 + 3 * Math.sqrt(1 + 1 / 100) + 1, 10);
  });
});
