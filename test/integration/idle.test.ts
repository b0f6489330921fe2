// Quiet partitions (README, Event time): posts land in only two of the six `posts` partitions.
// Stage B's watermark is the minimum over every partition, so without the idle rule it would
// decide nothing at all; with it, the four empty partitions are reported idle and the minutes
// of the two busy ones are decided with exact counts. A partition that then gets posts takes
// part again, and its posts count.
import { describe, expect, it } from 'vitest';
import { generate } from '../../sim/generator.js';
import { postKey, type Post } from '../../schemas/post.js';
import { murmur2 } from '../../lib/kafka/patch.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline } from '../../app/pipeline.js';
import { minuteOf } from '../../processors/stream-time.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { countTruth } from '../truth.js';

const START = Date.parse('2026-11-27T08:00:00Z');
const M = 60_000;
const LATENESS = 30_000;
const PARTITIONS = 6;
/** The partition the ingest producer's default partitioner picks for a post. */
const partitionOf = (p: Post) => (murmur2(postKey(p)) & 0x7fffffff) % PARTITIONS;

describe('idle posts partitions', () => {
  it('decides the minutes of the busy partitions while the others are empty, and counts a partition that wakes up', async () => {
    const name = uniqueName('idle');
    const config = testConfig(name, 'server', { kafka: { postsPartitions: PARTITIONS, countsPartitions: 3 }, processor: { latenessMs: LATENESS, idleMs: 1000 } });
    const pipeline = await startPipeline({ config, roles: ['ingest', 'process', 'sink'], log: testLogger(), metrics: new Metrics(), http: false });
    const store = pipeline.store!;
    const db = config.clickhouse.database;
    /** Posts per (hashtag, minute) in ClickHouse for the minutes before `cutoff`. */
    const stored = async (cutoff: number) => Object.fromEntries((await (await store.query({
      query: `SELECT hashtag, toString(toUnixTimestamp(minute) * 1000) AS m, toString(posts) AS n FROM ${db}.hashtag_minute FINAL WHERE minute < toDateTime(${cutoff / 1000})`,
      format: 'JSONEachRow' })).json<{ hashtag: string; m: string; n: string }>()).map((r) => [`${r.hashtag}|${r.m}`, Number(r.n)]));
    const truthBefore = (posts: Post[], cutoff: number) => Object.fromEntries([...countTruth(posts).tagMinutes].filter(([k]) => Number(k.split('|')[1]) < cutoff));
    const size = (o: object) => Object.keys(o).length;
    /** The first minute the watermark of these partitions' posts does not pass (every earlier one is decided). */
    const cutoffOf = (posts: Post[], parts: number[]) => minuteOf(Math.min(...parts.map((q) => Math.max(...posts.filter((p) => partitionOf(p) === q).map((p) => p.created_at)))) - LATENESS);
    try {
      const all = [...generate({ seed: 11, start: START, minutes: 12, postsPerMinute: 300, rhythm: false, disorderMs: 0 })];
      // Phase 1: minutes 0-5, only partitions 0 and 1 get posts.
      const first = all.filter((p) => p.created_at < START + 6 * M && partitionOf(p) <= 1);
      expect(new Set(first.map(partitionOf))).toEqual(new Set([0, 1]));
      await pipeline.producer!.send(first);
      const cut1 = cutoffOf(first, [0, 1]);
      expect(cut1).toBeGreaterThanOrEqual(START + 4 * M);
      const want1 = truthBefore(first, cut1);
      expect(size(want1)).toBeGreaterThan(50);
      expect(await waitFor(() => stored(cut1), (got) => size(got) >= size(want1), 90_000).catch(async () => stored(cut1))).toEqual(want1);

      // Phase 2: minutes 6-11 in partitions 0-2; partition 2 wakes up and its posts count.
      const second = all.filter((p) => p.created_at >= START + 6 * M && partitionOf(p) <= 2);
      await pipeline.producer!.send(second);
      const both = [...first, ...second];
      const cut2 = cutoffOf(second, [0, 1, 2]);
      expect(cut2).toBeGreaterThanOrEqual(START + 10 * M);
      const want2 = truthBefore(both, cut2);
      expect(Object.keys(want2).filter((k) => Number(k.split('|')[1]) >= START + 6 * M).length).toBeGreaterThan(50);
      expect(await waitFor(() => stored(cut2), (got) => size(got) >= size(want2), 90_000).catch(async () => stored(cut2))).toEqual(want2);
    } finally {
      await pipeline.close();
    }
  });
});
