// The store's DDL comes from schemas/migrations alone: unchanged on one server, and on a
// cluster (clickhouse.cluster) Replicated tables per shard behind Distributed tables under
// the names the code queries. The cluster text runs on 18.16 with ZooKeeper in test/cluster.
import { describe, expect, it } from 'vitest';
import { alterTarget, ddl, migrationStatements, SHARDING_KEYS, tableDefs } from '../../lib/clickhouse/ddl.js';

const flat = (s: string) => s.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

describe('ddl', () => {
  it('runs the migrations unchanged on a single server, {db} replaced', () => {
    const stmts = migrationStatements();
    expect(ddl('ts')).toEqual(['CREATE DATABASE IF NOT EXISTS ts', ...stmts.map((s) => s.replaceAll('{db}', 'ts'))]);
    expect(ddl('ts').join('\n')).not.toMatch(/ON CLUSTER|Replicated|Distributed|\{db\}/);
  });

  it('turns each table into a Replicated <name>_local per shard behind a Distributed <name>', () => {
    const out = ddl('ts', 'main').map(flat);
    expect(out[0]).toBe('CREATE DATABASE IF NOT EXISTS ts ON CLUSTER main');
    const posts = out.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS ts.posts_local'))!;
    expect(posts).toMatch(/^CREATE TABLE IF NOT EXISTS ts\.posts_local ON CLUSTER main \(platform String, id String, created_at DateTime\('UTC'\),/);
    expect(posts).toMatch(/\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/ts\/posts', '\{replica\}'\) PARTITION BY toYYYYMMDD\(created_at\) ORDER BY \(toStartOfHour\(created_at\), platform, id\)$/);
    expect(out).toContain('CREATE TABLE IF NOT EXISTS ts.posts ON CLUSTER main AS ts.posts_local ENGINE = Distributed(main, ts, posts_local, cityHash64(platform, id))');
    expect(out.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS ts.alert_feedback_local'))).toMatch(/ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/ts\/alert_feedback', '\{replica\}'\)/);
    const tables = tableDefs().map((t) => t.name);
    expect(tables).toEqual(['posts', 'hashtag_minute', 'watch_minute', 'trends', 'alerts', 'alert_feedback', 'erasure_requests']);
    // Each ALTER (004: the posts table's text-score columns) goes to the local table, before any Distributed table is made AS it.
    const added = ['positive UInt8 AFTER negative', 'toxicity Float32 AFTER toxic', 'arousal Float32 AFTER toxicity'];
    const firstDistributed = out.findIndex((s) => s.includes('ENGINE = Distributed'));
    for (const col of added) {
      expect(out.indexOf(`ALTER TABLE ts.posts_local ON CLUSTER main ADD COLUMN ${col}`)).toBeGreaterThan(0);
      expect(out.indexOf(`ALTER TABLE ts.posts_local ON CLUSTER main ADD COLUMN ${col}`)).toBeLessThan(firstDistributed);
    }
    expect(out.join('\n')).not.toMatch(/ALTER TABLE ts\.posts ON CLUSTER/);
    expect(out).toHaveLength(1 + 2 * tables.length + added.length);
    for (const t of tables) {
      expect(out.filter((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ts.${t}_local ON CLUSTER main (`))).toHaveLength(1);
      expect(out).toContain(`CREATE TABLE IF NOT EXISTS ts.${t} ON CLUSTER main AS ts.${t}_local ENGINE = Distributed(main, ts, ${t}_local, ${SHARDING_KEYS[t]})`);
    }
  });

  it('keeps the column list of each migration verbatim in the local table', () => {
    const single = ddl('ts').map(flat);
    const cluster = ddl('ts', 'main').map(flat);
    for (const { name } of tableDefs()) {
      const cols = (s: string) => /\((.*)\) ENGINE/.exec(s)![1];
      expect(cols(cluster.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ts.${name}_local`))!)).toBe(cols(single.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ts.${name} (`))!));
    }
  });

  it('applies an ALTER TABLE migration to the local table only (18.16 refuses ALTER ON CLUSTER of a Distributed table in a replicated shard)', () => {
    expect(ddl('ts', 'main', ['ALTER TABLE {db}.posts ADD COLUMN IF NOT EXISTS x String'])).toEqual([
      'CREATE DATABASE IF NOT EXISTS ts ON CLUSTER main',
      'ALTER TABLE ts.posts_local ON CLUSTER main ADD COLUMN IF NOT EXISTS x String',
    ]);
  });

  it('refuses what it cannot translate, a table without sharding key, and names that are not identifiers', () => {
    expect(() => ddl('ts', 'main', ['CREATE MATERIALIZED VIEW {db}.mv TO {db}.x AS SELECT 1'])).toThrow(/cannot translate this migration statement/);
    expect(() => ddl('ts', 'main', ['CREATE TABLE IF NOT EXISTS {db}.extra (a String) ENGINE = MergeTree() ORDER BY a'])).toThrow(/extra has no sharding key/);
    expect(() => ddl('ts', 'main; DROP')).toThrow(/invalid SQL identifier/);
    expect(() => ddl('t-s')).toThrow(/invalid SQL identifier/);
  });

  it('sends data-changing ALTERs to the local tables on a cluster', () => {
    expect(alterTarget('ts', 'posts')).toBe('ts.posts');
    expect(alterTarget('ts', 'posts', 'main')).toBe('ts.posts_local ON CLUSTER main');
  });

  it('knows each table\'s time column and partition size from PARTITION BY', () => {
    expect(tableDefs().map((t) => [t.name, t.timeColumn, t.partitionBy])).toEqual([
      ['posts', 'created_at', 'day'], ['hashtag_minute', 'minute', 'month'], ['watch_minute', 'minute', 'month'],
      ['trends', 'detected_at', 'month'], ['alerts', 'detected_at', 'month'], ['alert_feedback', 'created_at', 'month'],
      ['erasure_requests', 'requested_at', 'month'],
    ]);
  });
});
