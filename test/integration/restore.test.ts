// Takeover from a snapshot on a real broker: a stage B worker processes part of a partition's
// input, checkpointing into the changelog topic in its transactions, and stops without a last
// snapshot (as a crashed one would); a new worker takes the partition over, restores the newest
// snapshot, replays only the input after it, goes on, and closes gracefully, which commits a
// snapshot of everything it processed. What both wrote together is exactly what `detect` decides for the same posts, and
// exactly the minute aggregates of an uninterrupted stage B.
import { expect, inject, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureTopics, Kafka, logLevel } from '../../lib/kafka/client.js';
import { committedOffsets } from '../../lib/kafka/kip447.js';
import { TransactionalWorker } from '../../lib/kafka/transactional.js';
import { readCheckpoint, splitPointer, type Checkpoint } from '../../lib/kafka/changelog.js';
import { Metrics } from '../../lib/metrics.js';
import { StageB } from '../../processors/stage-b.js';
import { detectPosts } from '../../processors/detect.js';
import { generate } from '../../sim/generator.js';
import { decodeEvent } from '../../schemas/events-codec.js';
import { KafkaConfigSchema } from '../../lib/kafka/client.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { asMessages, countsRecords } from '../partials.js';
import { testLogger, uniqueName, waitFor } from '../helpers.js';

const M = 60_000;
const START = Date.parse('2026-11-23T06:00:00Z');
const LATENESS = 60_000;
const watches = () => EVAL_WATCHES;

/** Stage B that remembers how each takeover restored. */
class Observed extends StageB {
  readonly restores: { replayFrom?: string; checkpoint: Checkpoint | null }[] = [];
  replayed = 0;
  override restore(partition: number, metadata: string | null, checkpoint?: Checkpoint | null) {
    const r = super.restore(partition, metadata, checkpoint);
    this.restores.push({ ...r, checkpoint: checkpoint ?? null });
    return r;
  }
  override replay(partition: number, messages: KafkaMessage[]): void { this.replayed += messages.length; super.replay(partition, messages); }
}

it('a new owner restores the newest snapshot plus the input after it, and the output equals detect and an uninterrupted run', async () => {
  const posts = [...generate({
    seed: 21, start: START, minutes: 150, postsPerMinute: 100, tags: 400, rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
    events: [
      { kind: 'burst', tag: 'Sturmflut', at: START + 30 * M, peakPerMinute: 150, rampMinutes: 2, durationMinutes: 25, lang: 'de' },
      { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 80 * M, peakPerMinute: 150, rampMinutes: 3, durationMinutes: 25, tag: 'Bahnchaos' },
    ],
  })];
  const records = countsRecords(posts, LATENESS, EVAL_WATCHES);
  const expected = [...detectPosts(posts, { latenessMs: LATENESS, watches: EVAL_WATCHES })];
  expect(expected.filter((e) => e.state === 'started' || e.state === 'opened').length).toBeGreaterThanOrEqual(2);
  // The minute aggregates an uninterrupted stage B writes for the same records.
  const whole = new StageB({ topics: { minutes: 'm', trends: 't', alerts: 'a' } as never, latenessMs: LATENESS, watches, partitions: 1, metrics: new Metrics(), log: testLogger() });
  whole.restore(0, null);
  const minutes = whole.process(0, asMessages(records)).messages.find((m) => m.topic === 'm')!.messages.map((m) => (m.value as Buffer).toString('base64')).sort();

  const name = uniqueName('restore');
  const brokers = inject('kafkaBrokers').split(',');
  const kafka = new Kafka({ clientId: name, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await ensureTopics(admin, KafkaConfigSchema.parse({ brokers, topicPrefix: `${name}.`, countsPartitions: 1 }));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const groupId = `${name}-stage-b`;
  const send = async (values: Buffer[]) => { for (let i = 0; i < values.length; i += 2000) await producer.send({ topic: topics.counts, messages: values.slice(i, i + 2000).map((value) => ({ value, partition: 0 })) }); };
  const committed = async () => Number((await committedOffsets(admin, groupId, topics.counts)).find((p) => p.partition === 0)?.offset ?? -1);
  const worker = (handler: StageB) => new TransactionalWorker(kafka, { id: 'stage-b', groupId, topic: topics.counts, handler, metrics: new Metrics(), log: testLogger(),
    changelog: topics.changelog, maxBytesPerPartition: 16 << 10 });
  const stage = () => new Observed({ topics, latenessMs: LATENESS, watches, partitions: 1, metrics: new Metrics(), log: testLogger(), snapshots: { everyRecords: 700 } });
  try {
    const cut = Math.floor(records.length * 0.6);
    await send(records.slice(0, cut));
    const first = stage();
    const w1 = worker(first);
    await w1.start();
    await waitFor(committed, (o) => o >= cut, 120_000, 200);
    await w1.close({ closingSnapshot: false }); // as after a crash: no snapshot at close, the next owner replays the tail
    expect(first.restores).toEqual([{ checkpoint: null }]);

    await send(records.slice(cut));
    const second = stage();
    const w2 = worker(second);
    await w2.start();
    // Transaction markers of the producer take no offsets here (plain producer): the end is the record count.
    await waitFor(committed, (o) => o >= records.length, 120_000, 200);
    // A graceful close commits a last snapshot: the newest one now covers every record.
    const last = second.snapshot(0);
    await w2.close();
    const after = (await committedOffsets(admin, groupId, topics.counts)).find((p) => p.partition === 0)!;
    expect(after.offset).toBe(String(records.length));
    const pointer = splitPointer(after.metadata ?? '').pointer!;
    const newest = await readCheckpoint(kafka, topics.changelog, 0, pointer);
    expect(newest.offset).toBe(String(records.length));
    expect(newest.state.equals(last)).toBe(true);
    const [r] = second.restores;
    expect(r!.checkpoint).not.toBeNull();
    expect(Number(r!.replayFrom)).toBeGreaterThan(0);
    expect(Number(r!.replayFrom)).toBeLessThanOrEqual(cut);
    expect(second.replayed).toBe(cut - Number(r!.replayFrom)); // the tail only, never the partition from its start
    expect(second.replayed).toBeLessThan(cut / 2);

    const read = async (topic: string, n: number) => {
      const got: Buffer[] = [];
      const c = kafka.consumer({ groupId: `${name}-${topic}-reader`, readUncommitted: false });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => { got.push(message.value!); } });
      await waitFor(async () => got.length, (k) => k >= n, 60_000, 200);
      await sleep(1000);
      await c.disconnect();
      return got;
    };
    const nTrends = expected.filter((e) => e.type === 'trend').length;
    const events = [...await read(topics.trends, nTrends), ...await read(topics.alerts, expected.length - nTrends)].map(decodeEvent);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(events.sort(byId)).toEqual([...expected].sort(byId));
    expect((await read(topics.minutes, minutes.length)).map((b) => b.toString('base64')).sort()).toEqual(minutes);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});
