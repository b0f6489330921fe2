import { describe, expect, it } from 'vitest';
import { quantile, scoreKind } from '../../bench/score.js';
import type { Labels } from '../../sim/generator.js';
import type { DetectionEvent, TrendEvent } from '../../schemas/events.js';

const trend = (hashtag: string, at: string, inauthentic = false, state: TrendEvent['state'] = 'started'): DetectionEvent => ({
  id: `trend:${hashtag}:${at}`, type: 'trend', state, hashtag, detected_at: at, window_start: at, window_end: at,
  posts: 1, authors: 1, velocity: 1, score: 1, inauthentic,
});
const labels: Labels = {
  trends: [
    { hashtag: 'a', onset: '2026-11-27T10:00:00Z', inauthentic: false },
    { hashtag: 'b', onset: '2026-11-27T10:00:00Z', inauthentic: false },
    { hashtag: 'bots', onset: '2026-11-27T10:00:00Z', inauthentic: true },
  ],
  optional_trends: ['maybe'], firestorms: [], ignore_trends: false,
};

describe('scoring (CONTRACTS §5)', () => {
  it('catches within onset − 60 s … onset + 15 min, counts extra episodes and unlabelled keys as false positives', () => {
    const s = scoreKind('trend', [
      trend('a', '2026-11-27T10:02:00Z'), trend('a', '2026-11-27T10:02:00Z', false, 'updated'), trend('a', '2026-11-27T11:00:00Z'),
      trend('b', '2026-11-27T10:16:00Z'), trend('maybe', '2026-11-27T10:05:00Z'), trend('noise', '2026-11-27T10:05:00Z'),
    ], labels);
    expect(s.caught).toBe(1);
    expect(s.labelled).toBe(2);
    expect(s.delaysMs).toEqual([120_000]);
    expect(s.falsePositives).toBe(3); // a's second episode, b too late, noise
    expect(s.missed).toEqual(['b']);
  });
  it('counts an inauthentic trend caught when flagged or not detected, and a false positive when detected as organic', () => {
    expect(scoreKind('trend', [], labels).inauthentic).toEqual({ labelled: 1, caught: 1 });
    expect(scoreKind('trend', [trend('bots', '2026-11-27T10:01:00Z', true)], labels).inauthentic.caught).toBe(1);
    const organic = scoreKind('trend', [trend('bots', '2026-11-27T10:01:00Z', false)], labels);
    expect(organic.inauthentic.caught).toBe(0);
    expect(organic.falsePositives).toBe(1);
  });
  it('ignores trends entirely when asked', () => {
    expect(scoreKind('trend', [trend('noise', '2026-11-27T10:00:00Z')], { ...labels, ignore_trends: true }).falsePositives).toBe(0);
    expect(scoreKind('trend', [], { ...labels, ignore_trends: true }).labelled).toBe(0);
  });
  it('interpolates quantiles', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1);
  });
});
