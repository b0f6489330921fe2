// Stage B: consumes `hashtag-counts`, merges partials into event-time minutes,
// advances the watermark from the progress markers of every posts partition, and decides
// each minute once: its complete aggregates to `minute-aggregates`, and the detectors' trend
// and alert events to `trends` and `alerts` — exactly once per input batch.
// State (windows, baselines, open trends and alerts) is a deterministic function of the
// partition's input: a (re)assigned partition rebuilds it by replaying the committed input.
import type { KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { BatchOutput, PartitionHandler } from '../lib/kafka/transactional.js';
import { decodeCounts, encodeCounts, type CountsRecord } from '../schemas/counts-codec.js';
import { Detectors, type DetectOptions } from './detect.js';
import { encodeEvent } from '../schemas/events-codec.js';
import type { Watch } from '../schemas/watches.js';
import { DEFAULT_TRENDS } from './velocity.js';
import { MinuteWindows } from './windows.js';
import type { Topics } from '../schemas/topics.js';
import { ALL_KEY } from '../schemas/counts.js';

export interface StageBOptions {
  topics: Topics;
  latenessMs: number;
  /** The current watch list, read every minute (changes apply without a restart). */
  watches: () => readonly Watch[];
  detect?: Pick<DetectOptions, 'trends' | 'firestorm'>;
  /** Partitions of `hashtag-counts`: they share the trend detector's tag capacity, so a process's memory does not grow with the partitions it owns. */
  partitions: number;
  metrics: Metrics;
  log: Logger;
  id?: string;
}

interface PartitionState { windows: MinuteWindows; detectors: Detectors }

export class StageB implements PartitionHandler {
  private readonly parts = new Map<number, PartitionState>();
  private readonly id: string;

  constructor(private readonly o: StageBOptions) { this.id = o.id ?? 'stage-b'; }

  restore(partition: number, metadata: string | null): { replayFrom?: string } {
    const capacity = Math.ceil((this.o.detect?.trends?.capacity ?? DEFAULT_TRENDS.capacity) / this.o.partitions);
    const detect = { ...this.o.detect, trends: { ...this.o.detect?.trends, capacity } };
    this.parts.set(partition, { windows: new MinuteWindows(this.o.latenessMs), detectors: new Detectors(detect, this.o.watches) });
    this.o.log.info({ partition, replay: metadata !== null }, 'stage B partition assigned');
    // Anything committed before: rebuild windows and detector state from the partition's start.
    return metadata !== null ? { replayFrom: '0' } : {};
  }

  replay(partition: number, messages: KafkaMessage[]): void {
    this.run(partition, messages, false);
  }

  release(partition: number): void { this.parts.delete(partition); }

  process(partition: number, messages: KafkaMessage[]): BatchOutput {
    const out = this.run(partition, messages, true);
    return { messages: out, metadata: 'v1' };
  }

  /** Applies a batch; decides minutes as each progress marker passes them, so batching never changes a result. */
  private run(partition: number, messages: KafkaMessage[], emit: boolean): BatchOutput['messages'] {
    const { windows: w, detectors } = this.parts.get(partition)!;
    const minutes: Message[] = [];
    const trends: Message[] = [];
    const alerts: Message[] = [];
    const lateBefore = w.latePosts;
    let bad = 0;
    for (const m of messages) {
      if (!m.value) continue;
      let r: CountsRecord;
      try { r = decodeCounts(m.value); } catch { bad++; continue; }
      if ('partial' in r) { w.add(r.partial); continue; }
      w.progress(r.progress.source, r.progress.sources, r.progress.stream_time);
      for (const d of w.decide()) {
        const events = detectors.onDecision(d);
        if (!emit) continue;
        for (const a of d.aggregates) if (a.key !== ALL_KEY) minutes.push({ key: a.key, value: encodeCounts({ partial: a }) });
        for (const e of events) {
          if (e.type === 'trend') trends.push({ key: e.hashtag, value: encodeEvent(e) });
          else alerts.push({ key: e.watch, value: encodeEvent(e) });
        }
      }
    }
    if (emit) {
      const labels = { component_kind: 'transform', component_id: this.id };
      if (w.latePosts > lateBefore) this.o.metrics.discarded.inc({ ...labels, reason: 'late' }, w.latePosts - lateBefore);
      if (bad) this.o.metrics.errors.inc({ ...labels, error_type: 'decode', stage: 'receiving' }, bad);
      this.o.metrics.watermark.set({ component_id: `${this.id}-${partition}` }, Math.max(0, w.watermark() / 1000));
      this.o.metrics.openBuckets.set({ component_id: `${this.id}-${partition}` }, w.openBuckets);
      this.o.metrics.trackedTags.set({ component_id: `${this.id}-${partition}` }, detectors.trends.tracked);
    }
    return [{ topic: this.o.topics.minutes, messages: minutes }, { topic: this.o.topics.trends, messages: trends }, { topic: this.o.topics.alerts, messages: alerts }];
  }
}
