// Exactly-once under group churn: transactional workers join and leave one group while input
// flows, so partitions move between them mid-batch, mid-takeover and mid-replay. Every input
// offset must be covered by exactly one committed output, and the committed offsets must
// reach the end. (Guards the takeover rule in lib/kafka/transactional.ts: offsets commit with the
// group generation, and a new owner reads them only once no transaction holds them open.)
// Before that, the two KIP-447 rules themselves on the broker (lib/kafka/kip447.ts).
import { inject, it, expect } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from '../../lib/kafka/client.js';
import { Metrics } from '../../lib/metrics.js';
import { committedOffsets, sendOffsets, type GroupMember } from '../../lib/kafka/kip447.js';
import { TransactionalWorker, type BatchOutput, type PartitionHandler } from '../../lib/kafka/transactional.js';
import { testLogger, uniqueName, waitFor } from '../helpers.js';

const PARTITIONS = 6;
const N = 60_000;

/** Emits, per batch, the input offset range it covered. Even partitions replay their last batch on a takeover (to exercise replay), odd ones go straight on. */
class RangeHandler implements PartitionHandler {
  constructor(private readonly out: string) {}
  restore(partition: number, metadata: string | null): { replayFrom?: string } {
    return metadata && partition % 2 === 0 ? { replayFrom: metadata } : {};
  }
  replay(): void { /* stateless: nothing to rebuild */ }
  process(partition: number, messages: KafkaMessage[]): BatchOutput {
    const first = messages[0]!.offset;
    const last = messages[messages.length - 1]!.offset;
    return { messages: [{ topic: this.out, messages: [{ value: JSON.stringify({ partition, first: Number(first), last: Number(last) }) }] }], metadata: first };
  }
  release(): void { /* stateless */ }
}

it('rejects offsets committed with a generation the group has left, and holds offsets back while their transaction is open', async () => {
  const name = uniqueName('kip447');
  const kafka = new Kafka({ clientId: name, brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${name}.in`;
  const groupId = `${name}-group`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const joins: GroupMember[] = [];
  const member = (c: ReturnType<Kafka['consumer']>) => {
    c.on(c.events.GROUP_JOIN, ({ payload }) => { joins.push({ generationId: (payload as typeof payload & { generationId: number }).generationId, memberId: payload.memberId }); });
    return c;
  };
  const first = member(kafka.consumer({ groupId }));
  const second = kafka.consumer({ groupId });
  const producer = kafka.producer({ transactionalId: `${name}-tx`, idempotent: true, maxInFlightRequests: 1, retry: { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 } });
  const commit = async (offset: string, m: GroupMember, open?: (fetch: () => Promise<unknown>) => Promise<void>) => {
    const tx = await producer.transaction();
    try {
      await sendOffsets(tx, groupId, [{ topic, partitions: [{ partition: 0, offset, metadata: `m${offset}` }] }], m);
      await open?.(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      await tx.commit();
    } catch (e) { await tx.abort().catch(() => {}); throw e; }
  };
  const committed = async () => (await committedOffsets(admin, groupId, topic)).find((p) => p.partition === 0);
  try {
    await producer.connect();
    // Offsets inside the log: a consumer that finds its committed offset out of range resets it.
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}` })) });
    await plain.disconnect();
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({ autoCommit: false, eachMessage: async () => {} });
    await waitFor(async () => joins.length, (n) => n >= 1, 30_000, 100);
    const old = joins[joins.length - 1]!;
    expect(old.generationId).toBeGreaterThan(0);
    await commit('5', old);
    expect(await committed()).toMatchObject({ offset: '5', metadata: 'm5' });

    // While the offset's transaction is open, a read of committed offsets is refused, not answered with the old one.
    await commit('7', old, async (fetch) => { await expect(fetch()).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT' }); });
    expect(await committed()).toMatchObject({ offset: '7', metadata: 'm7' });

    // A second member joins: the generation moves on, and the first member's old generation can commit no more.
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({ autoCommit: false, eachMessage: async () => {} });
    const now = await waitFor(async () => joins[joins.length - 1]!, (j) => j.generationId > old.generationId, 60_000, 100);
    expect(now.memberId).toBe(old.memberId);
    await expect(commit('9', old)).rejects.toMatchObject({ type: 'ILLEGAL_GENERATION' });
    expect(await committed()).toMatchObject({ offset: '7', metadata: 'm7' });
    await commit('9', now);
    expect(await committed()).toMatchObject({ offset: '9', metadata: 'm9' });
  } finally {
    await Promise.all([first.disconnect(), second.disconnect(), producer.disconnect()]);
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
});

it('covers every input offset exactly once while workers join and leave the group', async () => {
  const name = uniqueName('txn_churn');
  const kafka = new Kafka({ clientId: name, brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const [input, output] = [`${name}.in`, `${name}.out`];
  await admin.createTopics({ topics: [{ topic: input, numPartitions: PARTITIONS }, { topic: output, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const group = `${name}-workers`;
  // A slow, uneven group coordinator: reading committed offsets takes 0-1.5 s, so rebalances land in the middle of
  // takeovers and one instance's takeover can overtake another's.
  const slow = Object.create(kafka) as Kafka;
  slow.admin = (...args: Parameters<Kafka['admin']>) => {
    const a = kafka.admin(...args);
    const fetchOffsets = a.fetchOffsets.bind(a);
    a.fetchOffsets = (async (o: Parameters<typeof fetchOffsets>[0]) => { await sleep(Math.random() * 1500); return fetchOffsets(o); }) as typeof a.fetchOffsets;
    return a;
  };
  const worker = () => new TransactionalWorker(slow, { id: 'churn', groupId: group, topic: input, handler: new RangeHandler(output), metrics: new Metrics(), log: testLogger(), maxBytesPerPartition: 16 << 10 });
  const workers: TransactionalWorker[] = [];
  const feeding = (async () => {
    for (let i = 0; i < N; i += 500) {
      await producer.send({ topic: input, messages: Array.from({ length: 500 }, (_, j) => ({ partition: (i + j) % PARTITIONS, value: `m${i + j}` })) });
      await sleep(200);
    }
  })();
  try {
    for (let step = 0; step < 8; step++) {
      // Join one, and every other step close the oldest: each is a rebalance under load.
      const w = worker();
      workers.push(w);
      await w.start();
      await sleep(800);
      if (step % 2 === 1) await workers.shift()!.close();
    }
    await feeding;
    const ends = await admin.fetchTopicOffsets(input);
    // Asked while a transaction holds offsets open, the broker answers UNSTABLE_OFFSET_COMMIT: not there yet.
    const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [input] }).catch((e: { type?: string }) => {
      if (e.type === 'UNSTABLE_OFFSET_COMMIT') return null;
      throw e;
    }))?.[0]?.partitions ?? [];
    await waitFor(committed, (ps) => ps.length > 0 && ps.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high), 120_000);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await producer.disconnect();
  }

  const covered = Array.from({ length: PARTITIONS }, () => new Uint8Array(N / PARTITIONS));
  const reader = kafka.consumer({ groupId: `${name}-reader`, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topic: output, fromBeginning: true });
  let ranges = 0;
  const seen = new Set<string>();
  await reader.run({ eachMessage: async ({ partition, message }) => {
    // A record read again (the reader's group coordinator moved on a cluster) is not a second output.
    if (seen.has(`${partition}/${message.offset}`)) return;
    seen.add(`${partition}/${message.offset}`);
    const r = JSON.parse(message.value!.toString()) as { partition: number; first: number; last: number };
    for (let o = r.first; o <= r.last; o++) covered[r.partition]![o]!++;
    ranges++;
  } });
  await waitFor(async () => ranges, () => ranges > 0 && covered.every((c) => c.every((x) => x > 0)), 60_000);
  await sleep(2000); // a range committed twice would have arrived by now
  await reader.disconnect();
  await admin.deleteTopics({ topics: [input, output] }).catch(() => {});
  await admin.disconnect();
  const twice = covered.map((c) => c.filter((x) => x > 1).length);
  const missing = covered.map((c) => c.filter((x) => x === 0).length);
  expect({ twice, missing }).toEqual({ twice: new Array(PARTITIONS).fill(0), missing: new Array(PARTITIONS).fill(0) });
});
