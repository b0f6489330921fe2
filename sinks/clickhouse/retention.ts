// Retention per table (clickhouse.retention, days; 0 keeps forever). Servers with TTL
// (ClickHouse ≥ 19.6, chdb) get `MODIFY TTL <time column> + INTERVAL n DAY` and expire rows
// themselves; ClickHouse 18.16 has no TTL, so the sink worker drops whole partitions whose
// span lies entirely before the cut-off, on a schedule (RetentionJob) or once (`trendstream
// retention`). A partition is dropped only when every row it can hold is expired.
import type { Logger } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { Store } from '../../lib/clickhouse/client.js';
import { alterTarget, tableDefs } from '../../lib/clickhouse/ddl.js';
import { ident, quote } from '../../lib/clickhouse/sql.js';

const DAY = 86_400_000;

export interface RetentionOptions {
  database: string;
  cluster?: string;
  /** Days per table; tables not named, or 0, are kept forever. */
  retention: Record<string, number>;
}

export interface RetentionAction {
  table: string;
  kind: 'drop_partition' | 'modify_ttl' | 'remove_ttl';
  /** The partition id (`20261127`, `202611`) for drop_partition. */
  partition?: string;
  sql: string;
}

/** End (exclusive, UTC ms) of a day (`YYYYMMDD`) or month (`YYYYMM`) partition id; null for any other id. */
export function partitionEnd(id: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})?$/.exec(id);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), m[3] === undefined ? null : Number(m[3])];
  if (mo < 1 || mo > 12 || (d !== null && (d < 1 || d > 31))) return null;
  return d === null ? Date.UTC(y, mo, 1) : Date.UTC(y, mo - 1, d + 1);
}

/** The partitions among `ids` whose whole span ends at or before `now - days`. */
export function expiredPartitions(ids: readonly string[], days: number, now: number): string[] {
  if (days <= 0) return [];
  const cutoff = now - days * DAY;
  return ids.filter((id) => { const end = partitionEnd(id); return end !== null && end <= cutoff; }).sort();
}

/** True when the server supports table TTL (ClickHouse 19.6 and later; chdb). */
export async function serverHasTtl(store: Store): Promise<boolean> {
  const [row] = await (await store.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
  const [major = 0, minor = 0] = (row?.v ?? '').split('.').map(Number);
  return major > 19 || (major === 19 && minor >= 6);
}

async function rows<T>(store: Store, query: string): Promise<T[]> {
  return (await store.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** What retention would do now: TTL changes where the server has TTL, otherwise partition drops. Reads only. */
export async function planRetention(store: Store, o: RetentionOptions, now = Date.now()): Promise<RetentionAction[]> {
  const ttl = await serverHasTtl(store);
  const db = ident(o.database);
  const actions: RetentionAction[] = [];
  for (const t of tableDefs()) {
    const days = o.retention[t.name] ?? 0;
    if (!t.timeColumn || !t.partitionBy) continue;
    const target = alterTarget(db, t.name, o.cluster);
    const local = o.cluster ? `${t.name}_local` : t.name;
    if (ttl) {
      const [info] = await rows<{ engine_full: string }>(store, `SELECT engine_full FROM system.tables WHERE database = ${quote(db)} AND name = ${quote(local)}`);
      const current = / TTL (.+?)(?: SETTINGS |$)/.exec(info?.engine_full ?? '')?.[1];
      const want = days > 0 ? `${t.timeColumn} + toIntervalDay(${days})` : undefined;
      if (want && current !== want) actions.push({ table: t.name, kind: 'modify_ttl', sql: `ALTER TABLE ${target} MODIFY TTL ${t.timeColumn} + INTERVAL ${days} DAY` });
      if (!want && current) actions.push({ table: t.name, kind: 'remove_ttl', sql: `ALTER TABLE ${target} REMOVE TTL` });
      continue;
    }
    if (days <= 0) continue;
    const parts = o.cluster ? `cluster(${ident(o.cluster)}, system, parts)` : 'system.parts';
    const ids = (await rows<{ p: string }>(store, `SELECT DISTINCT partition_id AS p FROM ${parts} WHERE database = ${quote(db)} AND table = ${quote(local)} AND active`)).map((r) => r.p);
    for (const p of expiredPartitions(ids, days, now)) {
      // Partition ids of toYYYYMM[DD] are plain digits (checked by partitionEnd), safe as a literal.
      actions.push({ table: t.name, kind: 'drop_partition', partition: p, sql: `ALTER TABLE ${target} DROP PARTITION ${p}` });
    }
  }
  return actions;
}

/** Plans and applies retention once; returns what it did. Errors propagate (nothing is half-hidden). */
export async function runRetention(store: Store, o: RetentionOptions, opts: { dryRun?: boolean; now?: number; metrics?: Metrics } = {}): Promise<RetentionAction[]> {
  const actions = await planRetention(store, o, opts.now);
  if (opts.dryRun) return actions;
  for (const a of actions) {
    await store.command({ query: a.sql });
    if (a.kind === 'drop_partition') opts.metrics?.retentionDroppedPartitions.inc({ table: a.table });
  }
  opts.metrics?.retentionLastSuccess.set(Date.now() / 1000);
  return actions;
}

/**
 * Runs retention at start and then every `intervalMs` in the background (in every sink
 * worker: the actions are idempotent, so several workers doing them is harmless). A failed
 * run is counted and logged, and retried at the next interval.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly store: Store, private readonly o: RetentionOptions & { intervalMs: number; metrics: Metrics; log: Logger }) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.running) return;
    this.running = runRetention(this.store, this.o, { metrics: this.o.metrics })
      .then((actions) => { if (actions.length) this.o.log.info({ actions: actions.map((a) => `${a.table}:${a.kind}${a.partition ? `:${a.partition}` : ''}`) }, 'retention applied'); })
      .catch((e) => {
        this.o.metrics.errors.inc({ component_kind: 'sink', component_id: 'retention', error_type: 'clickhouse', stage: 'sending' });
        this.o.log.warn({ err: e }, 'retention run failed; retrying at the next interval');
      })
      .finally(() => { this.running = null; });
  }

  /** Stops the schedule and waits for a run in progress. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
