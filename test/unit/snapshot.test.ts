import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { KafkaMessage } from 'kafkajs';
import { generate } from '../../sim/generator.js';
import { StageB, type StageBOptions } from '../../processors/stage-b.js';
import { topicNames } from '../../schemas/topics.js';
import { Metrics } from '../../lib/metrics.js';
import { createLogger } from '../../lib/log.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { asMessages, countsRecords } from '../partials.js';
import { CHUNK_BYTES, checkpointRecords, splitPointer, withPointer, type Checkpoint } from '../../lib/kafka/changelog.js';
import { decodeEvent } from '../../schemas/events-codec.js';

// Typed arrays (sketch rows, Bloom filters, profiles) compared as bytes: element by element, toEqual takes minutes.
expect.addEqualityTesters([(a: unknown, b: unknown) => (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)
  ? a.constructor === b.constructor && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  : undefined)]);

const M = 60_000;
const START = Date.parse('2026-11-23T06:00:00Z');
const LATENESS = 60_000;
const topics = topicNames('t.');
/** One watch list for every instance (the detectors hold the function, not a copy). */
const watches = () => EVAL_WATCHES;

// Four hours with a burst, a click-farm campaign and a firestorm that opens, escalates and
// resolves, on 600 background tags with room for only 60 per partition: eviction, the
// Count-Min prior, quarter-hour profiles and open minutes all carry state across a snapshot.
const posts = [...generate({
  seed: 17, start: START, minutes: 240, postsPerMinute: 120, tags: 600, rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
  events: [
    { kind: 'burst', tag: 'Sturmflut', at: START + 40 * M, peakPerMinute: 150, rampMinutes: 2, durationMinutes: 25, lang: 'de' },
    { kind: 'campaign', tag: 'KaufJetzt', at: START + 90 * M, perMinute: 80, durationMinutes: 15, accounts: 20 },
    { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 130 * M, peakPerMinute: 150, rampMinutes: 3, durationMinutes: 30, tag: 'Bahnchaos' },
  ],
})];
const messages = asMessages(countsRecords(posts, LATENESS, EVAL_WATCHES));
const BATCH = 37;

function stage(snapshots: StageBOptions['snapshots'], metrics = new Metrics()): StageB {
  return new StageB({ topics, latenessMs: LATENESS, watches, detect: { trends: { capacity: 60 } }, partitions: 1,
    metrics, log: createLogger('silent'), snapshots, now: () => 0 });
}

/** What a batch's transaction would write, topic by topic, in order. */
const written = (out: ReturnType<StageB['process']>): string[] =>
  out.messages.flatMap(({ topic, messages }) => messages.map((m) => `${topic} ${String(m.key)} ${(m.value as Buffer).toString('base64')}`));

/** The detector state of a partition, for a field-by-field comparison (bookkeeping of the snapshot interval left out). */
const state = (b: StageB) => { const p = b['parts'].get(0)!; return { windows: p.windows, detectors: p.detectors }; };

const batches = (from: number, to: number): KafkaMessage[][] => {
  const out: KafkaMessage[][] = [];
  for (let i = from; i < to; i += BATCH) out.push(messages.slice(i, Math.min(to, i + BATCH)));
  return out;
};

/** Runs the stream uninterrupted: every record it writes, and the number of decided minutes. */
function uninterrupted(): string[] {
  const b = stage({ everyRecords: Infinity, everyMinutes: Infinity });
  b.restore(0, null);
  return batches(0, messages.length).flatMap((batch) => written(b.process(0, batch)));
}

describe('stage B snapshots', () => {
  const truth = uninterrupted();

  it('has a stream that exercises the detectors (trends, an inauthentic one, an alert episode, evictions)', () => {
    const events = truth.filter((r) => r.startsWith(topics.trends) || r.startsWith(topics.alerts)).map((r) => decodeEvent(Buffer.from(r.split(' ')[2]!, 'base64')));
    const states = events.map((e) => `${e.type}:${e.state}`);
    expect(states).toContain('trend:started');
    expect(states).toContain('trend:ended');
    expect(states).toContain('alert:opened');
    expect(states).toContain('alert:resolved');
    expect(events.some((e) => e.type === 'trend' && e.inauthentic)).toBe(true);
    expect(new Set(posts.flatMap((p) => p.hashtags)).size).toBeGreaterThan(66); // more tags than the capacity: evictions
  });

  it('restores from a snapshot at several points, replays the tail, and writes exactly what the uninterrupted run writes', () => {
    // A takeover after every 20th batch: the new owner has the newest snapshot (taken every 400 records) and the committed offset.
    let live = stage({ everyRecords: 400, everyMinutes: Infinity });
    live.restore(0, null);
    let snapshot: Checkpoint | null = null;
    const out: string[] = [];
    let takeovers = 0;
    let replayed = 0;
    const all = batches(0, messages.length);
    for (let i = 0; i < all.length; i++) {
      const batch = all[i]!;
      const next = Number(batch[batch.length - 1]!.offset) + 1;
      const r = live.process(0, batch);
      out.push(...written(r));
      if (r.snapshot) snapshot = { offset: String(next), state: r.snapshot };
      if (i % 20 === 19 && snapshot) {
        const successor = stage({ everyRecords: 400, everyMinutes: Infinity });
        const { replayFrom } = successor.restore(0, 'v1', snapshot);
        expect(replayFrom).toBe(snapshot.offset);
        for (const b of batches(Number(replayFrom), next)) { successor.replay(0, b); replayed += b.length; }
        // Field by field, the same state: a field a snapshot forgets fails here even if no event shows it.
        expect(state(successor)).toEqual(state(live));
        live = successor;
        takeovers++;
      }
    }
    expect(takeovers).toBeGreaterThan(10);
    expect(replayed).toBeGreaterThan(0);
    expect(out).toEqual(truth);
  }, 120_000);

  it('takes a snapshot by input records, or by stream minutes once the minimum interval passed', () => {
    let now = 0;
    const b = new StageB({ topics, latenessMs: LATENESS, watches: () => EVAL_WATCHES, partitions: 1, metrics: new Metrics(), log: createLogger('silent'),
      snapshots: { everyRecords: Infinity, everyMinutes: 5, minIntervalMs: 10_000 }, now: () => now });
    b.restore(0, null);
    const taken = batches(0, 3000).map((batch) => { now += 1000; return b.process(0, batch).snapshot !== undefined; });
    const at = taken.flatMap((t, i) => (t ? [i] : []));
    expect(at.length).toBeGreaterThan(2);
    // At least 10 batches (10 s of this clock) apart.
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(10);
  });

  it('takes a snapshot once processing since the last one took everyBusyMs (a takeover would replay that much work)', () => {
    let now = 0;
    const b = new StageB({ topics, latenessMs: LATENESS, watches, partitions: 1, metrics: new Metrics(), log: createLogger('silent'),
      snapshots: { everyBusyMs: 1000, everyRecords: Infinity, everyMinutes: Infinity }, now: () => (now += 200) });
    b.restore(0, null);
    // Each batch reads the clock twice: 200 ms of processing; every fifth batch reaches 1000 ms.
    const taken = batches(0, 20 * BATCH).map((batch) => b.process(0, batch).snapshot !== undefined);
    expect(taken.flatMap((t, i) => (t ? [i] : []))).toEqual([4, 9, 14, 19]);
  });

  it('refuses a snapshot of another format version: replays from the start, logs, counts it, and still writes the same', async () => {
    const metrics = new Metrics();
    const b = stage({ everyRecords: Infinity, everyMinutes: Infinity }, metrics);
    const old = gzipSync(Buffer.from(JSON.stringify({ format: 'trendstream.stage-b', v: 0, state: {} })));
    const half = batches(0, messages.length).length >> 1;
    const first = batches(0, messages.length).slice(0, half);
    const committed = Number(first[first.length - 1]!.at(-1)!.offset) + 1;
    expect(b.restore(0, 'v1', { offset: String(committed), state: old })).toEqual({ replayFrom: '0' });
    await expect(metrics.restoreFallbacks.get()).resolves.toMatchObject({ values: [{ value: 1, labels: { component_id: 'stage-b', reason: 'version' } }] });
    for (const batch of first) b.replay(0, batch);
    const out = truth.slice(0, 0);
    const ref = stage({ everyRecords: Infinity, everyMinutes: Infinity });
    ref.restore(0, null);
    for (const batch of first) out.push(...written(ref.process(0, batch)));
    for (const batch of batches(committed, messages.length)) out.push(...written(b.process(0, batch)));
    expect(out).toEqual(truth);
  });

  it('is bounded and cut into chunks that fit the changelog topic, with a manifest last', () => {
    const b = stage({ everyRecords: Infinity, everyMinutes: Infinity });
    b.restore(0, null);
    for (const batch of batches(0, messages.length)) b.process(0, batch);
    const snap = b.snapshot(0);
    expect(snap.length).toBeLessThan(4 << 20);
    const { chunks, manifest } = checkpointRecords(3, '1234', snap, 64 << 10);
    expect(chunks.length).toBe(Math.ceil(snap.length / (64 << 10)));
    expect(Buffer.concat(chunks.map((c) => c.value as Buffer))).toEqual(snap);
    expect(chunks.map((c) => c.key)).toEqual(chunks.map((_, i) => `3:${i}`));
    expect(JSON.parse(String(manifest.value))).toEqual({ v: 1, partition: 3, offset: '1234', chunks: chunks.length, bytes: snap.length });
    expect(checkpointRecords(0, '1', Buffer.alloc(CHUNK_BYTES * 2 + 1)).chunks.map((c) => (c.value as Buffer).length)).toEqual([CHUNK_BYTES, CHUNK_BYTES, 1]);
    expect(splitPointer(withPointer('v1', { first: '10', manifest: '14' }))).toEqual({ metadata: 'v1', pointer: { first: '10', manifest: '14' } });
    expect(splitPointer('v1')).toEqual({ metadata: 'v1' });
  });
});
