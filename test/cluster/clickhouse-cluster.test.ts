// The pipeline on a ClickHouse cluster (issue 21): one shard, two replicas of 18.16 and
// ZooKeeper; `migrate` with clickhouse.cluster makes Replicated tables behind Distributed
// ones, the sink writes through the Distributed tables, and replica 2 is stopped mid-run and
// started again. Afterwards each replica holds every post and every minute count exactly as the
// generator's truth has them, and the query API gives the same truthful answers through either
// server. Runs on the 3-node Kafka cluster, with the topics as ensureTopics creates them
// (partition leaders spread over the nodes).
import Fastify from 'fastify';
import { describe, expect, inject, it } from 'vitest';
import { clickHouseCluster } from '../../deploy/local/clickhouse.js';
import { migrate, openStore } from '../../lib/clickhouse/client.js';
import { registerApi } from '../../serve/api.js';
import { WatchStore } from '../../serve/watch-store.js';
import { q, runCase } from '../fault-case.js';
import { testLogger, waitFor } from '../helpers.js';
import { clusterWorkload } from './workload.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('ClickHouse cluster (one shard, two replicas)', () => {
  it('writes through Distributed tables; a replica stopped mid-run and restarted ends with every row exactly once, and the API answers through either server', async () => {
    const spec = inject('clickhouseClusterSpec');
    const ch = clickHouseCluster(spec);
    const w = clusterWorkload();
    let stoppedAt = 0;
    let downMs = 0;
    await runCase({
      name: 'chreplica', workload: w, feedSeconds: 60, brokers: inject('kafkaBrokers'), clickhouseUrl: ch.urls[0]!, cluster: ch.cluster,
      kafka: { replicationFactor: 3, minInsyncReplicas: 2 },
      after: async ({ config }) => {
        const db = config.clickhouse.database;
        const total = [...w.truth.tagMinutes.values()].reduce((a, b) => a + b, 0);
        const tagNames = [...new Set([...w.truth.tagMinutes.keys()].map((k) => k.split('|')[0]!))];
        const tag = tagNames.sort((a, b) => countOf(w, b) - countOf(w, a))[0]!;
        const minutes = [...w.truth.tagMinutes.keys()].map((k) => Number(k.split('|')[1]));
        const [from, to] = [Math.min(...minutes), Math.max(...minutes) + 60_000];
        for (const url of ch.urls) {
          const store = openStore({ url, database: db, username: 'default', password: '', path: '' });
          try {
            // Each replica's own table (not the Distributed one): what replication gave it.
            await waitFor(async () => [(await q<{ n: string }>(store, `SELECT toString(count()) AS n FROM ${db}.posts_local FINAL`))[0]!.n,
              (await q<{ n: string }>(store, `SELECT toString(sum(posts)) AS n FROM ${db}.hashtag_minute_local FINAL`))[0]!.n],
            ([p, t]) => Number(p) === w.truth.posts && Number(t) === total, 180_000, 1000);
            expect(Number((await q<{ n: string }>(store, `SELECT toString(uniqExact(platform, id)) AS n FROM ${db}.posts_local`))[0]!.n)).toBe(w.truth.posts);
            const rows = await q<{ k: string; posts: string }>(store, `SELECT concat(hashtag, '|', toString(toUnixTimestamp(minute) * 1000)) AS k, toString(posts) AS posts FROM ${db}.hashtag_minute_local FINAL`);
            expect(new Map(rows.map((r) => [r.k, Number(r.posts)]))).toEqual(w.truth.tagMinutes);
            const ids = (await q<{ id: string }>(store, `SELECT id FROM ${db}.trends_local FINAL UNION ALL SELECT id FROM ${db}.alerts_local FINAL`)).map((r) => r.id).sort();
            expect(ids).toEqual(w.expected.map((e) => e.id).sort());

            // The query API on this server.
            const app = Fastify();
            registerApi(app, { store, database: db, watches: new WatchStore({ watches: w.watches }), tokens: { read: [], admin: [], open: true }, log: testLogger() });
            const series = (await app.inject({ url: `/v1/hashtags/${tag}/series?from=${iso(from)}&to=${encodeURIComponent(iso(to))}` })).json();
            expect(series.hashtag).toBe(tag);
            for (const p of series.points) expect(p.posts).toBe(w.truth.tagMinutes.get(`${tag}|${Date.parse(p.minute)}`) ?? 0);
            expect(series.total_posts).toBe(countOf(w, tag));
            const alerts = (await app.inject({ url: '/v1/alerts?state=all' })).json().alerts as { watch: string }[];
            expect(alerts.map((a) => a.watch).sort()).toEqual([...new Set(w.expected.filter((e) => e.type === 'alert').map((e) => (e as { watch: string }).watch))].sort());
            await app.close();
          } finally { await store.close(); }
        }
        console.log(JSON.stringify({ fault: 'ClickHouse replica stopped and restarted', down_ms: downMs, posts: w.truth.posts, lost: 0, counted_twice: 0 }));
      },
    }, () => [
      [0.3, async () => { stoppedAt = Date.now(); await ch.replicas[1]!.stop(); }],
      [0.65, async () => { await ch.replicas[1]!.start(); downMs = Date.now() - stoppedAt; }],
    ]);
    // migrate is idempotent on the cluster: a second run changes nothing and fails on nothing.
    const store = openStore({ url: ch.urls[1]!, database: 'default', username: 'default', password: '', path: '', cluster: ch.cluster });
    try { await migrate(store, `idem_${process.pid}`, ch.cluster); await migrate(store, `idem_${process.pid}`, ch.cluster); } finally { await store.close(); }
  });
});

function countOf(w: ReturnType<typeof clusterWorkload>, tag: string): number {
  let n = 0;
  for (const [k, v] of w.truth.tagMinutes) if (k.startsWith(`${tag}|`)) n += v;
  return n;
}
