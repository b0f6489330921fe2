// The backbone's promise: 100,000 generated posts through ingest → Kafka → stage A → stage B
// → ClickHouse, on the ClickHouse server and on embedded chdb: exactly 100,000 distinct
// posts and per-(hashtag, minute) counts equal to the generator's truth; the same posts
// sent a second time change no count.
import { describe, expect, it } from 'vitest';
import { generate } from '../../sim/generator.js';
import { postKey, type Post } from '../../schemas/post.js';
import { enrich } from '../../processors/aggregate.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline } from '../../app/pipeline.js';
import type { Store } from '../../lib/clickhouse/client.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { closingPosts, countTruth } from '../truth.js';

const N = 100_000;
const START = Date.parse('2026-11-27T08:00:00Z');

async function q<T>(store: Store, query: string): Promise<T[]> {
  return (await store.query({ query, format: 'JSONEachRow' })).json<T>();
}

async function tagMinutes(store: Store, db: string): Promise<Map<string, number>> {
  const rows = await q<{ hashtag: string; m: string; posts: string }>(store,
    `SELECT hashtag, toString(toUnixTimestamp(minute) * 1000) AS m, toString(posts) AS posts FROM ${db}.hashtag_minute FINAL`);
  return new Map(rows.map((r) => [`${r.hashtag}|${r.m}`, Number(r.posts)]));
}

for (const store of ['server', 'chdb'] as const) {
  describe(`backbone on ${store === 'server' ? 'the ClickHouse server' : 'embedded chdb'}`, () => {
    it('lands exactly 100,000 distinct posts and the true per-(hashtag, minute) counts, and a resend changes nothing', async () => {
      const name = uniqueName(`backbone_${store}`);
      const config = testConfig(name, store);
      const metrics = new Metrics();
      const pipeline = await startPipeline({ config, roles: ['ingest', 'process', 'sink'], log: testLogger(), metrics, http: false });
      try {
        const posts: Post[] = [...generate({ seed: 7, start: START, minutes: 120, postsPerMinute: 1000, rhythm: false, disorderMs: 20_000 })].slice(0, N - 60);
        const last = posts.reduce((m, p) => Math.max(m, p.created_at), 0);
        const all = [...posts, ...closingPosts(last)];
        expect(all).toHaveLength(N);
        const truth = countTruth(all);
        expect(truth.posts).toBe(N);

        const send = async () => { for (let i = 0; i < all.length; i += 5000) await pipeline.producer!.send(all.slice(i, i + 5000)); };
        await send();
        const db = config.clickhouse.database;
        const s = pipeline.store!;
        const totalTagPosts = [...truth.tagMinutes.values()].reduce((a, b) => a + b, 0);
        await waitFor(async () => (await q<{ n: string }>(s, `SELECT toString(count()) AS n FROM ${db}.posts FINAL`))[0]!.n, (n) => Number(n) === N);
        await waitFor(async () => (await q<{ n: string }>(s, `SELECT toString(sum(posts)) AS n FROM ${db}.hashtag_minute FINAL`))[0]!.n, (n) => Number(n) === totalTagPosts);
        expect(await tagMinutes(s, db)).toEqual(truth.tagMinutes);
        // The posts table holds the language and scores stage A counted with, computed once there.
        type Scored = { platform: string; id: string; lang: string; sentiment: number; negative: number; positive: number; toxic: number; toxicity: number; arousal: number };
        const stored = await q<Scored>(s, `SELECT platform, id, lang, sentiment, negative, positive, toxic, toxicity, arousal FROM ${db}.posts FINAL ORDER BY platform, id LIMIT 2000`);
        const byKey = new Map(all.map((p) => [postKey(p), p]));
        const f = Math.fround;
        expect(stored).toHaveLength(2000);
        expect(stored.map((r) => ({ ...r, sentiment: f(r.sentiment), toxicity: f(r.toxicity), arousal: f(r.arousal) }))).toEqual(stored.map((r) => {
          const { lang, scores: c } = enrich(byKey.get(`${r.platform}:${r.id}`)!, null);
          return { platform: r.platform, id: r.id, lang, sentiment: f(c.sentiment), negative: Number(c.negative), positive: Number(c.positive), toxic: Number(c.toxic), toxicity: f(c.toxicity), arousal: f(c.arousal) };
        }));

        await send();
        // Wait until stage A and the posts sink have seen the resend, then check nothing moved.
        await waitFor(async () => (await q<{ n: string }>(s, `SELECT toString(count()) AS n FROM ${db}.posts`))[0]!.n, (n) => Number(n) >= N, 60_000);
        await waitFor(async () => (await metrics.registry.getSingleMetricAsString('trendstream_component_discarded_events_total')),
          (txt) => /reason="late"\} (\d+)/.test(txt) && Number(/reason="late"\} (\d+)/.exec(txt)![1]) + Number(/reason="duplicate"\} (\d+)/.exec(txt)?.[1] ?? 0) >= N - 60, 120_000);
        expect((await q<{ n: string }>(s, `SELECT toString(count()) AS n FROM ${db}.posts FINAL`))[0]!.n).toBe(String(N));
        expect((await q<{ n: string }>(s, `SELECT toString(uniqExact(platform, id)) AS n FROM ${db}.posts`))[0]!.n).toBe(String(N));
        expect(await tagMinutes(s, db)).toEqual(truth.tagMinutes);

        // At rest every consumer is caught up, also those reading stage A's and stage B's
        // transactional topics, whose partitions end in a commit marker rather than a record.
        const lag = await waitFor(async () => (await metrics.lag.get()).values, (v) => v.length > 0 && v.every((x) => x.value === 0), 30_000).catch(async () => (await metrics.lag.get()).values);
        const consumers = new Set(lag.map((v) => `${v.labels.component_id} ${v.labels.topic}`));
        expect([...consumers].sort()).toEqual(expect.arrayContaining([`stage-a ${pipeline.topics.posts}`, `stage-b ${pipeline.topics.counts}`, `sink-minutes ${pipeline.topics.minutes}`]));
        expect(lag.filter((v) => v.value !== 0).map((v) => `${v.labels.component_id} ${v.labels.topic}/${v.labels.partition}: ${v.value}`)).toEqual([]);
      } finally {
        await pipeline.close();
      }
    });
  });
}
