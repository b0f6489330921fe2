// Exactly-once under group churn: transactional workers join and leave one group while input
// flows, so partitions move between them mid-batch, mid-takeover and mid-replay. Every input
// offset must be covered by exactly one committed output, and the committed offsets must
// reach the end. (Guards the takeover rule in lib/transactional.ts: a partition's batches
// commit only through the producer whose fence preceded the committed-offset read.)
import { inject, it, expect } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from '../../lib/kafka.js';
import { Metrics } from '../../lib/metrics.js';
import { TransactionalWorker, type BatchOutput, type PartitionHandler } from '../../lib/transactional.js';
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

it('covers every input offset exactly once while workers join and leave the group', async () => {
  const name = uniqueName('txn_churn');
  const kafka = new Kafka({ clientId: name, brokers: [inject('kafkaBrokers')], logLevel: logLevel.NOTHING });
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
    await waitFor(async () => (await admin.fetchOffsets({ groupId: group, topics: [input] }))[0]!.partitions,
      (ps) => ps.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high), 120_000);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await producer.disconnect();
  }

  const covered = Array.from({ length: PARTITIONS }, () => new Uint8Array(N / PARTITIONS));
  const reader = kafka.consumer({ groupId: `${name}-reader`, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topic: output, fromBeginning: true });
  let ranges = 0;
  await reader.run({ eachMessage: async ({ message }) => {
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
