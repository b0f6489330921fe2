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

/**
 * A partition this instance took over: the producer whose fence came first, and what was read
 * after it. Its batches commit only through that producer, so any commit another instance made
 * after the read has fenced it and makes ours fail instead of counting a range twice.
 */
interface Claim {
  producer: Producer;
  /** The committed input offset: anything below it was already processed. */
  committed: bigint;
  /** While re-reading committed input to rebuild state: the offset where that replay ends. */
  replayUntil?: bigint;
}

export class TransactionalWorker {
  private readonly consumer: Consumer;
  private readonly claims = new Map<number, Claim>();
  /** The partitions of the last group generation. */
  private assigned = new Set<number>();
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
      this.assigned = new Set<number>((payload.memberAssignment[this.o.topic] ?? []) as number[]);
      for (const p of [...this.claims.keys()]) if (!this.assigned.has(p)) this.drop(p);
    });
    // Partitions have their own transactional producers, so their transactions overlap safely.
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3, eachBatch: (b) => this.batch(b) });
    this.running = true;
  }

  /** Forgets a partition's state and closes its producer (a batch still in flight with it fails or was legitimately first). */
  private drop(partition: number, claim = this.claims.get(partition)): void {
    if (!claim || this.claims.get(partition) !== claim) return;
    this.claims.delete(partition);
    this.o.handler.release(partition);
    void claim.producer.disconnect().catch(() => {});
  }

  /**
   * Takes over a partition: a new producer with the partition's transactional id fences every
   * earlier one (a zombie, or ours before a failure) and completes or aborts its open
   * transaction, so the committed offset read next is final. Null when the partition was lost
   * meanwhile.
   */
  private async claim(partition: number): Promise<{ claim: Claim; replayFrom?: string } | null> {
    // The broker answers CONCURRENT_TRANSACTIONS to the next transaction until the previous one's
    // markers are written (~20-30 ms here); the client-wide first retry after 200 ms made every
    // batch wait that long. Retry like the Java client (20 ms backoff), with the same patience.
    const producer = this.kafka.producer({ transactionalId: `${this.o.groupId}-${this.o.topic}-${partition}`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, allowAutoTopicCreation: false,
      retry: { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 } });
    const admin = this.kafka.admin();
    try {
      await producer.connect();
      const fence = await producer.transaction();
      await fence.abort();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.topic] });
      if (!this.assigned.has(partition)) { void producer.disconnect().catch(() => {}); return null; }
      const committed = offsets?.partitions.find((x) => x.partition === partition);
      const r = this.o.handler.restore(partition, committed?.metadata || null);
      const claim: Claim = { producer, committed: BigInt(committed?.offset ?? '-1') };
      this.claims.set(partition, claim);
      return r?.replayFrom && BigInt(r.replayFrom) < claim.committed ? { claim, replayFrom: r.replayFrom } : { claim };
    } catch (e) {
      void producer.disconnect().catch(() => {});
      throw e;
    } finally { await admin.disconnect().catch(() => {}); }
  }

  private async batch({ batch: b, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let batch = b;
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { partition } = batch;
    const t0 = performance.now();
    let claim = this.claims.get(partition);
    if (!claim) {
      const c = await this.claim(partition);
      if (!c) return;
      claim = c.claim;
      if (c.replayFrom) {
        claim.replayUntil = claim.committed;
        this.consumer.seek({ topic: this.o.topic, partition, offset: c.replayFrom });
        this.o.log.info({ partition, from: c.replayFrom, until: String(claim.committed) }, 'replaying committed input to rebuild state');
        return;
      }
    }
    if (this.claims.get(partition) !== claim) return; // lost in a rebalance meanwhile
    const until = claim.replayUntil;
    if (until !== undefined) {
      const old = batch.messages.filter((m) => BigInt(m.offset) < until);
      if (old.length) this.o.handler.replay!(partition, old);
      const fresh = batch.messages.filter((m) => BigInt(m.offset) >= until);
      if (!fresh.length) { resolveOffset(old[old.length - 1]!.offset); await heartbeat(); return; }
      claim.replayUntil = undefined;
      batch = { ...batch, messages: fresh } as typeof batch;
    }
    // A batch kafkajs delivers again although its transaction did commit (the broker went away
    // between commit and acknowledgement) is skipped: its outputs are already in Kafka.
    const done = claim.committed;
    if (BigInt(batch.messages[0]!.offset) < done) {
      const fresh = batch.messages.filter((m) => BigInt(m.offset) >= done);
      if (!fresh.length) { resolveOffset(batch.messages[batch.messages.length - 1]!.offset); await heartbeat(); return; }
      batch = { ...batch, messages: fresh } as typeof batch;
    }
    const out = this.o.handler.process(partition, batch.messages);
    const last = batch.messages[batch.messages.length - 1]!.offset;
    const tx = await claim.producer.transaction();
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
      this.drop(partition, claim);
      throw e;
    }
    claim.committed = BigInt(last) + 1n;
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
    await Promise.all([...this.claims.values()].map((c) => c.producer.disconnect().catch(() => {})));
    this.claims.clear();
  }
}
