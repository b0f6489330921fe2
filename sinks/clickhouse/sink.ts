// ClickHouse sink (DESIGN.md): consumes a topic in batches, writes the rows with one insert
// per table, and commits the offsets only after ClickHouse acknowledged. Replays after a
// crash write the same rows again; Replacing engines and FINAL make that idempotent. Rows of
// erased posts and authors are dropped before the insert, never written (erasure.ts).
import { exitOnFatalCrash } from '../../lib/kafka.js';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { Store } from './client.js';
import type { Erasures } from './erasure.js';

export type RowMapper = (messages: KafkaMessage[], partition: number) => Map<string, Record<string, unknown>[]>;

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
}

export class ClickHouseSink {
  private readonly consumer: Consumer;
  private running = false;

  constructor(kafka: Kafka, private readonly o: ClickHouseSinkOptions) {
    this.consumer = kafka.consumer({ groupId: o.groupId, readUncommitted: false, maxBytesPerPartition: 2 << 20, maxBytes: 16 << 20, allowAutoTopicCreation: false });
  }

  get ready(): boolean { return this.running; }

  /** Joins the group and starts writing in the background. */
  async start(): Promise<void> {
    exitOnFatalCrash(this.consumer, this.o.log);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: true, autoCommitInterval: 1000, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 2,
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
        let rows = 0;
        for (const [table, values] of tables) {
          if (!values.length) continue;
          try {
            await this.o.store.insert({ table: `${this.o.database}.${table}`, values, format: 'JSONEachRow' });
          } catch (e) {
            this.o.metrics.errors.inc({ ...labels, error_type: 'clickhouse', stage: 'sending' });
            this.o.log.warn({ err: e, table, rows: values.length }, 'insert failed; the batch will be retried');
            throw e;
          }
          rows += values.length;
          await heartbeat();
        }
        // An erasure requested while this batch was in flight may have missed it: apply it before the commit.
        try { await this.o.erasures?.settle(tables, seen); } catch (e) {
          this.o.metrics.errors.inc({ ...labels, error_type: 'internal', stage: 'sending' });
          this.o.log.warn({ err: e }, 'could not settle erasures for a written batch; the batch will be retried');
          throw e;
        }
        this.o.metrics.received.inc(labels, batch.messages.length);
        this.o.metrics.sent.inc(labels, rows);
        this.o.metrics.batchSeconds.observe(labels, (performance.now() - t0) / 1000);
        const last = batch.messages[batch.messages.length - 1];
        if (last) this.o.metrics.lag.set({ component_id: this.o.id, topic: this.o.topic, partition: String(batch.partition) }, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n));
      },
    });
    this.running = true;
  }

  async close(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
  }
}
