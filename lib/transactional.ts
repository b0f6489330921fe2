// Exactly-once consume-transform-produce (DESIGN.md, FACTS.md): one transactional producer
// per input partition (transactional id from group, topic and partition, so a zombie is
// fenced after a rebalance); a batch's outputs and its input offsets commit together.
// Per-partition state is restored from the offset commit's metadata on assignment.
import { exitOnFatalCrash } from './kafka.js';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';

export interface BatchOutput {
  messages: { topic: string; messages: Message[] }[];
  /** Saved with the offset commit and handed to `restore` after a restart or rebalance. */
  metadata: string;
}

export interface PartitionHandler {
  /**
   * Called before the first batch of a partition this instance was (re)assigned; `metadata`
   * is null on a fresh group. May return an earlier offset from which the input must be
   * re-read (through `replay`) to rebuild state that the metadata does not hold.
   */
  restore(partition: number, metadata: string | null): { replayFrom?: string } | void;
  /** Rebuilds state from input that was already processed and committed; emits nothing. */
  replay?(partition: number, messages: KafkaMessage[]): void;
  /** Transforms one batch of one partition. Must not throw for bad records (route them to a DLQ). */
  process(partition: number, messages: KafkaMessage[]): BatchOutput;
  /** Forgets a partition this instance lost. */
  release(partition: number): void;
}

export interface TransactionalWorkerOptions {
  id: string;
  groupId: string;
  topic: string;
  handler: PartitionHandler;
  metrics: Metrics;
  log: Logger;
  /** Bytes fetched per partition per batch. */
  maxBytesPerPartition?: number;
  /** A fetch waits for this many bytes (or `maxWaitMs`): bigger batches mean fewer transactions. */
  minBytes?: number;
  maxWaitMs?: number;
}

export class TransactionalWorker {
  private readonly consumer: Consumer;
  private readonly producers = new Map<number, Producer>();
  private readonly restored = new Set<number>();
  /** Partitions re-reading committed input, with the committed offset where replay ends. */
  private readonly replayUntil = new Map<number, bigint>();
  /** The committed input offset per partition: anything below it was already processed. */
  private readonly committed = new Map<number, bigint>();
  private running = false;

  constructor(private readonly kafka: Kafka, private readonly o: TransactionalWorkerOptions) {
    this.consumer = kafka.consumer({
      groupId: o.groupId, readUncommitted: false, maxBytesPerPartition: o.maxBytesPerPartition ?? 4 << 20,
      minBytes: o.minBytes ?? 1, maxWaitTimeInMs: o.maxWaitMs ?? 100,
      maxBytes: 32 << 20, sessionTimeout: 30_000, heartbeatInterval: 3000, allowAutoTopicCreation: false,
    });
  }

  get ready(): boolean { return this.running; }

  /** Joins the group and starts processing in the background. Resolves once running. */
  async start(): Promise<void> {
    exitOnFatalCrash(this.consumer, this.o.log);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set<number>((payload.memberAssignment[this.o.topic] ?? []) as number[]);
      for (const p of [...this.restored]) {
        if (!mine.has(p)) { this.restored.delete(p); this.replayUntil.delete(p); this.committed.delete(p); this.o.handler.release(p); }
      }
      for (const [p, prod] of this.producers) {
        if (!mine.has(p)) { this.producers.delete(p); void prod.disconnect().catch(() => {}); }
      }
    });
    // Partitions have their own transactional producers, so their transactions overlap safely.
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3, eachBatch: (b) => this.batch(b) });
    this.running = true;
  }

  private async producer(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      // The broker answers CONCURRENT_TRANSACTIONS to the next transaction until the previous one's
      // markers are written (~20-30 ms here); the client-wide first retry after 200 ms made every
      // batch wait that long. Retry like the Java client (20 ms backoff), with the same patience.
      p = this.kafka.producer({ transactionalId: `${this.o.groupId}-${this.o.topic}-${partition}`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, allowAutoTopicCreation: false,
        retry: { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 } });
      await p.connect();
      this.producers.set(partition, p);
    }
    return p;
  }

  private async batch({ batch: b, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let batch = b;
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { partition } = batch;
    const t0 = performance.now();
    if (!this.restored.has(partition)) {
      // Take over the partition's transactional id first: that fences an earlier producer (a
      // zombie, or ours before a failure) and completes or aborts its open transaction, so the
      // committed offset read next is final.
      const producer = await this.producer(partition);
      const fence = await producer.transaction();
      await fence.abort();
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.topic] });
        const committed = offsets?.partitions.find((x) => x.partition === partition);
        const r = this.o.handler.restore(partition, committed?.metadata || null);
        this.restored.add(partition);
        this.committed.set(partition, BigInt(committed?.offset ?? '-1'));
        if (r?.replayFrom && committed && BigInt(r.replayFrom) < BigInt(committed.offset)) {
          this.replayUntil.set(partition, BigInt(committed.offset));
          this.consumer.seek({ topic: this.o.topic, partition, offset: r.replayFrom });
          this.o.log.info({ partition, from: r.replayFrom, until: committed.offset }, 'replaying committed input to rebuild state');
          return;
        }
      } finally { await admin.disconnect(); }
    }
    const until = this.replayUntil.get(partition);
    if (until !== undefined) {
      const old = batch.messages.filter((m) => BigInt(m.offset) < until);
      if (old.length) this.o.handler.replay!(partition, old);
      const fresh = batch.messages.filter((m) => BigInt(m.offset) >= until);
      if (!fresh.length) { resolveOffset(old[old.length - 1]!.offset); await heartbeat(); return; }
      this.replayUntil.delete(partition);
      batch = { ...batch, messages: fresh } as typeof batch;
    }
    // A batch kafkajs delivers again although its transaction did commit (the broker went away
    // between commit and acknowledgement) is skipped: its outputs are already in Kafka.
    const done = this.committed.get(partition) ?? -1n;
    if (BigInt(batch.messages[0]!.offset) < done) {
      const fresh = batch.messages.filter((m) => BigInt(m.offset) >= done);
      if (!fresh.length) { resolveOffset(batch.messages[batch.messages.length - 1]!.offset); await heartbeat(); return; }
      batch = { ...batch, messages: fresh } as typeof batch;
    }
    const out = this.o.handler.process(partition, batch.messages);
    const last = batch.messages[batch.messages.length - 1]!.offset;
    const producer = await this.producer(partition);
    const tx = await producer.transaction();
    try {
      const topicMessages = out.messages.filter((m) => m.messages.length);
      if (topicMessages.length) await tx.sendBatch({ topicMessages });
      await tx.sendOffsets({
        consumerGroupId: this.o.groupId,
        topics: [{ topic: this.o.topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString(), metadata: out.metadata } as never] }],
      });
      await tx.commit();
    } catch (e) {
      this.o.metrics.errors.inc({ component_kind: 'transform', component_id: this.o.id, error_type: 'kafka', stage: 'sending' });
      await tx.abort().catch(() => {});
      // Whether the transaction committed is unknown. Rebuild state from what Kafka holds: a new
      // producer fences this one and settles its transaction, then the committed offset decides.
      this.restored.delete(partition);
      this.replayUntil.delete(partition);
      this.committed.delete(partition);
      this.o.handler.release(partition);
      this.producers.delete(partition);
      void producer.disconnect().catch(() => {});
      throw e;
    }
    this.committed.set(partition, BigInt(last) + 1n);
    resolveOffset(last);
    await heartbeat();
    const n = batch.messages.length;
    this.o.metrics.received.inc({ component_kind: 'transform', component_id: this.o.id }, n);
    this.o.metrics.sent.inc({ component_kind: 'transform', component_id: this.o.id }, out.messages.reduce((s, m) => s + m.messages.length, 0));
    this.o.metrics.batchSeconds.observe({ component_kind: 'transform', component_id: this.o.id }, (performance.now() - t0) / 1000);
    this.o.metrics.lag.set({ component_id: this.o.id, topic: this.o.topic, partition: String(partition) }, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n));
  }

  /** Stops fetching, lets the in-flight batch commit, then disconnects every client. */
  async close(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
    await Promise.all([...this.producers.values()].map((p) => p.disconnect().catch(() => {})));
    this.producers.clear();
  }
}
