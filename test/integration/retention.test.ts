// Retention on a real store. ClickHouse 18.16 has no TTL: exactly the partitions wholly older
// than each table's retention are dropped, and nothing else; a dry run changes nothing; a
// second run has nothing to do. Embedded chdb (current ClickHouse) gets a TTL instead.
import { inject, describe, expect, it } from 'vitest';
import { Metrics } from '../../lib/metrics.js';
import { migrate, openStore, type Store } from '../../lib/clickhouse/client.js';
import { runRetention } from '../../sinks/clickhouse/retention.js';
import { testConfig, uniqueName } from '../helpers.js';
import { chTime } from '../../lib/clickhouse/sql.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');
const DAY = 86_400_000;
const retention = { posts: 30, hashtag_minute: 400, watch_minute: 400, trends: 0, alerts: 0, alert_feedback: 0, erasure_requests: 0 };

async function q<T>(store: Store, query: string): Promise<T[]> {
  return (await store.query({ query, format: 'JSONEachRow' })).json<T>();
}

describe('migrations on the ClickHouse server (18.16)', () => {
  it('run again on every start without error: a column an ALTER adds is skipped once the table has it', async () => {
    const db = uniqueName('migrate');
    const store = openStore({ url: inject('clickhouseUrl'), database: db, username: 'default', password: '', path: '' });
    try {
      await migrate(store, db);
      await migrate(store, db);
      const cols = (await q<{ name: string }>(store, `DESCRIBE TABLE ${db}.posts`)).map((c) => c.name);
      expect(cols.filter((c) => ['negative', 'positive', 'toxic', 'toxicity', 'arousal'].includes(c))).toEqual(['negative', 'positive', 'toxic', 'toxicity', 'arousal']);
    } finally {
      await store.command({ query: `DROP DATABASE IF EXISTS ${db}` });
      await store.close();
    }
  });
});

describe('retention on the ClickHouse server (18.16, no TTL)', () => {
  it('drops exactly the partitions older than the retention, once', async () => {
    const db = uniqueName('retention');
    const store = openStore({ url: inject('clickhouseUrl'), database: db, username: 'default', password: '', path: '' });
    try {
      await migrate(store, db);
      // posts: one row per day at noon, 0…45 days back (46 day partitions); 30 days keeps days 0…30.
      const posts = Array.from({ length: 46 }, (_, d) => ({ platform: 'p', id: `d${d}`, author_id: 'a', text: 't', created_at: chTime(NOW - d * DAY) }));
      await store.insert({ table: `${db}.posts`, values: posts, format: 'JSONEachRow' });
      // hashtag_minute: one row a month, March 2025 to November 2026; 400 days keeps October 2025 on.
      const minutes = Array.from({ length: 21 }, (_, m) => ({ hashtag: 'x', minute: chTime(Date.UTC(2026, 10 - m, 15)), posts: 1 }));
      await store.insert({ table: `${db}.hashtag_minute`, values: minutes, format: 'JSONEachRow' });
      await store.insert({ table: `${db}.trends`, values: [{ id: 'old', hashtag: 'x', detected_at: chTime(Date.UTC(2020, 0, 1)) }], format: 'JSONEachRow' });

      const dry = await runRetention(store, { database: db, retention }, { dryRun: true, now: NOW });
      const expectedPosts = Array.from({ length: 15 }, (_, i) => new Date(NOW - (45 - i) * DAY).toISOString().slice(0, 10).replaceAll('-', ''));
      const expectedMonths = Array.from({ length: 7 }, (_, i) => { const d = new Date(Date.UTC(2026, 10 - 20 + i, 1)); return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`; });
      expect(dry.map((a) => [a.table, a.kind, a.partition])).toEqual([
        ...expectedPosts.map((p) => ['posts', 'drop_partition', p]),
        ...expectedMonths.map((p) => ['hashtag_minute', 'drop_partition', p]),
      ]);
      expect(expectedPosts.at(-1)).toBe('20261027');
      expect(expectedMonths.at(-1)).toBe('202509');
      expect((await q<{ n: string }>(store, `SELECT toString(count()) AS n FROM ${db}.posts`))[0]!.n).toBe('46');

      const metrics = new Metrics();
      const done = await runRetention(store, { database: db, retention }, { now: NOW, metrics });
      expect(done).toEqual(dry);
      const left = await q<{ id: string }>(store, `SELECT id FROM ${db}.posts ORDER BY created_at DESC`);
      expect(left.map((r) => r.id)).toEqual(Array.from({ length: 31 }, (_, d) => `d${d}`));
      expect((await q<{ n: string }>(store, `SELECT toString(count()) AS n FROM ${db}.hashtag_minute`))[0]!.n).toBe('14');
      expect((await q<{ m: string }>(store, `SELECT toString(min(minute)) AS m FROM ${db}.hashtag_minute`))[0]!.m).toBe('2025-10-15 00:00:00');
      expect((await q<{ n: string }>(store, `SELECT toString(count()) AS n FROM ${db}.trends`))[0]!.n).toBe('1'); // 0 days: kept forever
      const dropped = await metrics.registry.getSingleMetricAsString('trendstream_retention_dropped_partitions_total');
      expect(dropped).toContain('trendstream_retention_dropped_partitions_total{table="posts"} 15');
      expect(dropped).toContain('trendstream_retention_dropped_partitions_total{table="hashtag_minute"} 7');

      expect(await runRetention(store, { database: db, retention }, { now: NOW })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('retention on embedded chdb (TTL)', () => {
  it('sets a TTL per table, changes it only when the retention changes, and removes it at 0', async () => {
    const config = testConfig(uniqueName('retention_chdb'), 'chdb');
    const db = config.clickhouse.database;
    const store = openStore(config.clickhouse);
    try {
      await migrate(store, db);
      const ttl = async () => new Map((await q<{ name: string; e: string }>(store, `SELECT name, engine_full AS e FROM system.tables WHERE database = '${db}'`))
        .map((r) => [r.name, / TTL (.+?)(?: SETTINGS |$)/.exec(r.e)?.[1] ?? null]));
      const first = await runRetention(store, { database: db, retention });
      expect(first.map((a) => [a.table, a.kind])).toEqual([['posts', 'modify_ttl'], ['hashtag_minute', 'modify_ttl'], ['watch_minute', 'modify_ttl']]);
      expect(Object.fromEntries(await ttl())).toEqual({
        posts: 'created_at + toIntervalDay(30)', hashtag_minute: 'minute + toIntervalDay(400)', watch_minute: 'minute + toIntervalDay(400)',
        trends: null, alerts: null, alert_feedback: null, erasure_requests: null,
      });
      expect(await runRetention(store, { database: db, retention })).toEqual([]);
      const changed = await runRetention(store, { database: db, retention: { ...retention, posts: 0, trends: 90 } });
      expect(changed.map((a) => [a.table, a.kind])).toEqual([['posts', 'remove_ttl'], ['trends', 'modify_ttl']]);
      expect((await ttl()).get('posts')).toBeNull();
      expect((await ttl()).get('trends')).toBe('detected_at + toIntervalDay(90)');
    } finally {
      await store.close();
    }
  });
});
