// `npx tsx bench/txn-latency.ts`: the time each step of a consume-transform-produce transaction
// takes on a local broker, with kafkajs's retry backoff for the producer and with the 20 ms one
// lib/transactional.ts uses (the broker answers CONCURRENT_TRANSACTIONS until the previous
// transaction's markers are written). Evidence for that setting; not part of `npm run bench`.
import { startKafka } from '../deploy/local/kafka.js';
import { Kafka, logLevel } from '../lib/kafka.js';

const k = await startKafka({ port: Number(process.env.BENCH_KAFKA_PORT ?? 49092), name: 'bench-kafka', fresh: true });
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
await admin.disconnect();
await k.stop();
