// Exactly-once consume-transform-produce, as Kafka's own clients do it
// since KIP-447: one transactional producer per worker; the outputs of every partition's batch
// in a fetch and their input offsets commit in one transaction, with the group generation, so
// a previous owner that missed a rebalance is fenced by the coordinator. Per-partition state is
// restored from the offset commit's metadata on assignment, or from a snapshot in a compacted
// changelog topic (written in the same transaction) plus the input after it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer, Transaction } from 'kafkajs';
import { exitOnFatalCrash, trackLag } from './client.js';
import { topicOffsets } from './offsets.js';
import { committedOffsets, sendOffsets, type GroupMember } from './kip447.js';
import { assertExactlyOnceReady } from './replacements.js';
import { CheckpointError, checkpointRecords, readCheckpoint, splitPointer, withPointer, type Checkpoint, type CheckpointPointer } from './changelog.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface BatchOutput {
  messages: { topic: string; messages: Message[] }[];
  /** Saved with the offset commit and handed to `restore` after a restart or rebalance. */
  metadata: string;
  /**
   * The partition's whole state after this batch, when the handler takes a checkpoint: written
   * to the changelog topic in the same transaction, and handed to `restore` after a takeover.
   */
  snapshot?: Buffer;
}

export interface PartitionHandler {
  /**
   * Called before the first batch of a partition this instance was (re)assigned; `metadata`
   * is null on a fresh group. May return an earlier offset from which the input must be
   * re-read (through `replay`) to rebuild state that the metadata does not hold. `checkpoint`
   * is the newest snapshot of the partition's state (with a changelog topic configured), or
   * null when there is none or it could not be read.
   */
  restore(partition: number, metadata: string | null, checkpoint?: Checkpoint | null): { replayFrom?: string };
  /** Rebuilds state from input that was already processed and committed; emits nothing. */
  replay?(partition: number, messages: KafkaMessage[]): void;
  /** Transforms one batch of one partition. Must not throw for bad records (route them to a DLQ). */
  process(partition: number, messages: KafkaMessage[]): BatchOutput;
  /** Forgets a partition this instance lost. */
  release(partition: number): void;
  /**
   * The partition's snapshot now, as a batch output without messages, or null when nothing came
   * in since its last one. A graceful close commits it, so that the next owner replays nothing.
   */
  closingSnapshot?(partition: number): BatchOutput | null;
  /**
   * Outputs telling downstream that `partition` is caught up and has had no input for
   * `idleMs` (also when this instance never had a batch of it); asked again every quarter of
   * `idleMs` while that lasts, and may return nothing new.
   */
  idle?(partition: number): BatchOutput['messages'];
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
  /** Report an assigned partition idle (`handler.idle`) once it is caught up and has had no input for this long; 0 never. */
  idleMs?: number;
  /** The compacted topic the handler's snapshots go to (partition = input partition); none: state is rebuilt from metadata and replay only. */
  changelog?: string;
}

/** A partition this instance took over, from the offset its previous owner's last transaction committed. */
interface Claim {
  /** The committed input offset: anything below it was already processed. */
  committed: bigint;
  /** While re-reading committed input to rebuild state: the offset where that replay ends. */
  replayUntil?: bigint;
  /** The metadata committed with `committed` (with the changelog pointer). */
  metadata: string;
  /** Where the partition's newest committed snapshot lies in the changelog. */
  pointer?: CheckpointPointer;
}

/**
 * An idle report waiting for the next transaction. It commits the partition's offset again,
 * unchanged, so that the coordinator fences it like any batch if the group moved on.
 */
interface IdleReport {
  partition: number;
  generationId: number;
  offset: string;
  metadata: string;
  /** The partition's last input when the report was made: input since then makes it moot. */
  lastInput: number;
  messages: BatchOutput['messages'];
}

/** A processed batch waiting for the transaction that commits it. */
interface Pending {
  partition: number;
  claim: Claim;
  out: BatchOutput;
  /** The input offset to commit: the batch's last offset + 1. */
  next: bigint;
  /** True once committed; false when the partition was lost before its transaction began. */
  settle(committed: boolean): void;
  fail(e: unknown): void;
}

export class TransactionalWorker {
  private readonly consumer: Consumer;
  /** One per worker instance (KIP-447): the group generation, not the transactional id, fences a partition's previous owner. */
  private readonly transactionalId: string;
  private producer: Promise<Producer> | null = null;
  private readonly claims = new Map<number, Claim>();
  /** The partitions and the generation of the last group join. */
  private assigned = new Set<number>();
  private member: GroupMember = { generationId: -1, memberId: '' };
  /** Batches processed while the previous transaction commits; they commit together in the next one. */
  private queue: Pending[] = [];
  private committing = false;
  /** Batches being processed or waiting for their transaction. */
  private active = 0;
  private running = false;
  /** When each assigned partition last had input, or was assigned. */
  private readonly lastInput = new Map<number, number>();
  private idleQueue: IdleReport[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private checkingIdle = false;
  /** The admin client of the idle checks, kept while they succeed. */
  private idleAdmin: Admin | null = null;

  constructor(private readonly kafka: Kafka, private readonly o: TransactionalWorkerOptions) {
    // A transaction holds the outputs of a whole fetch, so the fetch size bounds memory. Measured
    // (500k posts, stage A / B alone): 4 MiB per partition 25.7k / 34.9k per s at 404 / 463 MiB peak
    // RSS (570 with 1M distinct hashtags); 2 MiB 24.8k / 26.8k at 298 / 334; 1 MiB 21.8k / 24.8k at 223 / 282.
    this.consumer = kafka.consumer({
      groupId: o.groupId, readUncommitted: false, maxBytesPerPartition: o.maxBytesPerPartition ?? 2 << 20,
      minBytes: o.minBytes ?? 1, maxWaitTimeInMs: o.maxWaitMs ?? 100,
      maxBytes: 16 << 20, sessionTimeout: 30_000, heartbeatInterval: 3000, allowAutoTopicCreation: false,
    });
    this.transactionalId = `${o.groupId}-${hostname()}-${randomUUID().slice(0, 8)}`;
  }

  get ready(): boolean { return this.running; }

  /** Joins the group and starts processing in the background. Resolves once running. */
  async start(): Promise<void> {
    assertExactlyOnceReady();
    exitOnFatalCrash(this.consumer, this.o.log);
    trackLag(this.consumer, this.o.metrics, this.o.id);
    await this.transactional();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const { generationId, memberId } = payload as typeof payload & { generationId: number };
      this.member = { generationId, memberId };
      this.assigned = new Set<number>((payload.memberAssignment[this.o.topic] ?? []) as number[]);
      for (const p of [...this.claims.keys()]) if (!this.assigned.has(p)) this.drop(p);
      const now = Date.now();
      for (const p of this.assigned) if (!this.lastInput.has(p)) this.lastInput.set(p, now);
      for (const p of [...this.lastInput.keys()]) if (!this.assigned.has(p)) this.lastInput.delete(p);
    });
    // Every partition of a fetch is processed before the next fetch, and all of them commit in one transaction.
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 64, eachBatch: (b) => this.batch(b) });
    this.running = true;
    const idleMs = this.o.idleMs ?? 0;
    if (idleMs > 0 && this.o.handler.idle) this.idleTimer = setInterval(() => void this.checkIdle(idleMs), Math.max(250, idleMs / 4));
  }

  /**
   * Reports the assigned partitions that had no input for `idleMs` and are caught up (their
   * committed offset is the partition's end), so that downstream stops waiting for them. A
   * partition whose input waits, or whose owner is gone, is never reported: only a live owner
   * that has processed everything can say a partition is quiet.
   */
  private async checkIdle(idleMs: number): Promise<void> {
    if (this.checkingIdle || !this.running) return;
    const quiet = (now: number) => [...this.assigned].filter((p) => now - (this.lastInput.get(p) ?? now) >= idleMs
      && this.claims.get(p)?.replayUntil === undefined && !this.idleQueue.some((r) => r.partition === p));
    const candidates = quiet(Date.now());
    if (!candidates.length) return;
    this.checkingIdle = true;
    try {
      if (!this.idleAdmin) { const a = this.kafka.admin(); await a.connect(); this.idleAdmin = a; }
      const admin = this.idleAdmin;
      const generationId = this.member.generationId;
      const ends = await topicOffsets(admin, this.o.topic);
      // Partitions this instance never had a batch of: their offsets as the group committed them.
      const committed = candidates.some((p) => !this.claims.has(p)) ? await committedOffsets(admin, this.o.groupId, this.o.topic, () => this.running) : [];
      const still = new Set(quiet(Date.now()));
      for (const p of candidates) {
        const end = ends.find((e) => e.partition === p);
        if (!end || !still.has(p) || generationId !== this.member.generationId || !this.running) continue;
        const claim = this.claims.get(p);
        const c = committed.find((x) => x.partition === p);
        const at = claim ? claim.committed : BigInt(c && Number(c.offset) >= 0 ? c.offset : end.low);
        if (at < BigInt(end.high)) continue; // input is waiting: not idle
        const messages = this.o.handler.idle!(p);
        if (!messages.some((m) => m.messages.length)) continue;
        this.idleQueue.push({ partition: p, generationId, offset: String(at), metadata: claim ? claim.metadata : c?.metadata ?? '', lastInput: this.lastInput.get(p)!, messages });
      }
      this.schedule();
    } catch (e) {
      this.o.log.debug({ err: e }, 'idle check failed; the next one retries');
      await this.idleAdmin?.disconnect().catch(() => {});
      this.idleAdmin = null;
    } finally {
      this.checkingIdle = false;
    }
  }

  /**
   * The worker's transactional producer, connected. A new one with the same transactional id
   * fences the one before it and settles its open transaction (InitProducerId).
   */
  private transactional(): Promise<Producer> {
    if (this.producer) return this.producer;
    // The broker answers CONCURRENT_TRANSACTIONS to the next transaction until the previous one's
    // markers are written (~20-30 ms here); the client-wide first retry after 200 ms made every
    // batch wait that long. Retry like the Java client (20 ms backoff), with the same patience.
    const producer = this.kafka.producer({ transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 15_000, allowAutoTopicCreation: false,
      retry: { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 } });
    const connected = producer.connect().then(() => producer);
    this.producer = connected;
    connected.catch(() => { if (this.producer === connected) this.producer = null; });
    return connected;
  }

  /** Forgets a partition's state (a batch of it still waiting for its transaction is not committed). */
  private drop(partition: number, claim = this.claims.get(partition)): void {
    if (!claim || this.claims.get(partition) !== claim) return;
    this.claims.delete(partition);
    this.o.handler.release(partition);
  }

  /**
   * Takes over a partition from the offset its previous owner committed. That read waits while a
   * transaction of the previous owner that commits the partition is open (require_stable), and a
   * previous owner that has not noticed the rebalance cannot commit any more: its generation is
   * gone. Null when the partition was lost meanwhile.
   */
  private async claim(partition: number): Promise<{ claim: Claim; replayFrom?: string } | null> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const offsets = await committedOffsets(admin, this.o.groupId, this.o.topic, () => this.assigned.has(partition));
      if (!this.assigned.has(partition)) return null;
      const committed = offsets.find((x) => x.partition === partition);
      const { metadata, pointer } = this.o.changelog ? splitPointer(committed?.metadata ?? '') : { metadata: committed?.metadata ?? '', pointer: undefined };
      const checkpoint = pointer ? await this.checkpoint(partition, pointer) : null;
      if (!this.assigned.has(partition)) return null;
      const r = this.o.handler.restore(partition, committed?.metadata ? metadata : null, checkpoint);
      const claim: Claim = { committed: BigInt(committed?.offset ?? '-1'), metadata: committed?.metadata ?? '', pointer };
      this.claims.set(partition, claim);
      return r?.replayFrom && BigInt(r.replayFrom) < claim.committed ? { claim, replayFrom: r.replayFrom } : { claim };
    } finally { await admin.disconnect().catch(() => {}); }
  }

  /** The snapshot a pointer names, or null (logged and counted) when it cannot be read: the handler then replays. */
  private async checkpoint(partition: number, pointer: CheckpointPointer): Promise<Checkpoint | null> {
    const t0 = performance.now();
    try {
      const c = await readCheckpoint(this.kafka, this.o.changelog!, partition, pointer);
      this.o.log.info({ partition, offset: c.offset, bytes: c.state.length, ms: Math.round(performance.now() - t0) }, 'snapshot read from the changelog');
      return c;
    } catch (e) {
      const reason = e instanceof CheckpointError ? e.code : 'kafka';
      this.o.log.warn({ err: e, partition, pointer }, 'snapshot unreadable: rebuilding the partition by replay');
      this.o.metrics.restoreFallbacks.inc({ component_id: this.o.id, reason });
      return null;
    }
  }

  private async batch(payload: EachBatchPayload): Promise<void> {
    this.active++;
    try { await this.process(payload); } finally { this.active--; }
  }

  private async process({ batch: b, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let batch = b;
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { partition } = batch;
    this.lastInput.set(partition, Date.now());
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
    // Input below the committed offset (fetched before a failed transaction was settled, or
    // delivered again after a commit whose acknowledgement was lost) is already in Kafka's output.
    const done = claim.committed;
    if (BigInt(batch.messages[0]!.offset) < done) {
      const fresh = batch.messages.filter((m) => BigInt(m.offset) >= done);
      if (!fresh.length) { resolveOffset(batch.messages[batch.messages.length - 1]!.offset); await heartbeat(); return; }
      batch = { ...batch, messages: fresh } as typeof batch;
    }
    const out = this.o.handler.process(partition, batch.messages);
    const last = batch.messages[batch.messages.length - 1]!.offset;
    const committed = await new Promise<boolean>((settle, fail) => {
      this.queue.push({ partition, claim, out, next: BigInt(last) + 1n, settle, fail });
      this.schedule();
    });
    if (!committed) return;
    resolveOffset(last);
    await heartbeat();
    const n = batch.messages.length;
    this.o.metrics.received.inc({ component_kind: 'transform', component_id: this.o.id }, n);
    this.o.metrics.sent.inc({ component_kind: 'transform', component_id: this.o.id }, out.messages.reduce((s, m) => s + m.messages.length, 0));
    this.o.metrics.batchSeconds.observe({ component_kind: 'transform', component_id: this.o.id }, (performance.now() - t0) / 1000);
  }

  /** Starts the next transaction once the current one is done, after the batches of this turn have joined it. */
  private schedule(): void {
    if (this.committing || (!this.queue.length && !this.idleQueue.length)) return;
    this.committing = true;
    setImmediate(() => void this.commit().finally(() => { this.committing = false; this.schedule(); }));
  }

  /** Commits the queued batches' outputs and input offsets in one transaction. */
  private async commit(): Promise<void> {
    const txn: Pending[] = [];
    for (const p of this.queue.splice(0)) {
      if (this.claims.get(p.partition) === p.claim) txn.push(p);
      else p.settle(false);
    }
    const member = this.member;
    // Idle reports still true: not stopping, same generation, still ours, and no batch of the partition in this transaction.
    const idle = this.idleQueue.splice(0).filter((r) => this.running && r.generationId === member.generationId && this.assigned.has(r.partition)
      && this.lastInput.get(r.partition) === r.lastInput && !txn.some((p) => p.partition === r.partition));
    if (!txn.length && !idle.length) return;
    const byTopic = new Map<string, Message[]>();
    for (const outputs of [...idle.map((r) => r.messages), ...txn.map((p) => p.out.messages)]) {
      for (const { topic, messages } of outputs) {
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        for (const m of messages) list.push(m);
      }
    }
    const topicMessages = [...byTopic].filter(([, messages]) => messages.length).map(([topic, messages]) => ({ topic, messages }));
    const partitions = [...txn.map((p) => ({ partition: p.partition, offset: String(p.next), metadata: p.out.metadata })),
      ...idle.map((r) => ({ partition: r.partition, offset: r.offset, metadata: r.metadata }))];
    let tx: Transaction | null = null;
    const t0 = performance.now();
    const pointers = new Map<Pending, CheckpointPointer>();
    try {
      tx = await (await this.transactional()).transaction();
      if (topicMessages.length) await tx.sendBatch({ topicMessages });
      // Snapshots: one request per chunk (a request's records to one partition form one batch, which max.message.bytes bounds).
      for (const p of txn) {
        if (!p.out.snapshot || !this.o.changelog) continue;
        const { chunks, manifest } = checkpointRecords(p.partition, String(p.next), p.out.snapshot);
        let first: string | undefined;
        for (const m of [...chunks, manifest]) {
          const [r] = await tx.send({ topic: this.o.changelog, messages: [m] });
          first ??= r!.baseOffset!;
          if (m === manifest) pointers.set(p, { first, manifest: r!.baseOffset! });
        }
      }
      for (const part of partitions) {
        const p = txn.find((x) => x.partition === part.partition);
        if (p && this.o.changelog) part.metadata = withPointer(part.metadata, pointers.get(p) ?? p.claim.pointer);
      }
      await sendOffsets(tx, this.o.groupId, [{ topic: this.o.topic, partitions }], member);
      await tx.commit();
      this.o.metrics.transactionSeconds.observe({ component_id: this.o.id }, (performance.now() - t0) / 1000);
    } catch (e) {
      this.o.metrics.errors.inc({ component_kind: 'transform', component_id: this.o.id, error_type: 'kafka', stage: 'sending' });
      await tx?.abort().catch(() => {});
      // Whether the transaction committed is unknown. Rebuild state from what Kafka holds: a new
      // producer with the same transactional id fences this one and settles its transaction, then
      // the committed offsets decide.
      for (const p of txn) this.drop(p.partition, p.claim);
      const old = this.producer;
      this.producer = null;
      void old?.then((producer) => producer.disconnect()).catch(() => {});
      await this.transactional().catch(() => {});
      for (const p of txn) p.fail(e);
      return;
    }
    for (const p of txn) {
      p.claim.committed = p.next;
      p.claim.pointer = pointers.get(p) ?? p.claim.pointer;
      if (p.out.snapshot && pointers.has(p)) this.o.metrics.snapshotBytes.set({ component_id: `${this.o.id}-${p.partition}` }, p.out.snapshot.length);
      p.claim.metadata = this.o.changelog ? withPointer(p.out.metadata, p.claim.pointer) : p.out.metadata;
      p.settle(true);
    }
    for (const r of idle) this.o.log.debug({ partition: r.partition }, 'partition caught up and quiet: progress reported');
  }

  /**
   * Stops fetching, lets the in-flight batch commit, commits the closing snapshot of each
   * partition that had input since its previous one (unless `closingSnapshot` is false, as after
   * a crash), then disconnects every client.
   */
  async close({ closingSnapshot = true }: { closingSnapshot?: boolean } = {}): Promise<void> {
    this.running = false;
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (closingSnapshot) {
      await this.commitClosingSnapshots().catch((err) => this.o.log.warn({ err }, 'no snapshot at close: the next owner replays the input after the previous one'));
    }
    await this.idleAdmin?.disconnect().catch(() => {});
    this.idleAdmin = null;
    await this.consumer.disconnect();
    await this.producer?.then((p) => p.disconnect()).catch(() => {});
    this.producer = null;
    this.claims.clear();
  }

  /**
   * At a graceful close, while this instance still holds its partitions in the group: no more
   * fetches, the batches in flight commit, then one transaction writes each partition's snapshot
   * and commits its offset again, unchanged, pointing at it. A deploy or scale-down then hands
   * the next owner state with no input after it. Bounded: when batches do not settle in time
   * (or the transaction fails), the next owner restores the previous snapshot and the tail.
   */
  private async commitClosingSnapshots(): Promise<void> {
    if (!this.o.changelog || !this.o.handler.closingSnapshot || this.claims.size === 0) return;
    this.consumer.pause([{ topic: this.o.topic }]);
    const settled = () => this.active === 0 && !this.committing && this.queue.length === 0;
    for (const deadline = Date.now() + 5000; !settled() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
    if (!settled()) throw new Error('batches still in flight after 5 s');
    const written: Promise<boolean>[] = [];
    for (const [partition, claim] of this.claims) {
      if (claim.replayUntil !== undefined) continue; // still rebuilding: its state is not whole yet
      const out = this.o.handler.closingSnapshot(partition);
      if (!out) continue;
      written.push(new Promise<boolean>((settle, fail) => this.queue.push({ partition, claim, out, next: claim.committed, settle, fail })));
    }
    if (!written.length) return;
    this.schedule();
    const done = await Promise.all(written);
    this.o.log.info({ partitions: done.filter(Boolean).length }, 'snapshot committed at close: the next owner replays nothing');
  }
}
