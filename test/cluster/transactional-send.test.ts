// One transactional send whose partitions are led by the three different nodes (the layout
// ensureTopics gives): kafkajs 2.2.4 sent one request per leader at once, each first adding its
// partitions to the transaction, so the coordinator answered all but the first with
// CONCURRENT_TRANSACTIONS; its retry then sent again to every leader without an answer yet,
// including the one whose records were still being written, with new sequence numbers, and the
// broker appended them a second time (README, Guarantees; lib/kafka/patch.ts). Each committed
// transaction here writes RECORDS records and one commit marker per partition, so the partitions'
// end offsets tell exactly how many records were written.
import { expect, inject, it } from 'vitest';
import { Kafka, logLevel, waitForLeaders } from '../../lib/kafka/client.js';
import { uniqueName } from '../helpers.js';

const TRANSACTIONS = 12;
const RECORDS = 3000;

it('writes each record of a transaction once when its partitions have different leaders', async () => {
  const name = uniqueName('txn_spread');
  const kafka = new Kafka({ clientId: name, brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${name}.out`;
  await admin.createTopics({
    topics: [{ topic, replicaAssignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]].map((replicas, partition) => ({ partition, replicas })), configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    waitForLeaders: false, // kafkajs' wait throws when the node it asks has not seen the new topic yet
  });
  await waitForLeaders(admin, [topic]);
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  expect(meta.topics[0]!.partitions.map((p) => p.leader).sort()).toEqual([1, 2, 3]);
  // As the transactional worker configures it (lib/kafka/transactional.ts).
  const producer = kafka.producer({ transactionalId: `${name}-tx`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 15_000, allowAutoTopicCreation: false,
    retry: { initialRetryTime: 20, retries: 15, maxRetryTime: 5000 } });
  await producer.connect();
  const value = 'x'.repeat(200);
  try {
    for (let t = 0; t < TRANSACTIONS; t++) {
      const tx = await producer.transaction();
      const messages = [0, 1, 2].flatMap((partition) => Array.from({ length: RECORDS }, (_, i) => ({ partition, key: `${t}-${i}`, value })));
      await tx.sendBatch({ topicMessages: [{ topic, messages }] });
      await tx.commit();
    }
  } finally { await producer.disconnect(); }
  // The admin reads the last stable offset (read_committed), and commit() returns once the
  // coordinator has logged the commit, before every partition has its marker: wait until each
  // partition's end reaches what the transactions wrote (more than that fails at once).
  const expected = TRANSACTIONS * (RECORDS + 1);
  let ends: number[][] = [];
  for (let waited = 0; waited < 30_000; waited += 200) {
    ends = (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]).sort((a, b) => a[0]! - b[0]!);
    if (ends.every(([, end]) => end! >= expected)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  expect(ends).toEqual([0, 1, 2].map((p) => [p, expected]));
});
