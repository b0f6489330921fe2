// ClickHouse sink: consumes a topic in batches, writes the rows of the batches in
// flight together (one insert per table per flush: every insert is a part ClickHouse must
// merge later, so many small ones cost it more than the rows do), and commits a batch's
// offsets only after ClickHouse acknowledged the insert that held its rows. Replays after a
// crash write the same rows again; Replacing engines and FINAL make that idempotent. Rows of
// erased posts and authors are dropped before the insert, never written (erasure.ts). Rows go
// as TabSeparated: JSONEachRow's encoding was the largest part of the sink's CPU.
import { Readable } from 'node:stream';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { tabSeparated } from '../../lib/clickhouse/sql.js';
import { exitOnFatalCrash, trackLag } from '../../lib/kafka/client.js';
import type { Logger } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { Store } from '../../lib/clickhouse/client.js';
import type { Erasures } from './erasure.js';

/** Rows per table. */
export type Tables = Map<string, Record<string, unknown>[]>;
export type RowMapper = (messages: KafkaMessage[], partition: number) => Tables;

export interface ClickHouseSinkOptions {
  id: string;
  groupId: string;
  topic: string;
  database: string;
  store: Store;
  toRows: RowMapper;
  metrics: Metrics;
  log: Logger;
  /** For tables with personal data (posts, alerts): drop and redact erased rows, and settle late erasures before committing. */
  erasures?: Erasures;
  /** How long the first rows wait for other partitions' batches before the insert (config `sink.flushMs`). */
  lingerMs: number;
  /** Rows that trigger the insert at once (config `sink.batchRows`). */
  maxRows: number;
}

/** Rows waiting for one insert per table, and the batches that wait on it. */
interface Flush { tables: Tables; rows: number; timer: NodeJS.Timeout; done: Deferred }
interface Deferred { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }

function deferred(): Deferred {
  const d = {} as Deferred;
  d.promise = new Promise<void>((resolve, reject) => { d.resolve = resolve; d.reject = reject; });
  return d;
}

export interface SharedInsertOptions {
  store: Pick<Store, 'insert'>;
  database: string;
  lingerMs: number;
  maxRows: number;
  /** Called once per failed insert (every batch that waited on it then fails). */
  onError: (e: unknown, table: string, rows: number) => void;
}

/**
 * The rows of the batches in flight, gathered into one insert per table: the first rows wait
 * `lingerMs` for the others (or until `maxRows`). Each batch's write resolves only once the
 * insert holding its rows is acknowledged, and rejects if it failed.
 */
export class SharedInsert {
  private next: Flush | null = null;

  constructor(private readonly o: SharedInsertOptions) {}

  write(tables: Tables): Promise<void> {
    const f = this.next ??= { tables: new Map(), rows: 0, timer: setTimeout(() => this.flush(), this.o.lingerMs), done: deferred() };
    for (const [table, values] of tables) {
      if (!values.length) continue;
      const into = f.tables.get(table);
      if (into) for (const v of values) into.push(v); else f.tables.set(table, [...values]);
      f.rows += values.length;
    }
    if (f.rows >= this.o.maxRows) this.flush();
    return f.done.promise;
  }

  private flush(): void {
    const f = this.next;
    if (!f) return;
    this.next = null;
    clearTimeout(f.timer);
    void (async () => {
      for (const [table, values] of f.tables) {
        try {
          const { columns, body } = tabSeparated(values);
          await this.o.store.insert({ table: `${this.o.database}.${table}`, columns, values: Readable.from([body], { objectMode: false }), format: 'TabSeparated' });
        } catch (e) {
          this.o.onError(e, table, values.length);
          return f.done.reject(e);
        }
      }
      f.done.resolve();
    })();
  }
}

export class ClickHouseSink {
  private readonly consumer: Consumer;
  private running = false;
  private readonly inserts: SharedInsert;

  constructor(kafka: Kafka, private readonly o: ClickHouseSinkOptions) {
    this.consumer = kafka.consumer({ groupId: o.groupId, readUncommitted: false, maxBytesPerPartition: 2 << 20, maxBytes: 16 << 20, allowAutoTopicCreation: false });
    this.inserts = new SharedInsert({ store: o.store, database: o.database, lingerMs: o.lingerMs, maxRows: o.maxRows, onError: (e, table, rows) => {
      o.metrics.errors.inc({ component_kind: 'sink', component_id: o.id, error_type: 'clickhouse', stage: 'sending' });
      o.log.warn({ err: e, table, rows }, 'insert failed; its batches will be retried');
    } });
  }

  get ready(): boolean { return this.running; }

  /** Joins the group and starts writing in the background. */
  async start(): Promise<void> {
    exitOnFatalCrash(this.consumer, this.o.log);
    trackLag(this.consumer, this.o.metrics, this.o.id);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    await this.consumer.run({
      // Every assigned partition's batch in flight at once, so that one flush holds them all.
      autoCommit: true, autoCommitInterval: 1000, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 16,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const t0 = performance.now();
        const labels = { component_kind: 'sink', component_id: this.o.id };
        const seen = this.o.erasures?.set.version ?? 0;
        let tables = this.o.toRows(batch.messages, batch.partition);
        if (this.o.erasures) {
          const f = await this.o.erasures.filter(tables);
          tables = f.tables;
          if (f.dropped) this.o.metrics.discarded.inc({ ...labels, reason: 'erased' }, f.dropped);
        }
        const rows = [...tables.values()].reduce((n, v) => n + v.length, 0);
        if (rows) await this.inserts.write(tables);
        await heartbeat();
        // An erasure requested while this batch was in flight may have missed it: apply it before the commit.
        try { await this.o.erasures?.settle(tables, seen); } catch (e) {
          this.o.metrics.errors.inc({ ...labels, error_type: 'internal', stage: 'sending' });
          this.o.log.warn({ err: e }, 'could not settle erasures for a written batch; the batch will be retried');
          throw e;
        }
        this.o.metrics.received.inc(labels, batch.messages.length);
        this.o.metrics.sent.inc(labels, rows);
        this.o.metrics.batchSeconds.observe(labels, (performance.now() - t0) / 1000);
      },
    });
    this.running = true;
  }

  async close(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
  }
}
