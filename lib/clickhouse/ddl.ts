// The DDL of the store, generated from schemas/migrations/*.sql, the one place the tables
// are written down: as-is for a single server, or (clickhouse.cluster set) as Replicated
// tables per shard (`<name>_local`, ON CLUSTER) behind Distributed tables under the
// original names, so writers and readers use the same names everywhere. Pure. The cluster
// text runs on 18.16 with ZooKeeper in test/cluster/clickhouse-cluster.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ident } from './sql.js';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', 'migrations');

/** Each migration file's statements, in file order, with comments removed and `{db}` left in. */
export function migrationStatements(dir = migrationsDir): string[] {
  const out: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(path.join(dir, file), 'utf8').replace(/^--.*$/gm, '');
    out.push(...sql.split(';').map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

/**
 * How a table's rows spread over shards. Every copy of a row (a replay) must land on the shard
 * holding the original, so that Replacing engines and FINAL still deduplicate: shard by identity.
 */
export const SHARDING_KEYS: Record<string, string> = {
  posts: 'cityHash64(platform, id)',
  hashtag_minute: 'cityHash64(hashtag)',
  watch_minute: 'cityHash64(watch)',
  trends: 'cityHash64(hashtag)',
  alerts: 'cityHash64(watch)',
  alert_feedback: 'cityHash64(alert_id)',
  erasure_requests: 'cityHash64(platform, id)',
};

const CREATE = /^CREATE TABLE IF NOT EXISTS \{db\}\.(\w+)\s*\(([\s\S]*)\)\s*ENGINE\s*=\s*(\w*MergeTree)\(([^)]*)\)\s*([\s\S]*)$/;
const ALTER = /^ALTER TABLE \{db\}\.(\w+)\s+([\s\S]+)$/;

export interface TableDef {
  name: string;
  /** The DateTime column the table is partitioned by (`PARTITION BY toYYYYMM[DD](column)`): retention's clock. */
  timeColumn: string | null;
  /** Partition granularity: one day (`toYYYYMMDD`) or one month (`toYYYYMM`). */
  partitionBy: 'day' | 'month' | null;
}

/** The tables the migrations create, with what retention needs to know about each. */
export function tableDefs(statements = migrationStatements()): TableDef[] {
  const out: TableDef[] = [];
  for (const stmt of statements) {
    const m = CREATE.exec(stmt);
    if (!m) continue;
    const p = /PARTITION BY (toYYYYMMDD|toYYYYMM)\((\w+)\)/.exec(m[5]!);
    out.push({ name: m[1]!, timeColumn: p?.[2] ?? null, partitionBy: p ? (p[1] === 'toYYYYMMDD' ? 'day' : 'month') : null });
  }
  return out;
}

/**
 * The statements `migrate` runs, `{db}` replaced. With a cluster: the database ON CLUSTER,
 * each `CREATE TABLE` as `<name>_local` with the Replicated engine (ZooKeeper path per shard
 * and table, replica from each server's `<macros>`), each `ALTER TABLE` applied to the local
 * table, and last a Distributed table under each original name, `AS` its local table so it
 * has every column the ALTERs added. (18.16 refuses `ALTER … ON CLUSTER` on a Distributed
 * table of a replicated shard; `migrate` recreates a Distributed table that lacks a column.)
 * Throws on a statement it cannot translate, so a migration never silently differs between
 * the two layouts.
 */
export function ddl(database: string, cluster?: string, statements = migrationStatements()): string[] {
  const db = ident(database);
  if (!cluster) return [`CREATE DATABASE IF NOT EXISTS ${db}`, ...statements.map((s) => s.replaceAll('{db}', db))];
  const c = ident(cluster);
  const out = [`CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${c}`];
  const distributed: string[] = [];
  for (const stmt of statements) {
    const create = CREATE.exec(stmt);
    const alter = ALTER.exec(stmt);
    if (create) {
      const [, name, columns, engine, args, rest] = create as unknown as [string, string, string, string, string, string];
      const key = SHARDING_KEYS[name];
      if (!key) throw new Error(`table ${name} has no sharding key for cluster mode: add one to SHARDING_KEYS in lib/clickhouse/ddl.ts`);
      const replicated = [`'/clickhouse/tables/{shard}/${db}/${name}'`, `'{replica}'`, ...(args.trim() ? [args.trim()] : [])].join(', ');
      out.push(`CREATE TABLE IF NOT EXISTS ${db}.${name}_local ON CLUSTER ${c} (${columns}) ENGINE = Replicated${engine}(${replicated}) ${rest}`.replaceAll('{db}', db));
      distributed.push(`CREATE TABLE IF NOT EXISTS ${db}.${name} ON CLUSTER ${c} AS ${db}.${name}_local ENGINE = Distributed(${c}, ${db}, ${name}_local, ${key})`);
    } else if (alter) {
      out.push(`ALTER TABLE ${db}.${alter[1]}_local ON CLUSTER ${c} ${alter[2]}`.replaceAll('{db}', db));
    } else {
      throw new Error(`cannot translate this migration statement for a cluster (only CREATE TABLE … MergeTree and ALTER TABLE are): ${stmt.slice(0, 120)}`);
    }
  }
  return [...out, ...distributed];
}

/** A Distributed table's CREATE from `ddl`: database, table and cluster, for `migrate` to check it against its local table. */
export const DISTRIBUTED = /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+) ON CLUSTER (\w+) AS \w+\.\w+_local ENGINE = Distributed\(/;

/**
 * Where a data-changing ALTER (DELETE, UPDATE, DROP PARTITION, MODIFY TTL) goes: the table
 * itself, or on a cluster the Replicated tables behind the Distributed one.
 */
export function alterTarget(database: string, table: string, cluster?: string): string {
  return cluster ? `${ident(database)}.${ident(table)}_local ON CLUSTER ${ident(cluster)}` : `${ident(database)}.${ident(table)}`;
}
