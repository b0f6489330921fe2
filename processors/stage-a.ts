// Stage A: consumes `posts`, drops duplicates, enriches, and pre-aggregates per (key, minute)
// what is not late; emits the partials keyed by key to `hashtag-counts`, followed by a progress
// marker to every partition, and every new post as analysed (late ones too) to `posts-enriched`
// for the posts sink, exactly once per input batch. Impersonation is decided here, per post as
// `detect` does, and its events go to `alerts` in the same transaction.
import type { KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import { encodeCounts } from '../schemas/counts-codec.js';
import { enrich } from './aggregate.js';
import { PostIntake } from './intake.js';
import { minuteOf, StreamClock } from './stream-time.js';
import type { BatchOutput, PartitionHandler } from '../lib/kafka/transactional.js';
import type { WatchMatcher } from '../schemas/watches.js';
import { SchemaError } from '../schemas/avro.js';
import type { Topics } from '../schemas/topics.js';
import { dlqMessage } from '../schemas/dlq.js';
import { postCodec, type PostRecord } from '../schemas/post.js';
import { ALL_KEY } from '../schemas/counts.js';
import { encodeEnriched } from '../schemas/enriched.js';
import { encodeEvent } from '../schemas/events-codec.js';
import { ImpersonationDetector } from './impersonation.js';

export interface StageAOptions {
  topics: Topics;
  latenessMs: number;
  /** Partitions of `posts` (the sources stage B waits for) and of `hashtag-counts`. */
  postsPartitions: number;
  countsPartitions: number;
  matcher: () => WatchMatcher | null;
  metrics: Metrics;
  log: Logger;
  id?: string;
}

interface Saved { clock: ReturnType<StreamClock['snapshot']>; replayFrom: string | null }

export class StageA implements PartitionHandler {
  private readonly intakes = new Map<number, PostIntake>();
  /** Per partition: first offset and newest minute of each recent batch, to know where a replay must start. */
  private readonly batches = new Map<number, { first: string; minute: number }[]>();
  /** The stream time last reported for each quiet partition. */
  private readonly reportedIdle = new Map<number, number>();
  private readonly id: string;
  /**
   * One for the instance, rebuilt when the watch list changes. Its memory of reported
   * (watch, account) pairs is not restored after a restart or rebalance: a pair may then be
   * reported again, with the same id, which the alerts table and the channels deduplicate.
   */
  private impersonation: { matcher: WatchMatcher | null; detector: ImpersonationDetector } | null = null;

  constructor(private readonly o: StageAOptions) { this.id = o.id ?? 'stage-a'; }

  /** The clock comes back from the commit metadata; the ids still in the de-duplication window by replaying their batches. */
  restore(partition: number, metadata: string | null): { replayFrom?: string } {
    const saved = metadata ? (JSON.parse(metadata) as Saved) : null;
    const clock = saved ? StreamClock.restore(saved.clock) : undefined;
    this.intakes.set(partition, new PostIntake(this.o.latenessMs, this.o.matcher(), clock));
    this.batches.set(partition, []);
    this.o.log.info({ partition, streamTime: clock?.time, replayFrom: saved?.replayFrom }, 'stage A partition assigned');
    return saved?.replayFrom ? { replayFrom: saved.replayFrom } : {};
  }

  replay(partition: number, messages: KafkaMessage[]): void {
    const intake = this.intakes.get(partition)!;
    const codec = postCodec();
    let minute = -Infinity;
    for (const m of messages) {
      if (!m.value) continue;
      try { const p = codec.decode(m.value); intake.remember(p); minute = Math.max(minute, minuteOf(p.created_at)); } catch { /* dead-lettered the first time */ }
    }
    if (messages.length) this.batches.get(partition)!.push({ first: messages[0]!.offset, minute });
  }

  release(partition: number): void { this.intakes.delete(partition); this.batches.delete(partition); this.reportedIdle.delete(partition); }

  /**
   * Progress for a posts partition that is caught up and quiet (TransactionalWorker's idle rule):
   * it has nothing before the newest stream time among this instance's partitions, so stage B
   * stops waiting for it. That time moves only as this instance processes posts, and a partition
   * that is not caught up is never reported, so no post waiting in Kafka becomes late by it.
   * Nothing when that time has not moved since the last report.
   */
  idle(partition: number): BatchOutput['messages'] {
    let time = -Infinity;
    for (const intake of this.intakes.values()) time = Math.max(time, intake.clock.time);
    if (time === -Infinity || time <= (this.reportedIdle.get(partition) ?? this.intakes.get(partition)?.clock.time ?? -Infinity)) return [];
    this.reportedIdle.set(partition, time);
    const value = encodeCounts({ progress: { source: partition, sources: this.o.postsPartitions, stream_time: time } });
    return [{ topic: this.o.topics.counts, messages: Array.from({ length: this.o.countsPartitions }, (_, q) => ({ partition: q, value })) }];
  }

  process(partition: number, messages: KafkaMessage[]): BatchOutput {
    const intake = this.intakes.get(partition)!;
    intake.matcher = this.o.matcher();
    if (this.impersonation?.matcher !== intake.matcher) {
      this.impersonation = { matcher: intake.matcher, detector: new ImpersonationDetector(intake.matcher?.watches ?? []) };
    }
    const impostors = this.impersonation.detector;
    const alerts: Message[] = [];
    const codec = postCodec();
    const dlq: Message[] = [];
    const enriched: Message[] = [];
    let late = 0;
    let dup = 0;
    let newest = -Infinity;
    for (const m of messages) {
      if (!m.value) continue;
      let post: PostRecord;
      try { post = codec.decode(m.value); } catch (e) {
        const code = e instanceof SchemaError ? e.code : 'invalid_avro';
        dlq.push(dlqMessage({ raw: m.value, code, reason: (e as Error).message, source: `posts/${partition}@${m.offset}` }));
        continue;
      }
      newest = Math.max(newest, minuteOf(post.created_at));
      const r = intake.offer(post);
      if (r.verdict === 'duplicate') { dup++; continue; }
      if (r.verdict === 'late') late++;
      // A late post is not counted, but it is stored, analysed like any other.
      const e = r.enriched ?? enrich(post, intake.matcher);
      for (const ev of impostors.offer(post, e.mentioned)) alerts.push({ key: ev.watch, value: encodeEvent(ev) });
      enriched.push({ key: m.key, value: encodeEnriched(m.value, e) });
    }
    const partials = intake.drain();
    const labels = { component_kind: 'transform', component_id: this.id };
    if (late) this.o.metrics.discarded.inc({ ...labels, reason: 'late' }, late);
    if (dup) this.o.metrics.discarded.inc({ ...labels, reason: 'duplicate' }, dup);
    if (dlq.length) this.o.metrics.discarded.inc({ ...labels, reason: 'invalid' }, dlq.length);
    const counts: Message[] = [];
    for (const p of partials) {
      const value = encodeCounts({ partial: p });
      if (p.key !== ALL_KEY) counts.push({ key: p.key, value });
      else for (let q = 0; q < this.o.countsPartitions; q++) counts.push({ partition: q, value });
    }
    const time = intake.clock.time;
    if (time > -Infinity) {
      const progress = encodeCounts({ progress: { source: partition, sources: this.o.postsPartitions, stream_time: time } });
      for (let q = 0; q < this.o.countsPartitions; q++) counts.push({ partition: q, value: progress });
      this.o.metrics.watermark.set({ component_id: `${this.id}-${partition}` }, (time - this.o.latenessMs) / 1000);
    }
    const batches = this.batches.get(partition)!;
    batches.push({ first: messages[0]!.offset, minute: newest });
    const horizon = minuteOf(intake.watermark());
    while (batches.length && batches[0]!.minute < horizon) batches.shift();
    const saved: Saved = { clock: intake.clock.snapshot(), replayFrom: batches[0]?.first ?? null };
    return {
      messages: [{ topic: this.o.topics.counts, messages: counts }, { topic: this.o.topics.enriched, messages: enriched }, { topic: this.o.topics.dlq, messages: dlq },
        { topic: this.o.topics.alerts, messages: alerts }],
      metadata: JSON.stringify(saved),
    };
  }
}
