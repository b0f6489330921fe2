// Stage A (DESIGN.md): consumes `posts`, drops duplicates and late posts, enriches, and
// pre-aggregates per (key, minute); emits the partials keyed by key to `hashtag-counts`,
// followed by a progress marker to every partition, exactly once per input batch.
import type { KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { Topics } from '../lib/kafka.js';
import { dlqMessage, postCodec } from '../ingest/producer.js';
import { ALL_KEY } from './aggregate.js';
import { encodeCounts } from './counts-codec.js';
import { PostIntake } from './intake.js';
import { StreamClock } from './stream-time.js';
import type { BatchOutput, PartitionHandler } from '../lib/transactional.js';
import type { WatchMatcher } from './watches.js';
import { SchemaError } from '../schemas/avro.js';

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

export class StageA implements PartitionHandler {
  private readonly intakes = new Map<number, PostIntake>();
  private readonly id: string;

  constructor(private readonly o: StageAOptions) { this.id = o.id ?? 'stage-a'; }

  restore(partition: number, metadata: string | null): void {
    const clock = metadata ? StreamClock.restore(JSON.parse(metadata).clock) : undefined;
    this.intakes.set(partition, new PostIntake(this.o.latenessMs, this.o.matcher(), clock));
    this.o.log.info({ partition, streamTime: clock?.time }, 'stage A partition assigned');
  }

  release(partition: number): void { this.intakes.delete(partition); }

  process(partition: number, messages: KafkaMessage[]): BatchOutput {
    const intake = this.intakes.get(partition)!;
    intake.matcher = this.o.matcher();
    const codec = postCodec();
    const dlq: Message[] = [];
    let late = 0;
    let dup = 0;
    for (const m of messages) {
      if (!m.value) continue;
      let post;
      try { post = codec.decode(m.value); } catch (e) {
        const code = e instanceof SchemaError ? e.code : 'invalid_avro';
        dlq.push(dlqMessage({ raw: m.value, code, reason: (e as Error).message, source: `posts/${partition}@${m.offset}` }));
        continue;
      }
      const v = intake.offer(post).verdict;
      if (v === 'late') late++;
      else if (v === 'duplicate') dup++;
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
    return {
      messages: [{ topic: this.o.topics.counts, messages: counts }, { topic: this.o.topics.dlq, messages: dlq }],
      metadata: JSON.stringify({ clock: intake.clock.snapshot() }),
    };
  }
}
