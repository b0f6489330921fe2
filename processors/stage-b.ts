// Stage B (DESIGN.md): consumes `hashtag-counts`, merges partials into event-time minutes,
// advances the watermark from the progress markers of every posts partition, and emits
// each complete minute's aggregates to `minute-aggregates` (and, through the detectors,
// trend and alert events), exactly once per input batch.
import type { KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { Topics } from '../lib/kafka.js';
import type { BatchOutput, PartitionHandler } from '../lib/transactional.js';
import { ALL_KEY } from './aggregate.js';
import { decodeCounts, encodeCounts } from './counts-codec.js';
import { Detectors, type DetectOptions } from './detect.js';
import { encodeEvent } from './events-codec.js';
import type { Watch } from './watches.js';
import { MinuteWindows } from './windows.js';

export interface StageBOptions {
  topics: Topics;
  latenessMs: number;
  /** The current watch list, read every minute (changes apply without a restart). */
  watches: () => readonly Watch[];
  detect?: Pick<DetectOptions, 'trends' | 'firestorm'>;
  metrics: Metrics;
  log: Logger;
  id?: string;
}

interface Saved { decidedUpTo: number | null; sources: [number, number, number][]; replayFrom: string | null }

export class StageB implements PartitionHandler {
  private readonly windows = new Map<number, MinuteWindows>();
  private readonly detectors = new Map<number, Detectors>();
  /** Per partition and open minute: the first input offset that fed it (where a replay must start). */
  private readonly firstOffset = new Map<number, Map<number, string>>();
  private readonly id: string;

  constructor(private readonly o: StageBOptions) { this.id = o.id ?? 'stage-b'; }

  restore(partition: number, metadata: string | null): { replayFrom?: string } {
    const w = new MinuteWindows(this.o.latenessMs);
    this.windows.set(partition, w);
    this.detectors.set(partition, new Detectors(this.o.detect ?? {}, this.o.watches));
    this.firstOffset.set(partition, new Map());
    if (!metadata) return {};
    const s = JSON.parse(metadata) as Saved;
    w.decidedUpTo = s.decidedUpTo ?? -Infinity;
    for (const [src, n, t] of s.sources) w.progress(src, n, t);
    this.o.log.info({ partition, decidedUpTo: w.decidedUpTo, replayFrom: s.replayFrom }, 'stage B partition assigned');
    return s.replayFrom ? { replayFrom: s.replayFrom } : {};
  }

  replay(partition: number, messages: KafkaMessage[]): void {
    this.apply(partition, messages);
  }

  release(partition: number): void { this.windows.delete(partition); this.detectors.delete(partition); this.firstOffset.delete(partition); }

  process(partition: number, messages: KafkaMessage[]): BatchOutput {
    const w = this.windows.get(partition)!;
    const lateBefore = w.latePosts;
    const bad = this.apply(partition, messages);
    const out: Message[] = [];
    const trends: Message[] = [];
    const alerts: Message[] = [];
    const first = this.firstOffset.get(partition)!;
    const detectors = this.detectors.get(partition)!;
    for (const d of w.decide()) {
      first.delete(d.minute);
      for (const a of d.aggregates) if (a.key !== ALL_KEY) out.push({ key: a.key, value: encodeCounts({ partial: a }) });
      for (const e of detectors.onDecision(d)) {
        if (e.type === 'trend') trends.push({ key: e.hashtag, value: encodeEvent(e) });
        else alerts.push({ key: e.watch, value: encodeEvent(e) });
      }
    }
    const labels = { component_kind: 'transform', component_id: this.id };
    if (w.latePosts > lateBefore) this.o.metrics.discarded.inc({ ...labels, reason: 'late' }, w.latePosts - lateBefore);
    if (bad) this.o.metrics.errors.inc({ ...labels, error_type: 'decode', stage: 'receiving' }, bad);
    this.o.metrics.watermark.set({ component_id: `${this.id}-${partition}` }, Math.max(0, w.watermark() / 1000));
    this.o.metrics.openBuckets.set({ component_id: `${this.id}-${partition}` }, w.openBuckets);
    let replayFrom: string | null = null;
    for (const off of first.values()) if (replayFrom === null || BigInt(off) < BigInt(replayFrom)) replayFrom = off;
    const saved: Saved = {
      decidedUpTo: Number.isFinite(w.decidedUpTo) ? w.decidedUpTo : null,
      sources: w.sourceTimes(), replayFrom,
    };
    return {
      messages: [{ topic: this.o.topics.minutes, messages: out }, { topic: this.o.topics.trends, messages: trends }, { topic: this.o.topics.alerts, messages: alerts }],
      metadata: JSON.stringify(saved),
    };
  }

  /** Merges a batch into the windows; returns how many records could not be decoded. */
  private apply(partition: number, messages: KafkaMessage[]): number {
    const w = this.windows.get(partition)!;
    const first = this.firstOffset.get(partition)!;
    let bad = 0;
    for (const m of messages) {
      if (!m.value) continue;
      let r;
      try { r = decodeCounts(m.value); } catch { bad++; continue; }
      if ('progress' in r) w.progress(r.progress.source, r.progress.sources, r.progress.stream_time);
      else if (w.add(r.partial) && !first.has(r.partial.minute)) first.set(r.partial.minute, m.offset);
    }
    return bad;
  }
}
