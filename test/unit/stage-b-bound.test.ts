import { describe, expect, it } from 'vitest';
import { generate } from '../../sim/generator.js';
import { StageB } from '../../processors/stage-b.js';
import { detectPosts } from '../../processors/detect.js';
import { OVERFLOW_KEY } from '../../processors/windows.js';
import { topicNames } from '../../schemas/topics.js';
import { Metrics } from '../../lib/metrics.js';
import { createLogger } from '../../lib/log.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { asMessages, countsRecords } from '../partials.js';
import { decodeCounts } from '../../schemas/counts-codec.js';
import { decodeEvent } from '../../schemas/events-codec.js';

const M = 60_000;
const START = Date.parse('2026-11-23T06:00:00Z');
const LATENESS = 60_000;
const MAX_TAGS = 15;
const topics = topicNames('t.');

// Two hours over 400 tags with a burst and a firestorm: every minute holds more than MAX_TAGS distinct tags (watches are not bounded).
const posts = [...generate({
  seed: 5, start: START, minutes: 120, postsPerMinute: 100, tags: 400, rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
  events: [
    { kind: 'burst', tag: 'Sturmflut', at: START + 40 * M, peakPerMinute: 150, rampMinutes: 2, durationMinutes: 25, lang: 'de' },
    { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 70 * M, peakPerMinute: 150, rampMinutes: 3, durationMinutes: 30, tag: 'Bahnchaos' },
  ],
})];

describe('stage B with a bound on hashtags per minute', () => {
  it('folds the tags over the bound into the overflow key, counts them in the metric, and decides what detect decides with the same bound', async () => {
    const metrics = new Metrics();
    const b = new StageB({ topics, latenessMs: LATENESS, maxTagsPerMinute: MAX_TAGS, watches: () => EVAL_WATCHES, partitions: 1, metrics, log: createLogger('silent') });
    b.restore(0, null);
    const messages = asMessages(countsRecords(posts, LATENESS, EVAL_WATCHES));
    const out: ReturnType<StageB['process']>['messages'] = [];
    for (let i = 0; i < messages.length; i += 50) out.push(...b.process(0, messages.slice(i, i + 50)).messages);
    const of = (topic: string) => out.filter((o) => o.topic === topic).flatMap((o) => o.messages);
    const minutes = of(topics.minutes).map((m) => decodeCounts(m.value as Buffer)).flatMap((r) => ('partial' in r ? [r.partial] : []));
    const tagKeys = (minute: number) => minutes.filter((a) => a.minute === minute && a.key.startsWith('t:') && a.key !== OVERFLOW_KEY).length;
    const overflow = minutes.filter((a) => a.key === OVERFLOW_KEY);
    expect(overflow.length).toBeGreaterThan(100); // nearly every minute overflowed
    expect(Math.max(...minutes.map((a) => tagKeys(a.minute)))).toBe(MAX_TAGS);
    // No count lost: the tags' posts in the decided minutes add up to the hashtag uses of the posts counted.
    const decided = new Set(minutes.map((a) => a.minute));
    const uses = posts.filter((p) => decided.has(Math.floor(p.created_at / M) * M)).reduce((s, p) => s + p.hashtags.length, 0);
    const late = (await metrics.registry.getSingleMetric('trendstream_component_discarded_events_total')!.get()).values.length;
    expect(late).toBe(0); // so every post of a decided minute is counted
    expect(minutes.filter((a) => a.key.startsWith('t:')).reduce((s, a) => s + a.posts, 0)).toBe(uses);
    const counted = (await metrics.registry.getSingleMetric('trendstream_window_overflow_posts_total')!.get()).values[0]!.value;
    expect(counted).toBe(overflow.reduce((s, a) => s + a.posts, 0));
    // The overflow key never trends, and the live events equal detect's with the same bound.
    const live = [...of(topics.trends), ...of(topics.alerts)].map((m) => decodeEvent(m.value as Buffer));
    expect(live.some((e) => e.type === 'trend' && e.hashtag === '')).toBe(false);
    const offline = [...detectPosts(posts, { latenessMs: LATENESS, watches: EVAL_WATCHES, maxTagsPerMinute: MAX_TAGS })];
    expect(live.some((e) => e.type === 'alert')).toBe(true);
    const ids = (es: typeof live) => es.map((e) => e.id).sort();
    expect(ids(live)).toEqual(ids(offline));
  });
});
