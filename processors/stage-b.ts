// Stage B: consumes `hashtag-counts`, merges partials into event-time minutes,
// advances the watermark from the progress markers of every posts partition, and decides
// each minute once: its complete aggregates to `minute-aggregates`, and the detectors' trend
// and alert events to `trends` and `alerts` — exactly once per input batch.
// State (windows, baselines, open trends and alerts) is a deterministic function of the
// partition's input. It is checkpointed (SNAPSHOTS below) into the changelog topic with the
// outputs and offsets; a (re)assigned partition restores the newest snapshot and replays only
// the input after it, or, without a usable one, replays the partition from its start.
import type { KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { BatchOutput, PartitionHandler } from '../lib/kafka/transactional.js';
import { decodeCounts, encodeCounts, type CountsRecord } from '../schemas/counts-codec.js';
import { Detectors, type DetectOptions } from './detect.js';
import { encodeEvent } from '../schemas/events-codec.js';
import type { Watch } from '../schemas/watches.js';
import { DEFAULT_TRENDS } from './velocity.js';
import { MinuteWindows, OVERFLOW_KEY, type WindowsSnapshot } from './windows.js';
import { decodeSnapshot, encodeSnapshot, SnapshotVersionError } from './snapshot.js';
import type { DetectorsSnapshot } from './detect.js';
import type { Checkpoint } from '../lib/kafka/changelog.js';
import type { Topics } from '../schemas/topics.js';
import { ALL_KEY } from '../schemas/counts.js';

export interface StageBOptions {
  topics: Topics;
  latenessMs: number;
  /** Hashtag keys per open minute and partition (MinuteWindows); default DEFAULT_MAX_TAGS. */
  maxTagsPerMinute?: number;
  /** The current watch list, read every minute (changes apply without a restart). */
  watches: () => readonly Watch[];
  detect?: Pick<DetectOptions, 'trends' | 'firestorm'>;
  /** Partitions of `hashtag-counts`: they share the trend detector's tag capacity, so a process's memory does not grow with the partitions it owns. */
  partitions: number;
  metrics: Metrics;
  log: Logger;
  id?: string;
  snapshots?: Partial<SnapshotPolicy>;
  /** Wall clock for the snapshot interval (tests pass their own). */
  now?: () => number;
}

/**
 * When stage B checkpoints a partition, after a batch: once processing since the last snapshot
 * took `everyBusyMs` (a takeover replays that input again, so its replay takes about as long:
 * this bounds the tail when catching up, where a stream minute takes milliseconds and records
 * alone say little, since deciding a minute costs in proportion to the tracked tags); once
 * `everyMinutes` stream minutes were decided since it and at least `minIntervalMs` passed (live:
 * the tail is at most 5 minutes of input; a catch-up is not checkpointed every few stream
 * minutes); or after `everyRecords` input records whatever the clock says.
 */
export interface SnapshotPolicy { everyBusyMs: number; everyMinutes: number; minIntervalMs: number; everyRecords: number }
export const SNAPSHOTS: SnapshotPolicy = { everyBusyMs: 1000, everyMinutes: 5, minIntervalMs: 10_000, everyRecords: 200_000 };

interface StageBState { windows: WindowsSnapshot; detectors: DetectorsSnapshot }

interface PartitionState {
  windows: MinuteWindows;
  detectors: Detectors;
  /** Input records, decided minutes and processing time since the last snapshot (the tail a takeover would replay), and its wall time. */
  records: number;
  minutes: number;
  busyMs: number;
  snapshotAt: number;
}

export class StageB implements PartitionHandler {
  private readonly parts = new Map<number, PartitionState>();
  private readonly id: string;

  private readonly policy: SnapshotPolicy;
  private readonly now: () => number;

  constructor(private readonly o: StageBOptions) {
    this.id = o.id ?? 'stage-b';
    this.policy = { ...SNAPSHOTS, ...o.snapshots };
    this.now = o.now ?? Date.now;
  }

  restore(partition: number, metadata: string | null, checkpoint?: Checkpoint | null): { replayFrom?: string } {
    const capacity = Math.ceil((this.o.detect?.trends?.capacity ?? DEFAULT_TRENDS.capacity) / this.o.partitions);
    const detect = { ...this.o.detect, trends: { ...this.o.detect?.trends, capacity } };
    const fresh = { records: 0, minutes: 0, busyMs: 0, snapshotAt: this.now() };
    if (metadata !== null && checkpoint) {
      try {
        const s = decodeSnapshot<StageBState>(checkpoint.state);
        this.parts.set(partition, { ...fresh, windows: MinuteWindows.fromSnapshot(s.windows, this.o.latenessMs, this.o.maxTagsPerMinute), detectors: Detectors.fromSnapshot(s.detectors, detect, this.o.watches) });
        this.o.log.info({ partition, from: checkpoint.offset, bytes: checkpoint.state.length }, 'stage B partition assigned: state restored from its snapshot, replaying the input after it');
        return { replayFrom: checkpoint.offset };
      } catch (e) {
        const reason = e instanceof SnapshotVersionError ? 'version' : 'corrupt';
        this.o.metrics.restoreFallbacks.inc({ component_id: this.id, reason });
        this.o.log.warn({ err: e, partition, reason }, 'snapshot not usable: rebuilding the partition by replay from its start');
      }
    }
    this.parts.set(partition, { ...fresh, windows: new MinuteWindows(this.o.latenessMs, this.o.maxTagsPerMinute), detectors: new Detectors(detect, this.o.watches) });
    this.o.log.info({ partition, replay: metadata !== null }, 'stage B partition assigned');
    // Committed before, without a usable snapshot: rebuild windows and detector state from the partition's start.
    return metadata !== null ? { replayFrom: '0' } : {};
  }

  replay(partition: number, messages: KafkaMessage[]): void {
    const t0 = this.now();
    this.run(partition, messages, false);
    this.parts.get(partition)!.busyMs += this.now() - t0;
  }

  /** The partition's whole state, as the changelog keeps it. */
  snapshot(partition: number): Buffer {
    const { windows, detectors } = this.parts.get(partition)!;
    const state: StageBState = { windows: windows.snapshot(), detectors: detectors.snapshot() };
    return encodeSnapshot(state);
  }

  release(partition: number): void { this.parts.delete(partition); }

  closingSnapshot(partition: number): BatchOutput | null {
    const st = this.parts.get(partition);
    return !st || st.records === 0 ? null : this.withSnapshot(partition, [], this.now());
  }

  /** The batch output carrying the partition's snapshot; the interval starts again at `now`. */
  private withSnapshot(partition: number, messages: BatchOutput['messages'], now: number): BatchOutput {
    Object.assign(this.parts.get(partition)!, { records: 0, minutes: 0, busyMs: 0, snapshotAt: now });
    return { messages, metadata: 'v1', snapshot: this.snapshot(partition) };
  }

  process(partition: number, messages: KafkaMessage[]): BatchOutput {
    const t0 = this.now();
    const out = this.run(partition, messages, true);
    const st = this.parts.get(partition)!;
    const now = this.now();
    st.busyMs += now - t0;
    const p = this.policy;
    if (st.busyMs >= p.everyBusyMs || st.records >= p.everyRecords || (st.minutes >= p.everyMinutes && now - st.snapshotAt >= p.minIntervalMs)) {
      return this.withSnapshot(partition, out, now);
    }
    return { messages: out, metadata: 'v1' };
  }

  /** Applies a batch; decides minutes as each progress marker passes them, so batching never changes a result. */
  private run(partition: number, messages: KafkaMessage[], emit: boolean): BatchOutput['messages'] {
    const st = this.parts.get(partition)!;
    const { windows: w, detectors } = st;
    st.records += messages.length;
    const minutes: Message[] = [];
    const trends: Message[] = [];
    const alerts: Message[] = [];
    const lateBefore = w.latePosts;
    let bad = 0;
    let overflow = 0;
    for (const m of messages) {
      if (!m.value) continue;
      let r: CountsRecord;
      try { r = decodeCounts(m.value); } catch { bad++; continue; }
      if ('partial' in r) { w.add(r.partial); continue; }
      w.progress(r.progress.source, r.progress.sources, r.progress.stream_time);
      for (const d of w.decide()) {
        st.minutes++;
        const events = detectors.onDecision(d);
        if (!emit) continue;
        for (const a of d.aggregates) {
          if (a.key === OVERFLOW_KEY) overflow += a.posts;
          if (a.key !== ALL_KEY) minutes.push({ key: a.key, value: encodeCounts({ partial: a }) });
        }
        for (const e of events) {
          if (e.type === 'trend') trends.push({ key: e.hashtag, value: encodeEvent(e) });
          else alerts.push({ key: e.watch, value: encodeEvent(e) });
        }
      }
    }
    if (emit) {
      const labels = { component_kind: 'transform', component_id: this.id };
      if (w.latePosts > lateBefore) this.o.metrics.discarded.inc({ ...labels, reason: 'late' }, w.latePosts - lateBefore);
      if (overflow) this.o.metrics.windowOverflow.inc({ component_id: this.id }, overflow);
      if (bad) this.o.metrics.errors.inc({ ...labels, error_type: 'decode', stage: 'receiving' }, bad);
      this.o.metrics.watermark.set({ component_id: `${this.id}-${partition}` }, Math.max(0, w.watermark() / 1000));
      this.o.metrics.openBuckets.set({ component_id: `${this.id}-${partition}` }, w.openBuckets);
      this.o.metrics.trackedTags.set({ component_id: `${this.id}-${partition}` }, detectors.trends.tracked);
    }
    return [{ topic: this.o.topics.minutes, messages: minutes }, { topic: this.o.topics.trends, messages: trends }, { topic: this.o.topics.alerts, messages: alerts }];
  }
}
