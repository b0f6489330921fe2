// `npx tsx bench/txn-latency.ts`: the time each step of a consume-transform-produce transaction
// takes on a local broker, with kafkajs's retry backoff for the producer and with the 20 ms one
// lib/kafka/transactional.ts uses (the broker answers CONCURRENT_TRANSACTIONS until the previous
// transaction's markers are written); and how soon a read_committed consumer sees a commit by
// its fetch wait. Evidence for those settings; not part of `npm run bench`.
import { startKafka } from '../deploy/local/kafka.js';
import { Kafka, logLevel } from '../lib/kafka/client.js';
import { BENCH_KAFKA_PORT } from './ports.js';

const k = await startKafka({ port: BENCH_KAFKA_PORT, name: 'bench-kafka', fresh: true });
const kafka = new Kafka({ brokers: [k.brokers], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 } });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 1 }, { topic: 'out', numPartitions: 6 }] });
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
for (const [name, retry] of [['client default (200 ms)', undefined], ['20 ms backoff', { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 }]] as const) {
  const p = kafka.producer({ transactionalId: `probe-${name}`, idempotent: true, maxInFlightRequests: 1, ...(retry ? { retry } : {}) });
  await p.connect();
  const steps: Record<string, number[]> = { send: [], sendOffsets: [], commit: [], total: [] };
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    const tx = await p.transaction();
    let t = performance.now();
    await tx.sendBatch({ topicMessages: [{ topic: 'out', messages: Array.from({ length: 100 }, (_, j) => ({ key: `k${j}`, value: 'x' })) }] });
    steps.send!.push(performance.now() - t); t = performance.now();
    await tx.sendOffsets({ consumerGroupId: 'probe', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: String(i) }] }] });
    steps.sendOffsets!.push(performance.now() - t); t = performance.now();
    await tx.commit();
    steps.commit!.push(performance.now() - t);
    steps.total!.push(performance.now() - t0);
  }
  console.log(`${name}: median ms per transaction step (40 transactions, first 5 skipped): ${Object.entries(steps).map(([s, v]) => `${s} ${median(v.slice(5)).toFixed(0)}`).join(', ')}`);
  await p.disconnect();
}

// How soon a read_committed consumer sees a committed transaction, by its fetch wait.
for (const maxWaitTimeInMs of [5000, 100]) {
  const topic = `rc-${maxWaitTimeInMs}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const c = kafka.consumer({ groupId: `probe-${topic}`, readUncommitted: false, maxWaitTimeInMs });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const got = new Map<string, number>();
  await c.run({ eachMessage: async ({ message }) => { got.set(String(message.value), performance.now()); } });
  await new Promise((r) => setTimeout(r, 3000));
  const p = kafka.producer({ transactionalId: `probe-rc-${topic}`, idempotent: true, maxInFlightRequests: 1, retry: { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 } });
  await p.connect();
  const lat: number[] = [];
  for (let i = 0; i < 12; i++) {
    const tx = await p.transaction();
    await tx.send({ topic, messages: [{ value: String(i) }] });
    await tx.commit();
    const t = performance.now();
    while (!got.has(String(i))) await new Promise((r) => setTimeout(r, 2));
    lat.push(got.get(String(i))! - t);
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(`read_committed consumer, maxWaitTimeInMs ${maxWaitTimeInMs}: median ${median(lat).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms from commit to delivery`);
  await p.disconnect();
  await c.disconnect();
}
await admin.disconnect();
await k.stop();
