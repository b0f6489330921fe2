// kafkajs 2.2.4 modules replaced before kafkajs captures them (lib/kafka/client.ts imports this first):
//
// - The producer groups a send's messages by partition with `[...current, message]` per message:
//   quadratic in the messages per partition (tulios/kafkajs#1576, unmerged). Stage A sends one
//   partial per (key, minute), tens of thousands per transaction with many distinct hashtags,
//   and spent most of its CPU there. Replaced by the same grouping in linear time.
// - The producer's send retried a transaction's records to a leader whose first request was
//   still being written, with new sequence numbers, so the broker appended them twice; it
//   happened whenever one send's partitions had different leaders, as on a cluster (stage A wrote
//   259 posts twice with no fault; test/cluster/transactional-send.test.ts). Replaced by a send
//   that adds the partitions to the transaction first and retries only what was not written.
// - When a Produce request failed for some of its partitions (a leader moving, or a topic
//   created a moment ago), kafkajs threw the first partition's error and the send rolled back
//   the sequence numbers of every partition in it, also those the broker had written: the next
//   send reused their numbers and the broker answered OUT_OF_ORDER_SEQUENCE_NUMBER, fatal for
//   the producer (the bench's ingest phase died of it on a fresh topic). The response's error
//   now carries every partition's outcome, and only the refused ones roll back and go again.
// - The read_committed consumer drops the records of aborted transactions by walking the fetch's
//   aborted-transaction list one entry per record. When two aborted transactions began before a
//   record (a worker killed with several transactions open, which its successor aborts), the
//   second one's records got through: downstream counted a batch that was aborted and then
//   processed again (the fault suite saw 376 such records where Kafka's own consumer saw none).
//   Replaced by the Java consumer's rule: every aborted transaction that began at or before a
//   record is open until its producer's abort marker.
// - The record encoder allocated a zero-filled 512-byte buffer per record and did 64-bit
//   zig-zag arithmetic with Long objects for each timestamp: 15 % of ingest's CPU. Replaced by
//   one writer that sizes the record first and writes it into a single pooled buffer, byte for
//   byte what kafkajs wrote (test/unit/kafkajs-patch.test.ts compares the two).
// - kafkajs built each Produce request from an encoder per record, batch, partition and topic,
//   copying every record five times (records.ts): now sized first and written in one buffer,
//   byte for byte the same (the test compares the two).
// - The default partitioner's murmur2 (Java's, so keys land where Java clients put them) did its
//   32-bit arithmetic on Long objects: 4 % of ingest's CPU. Replaced by the same hash with
//   Math.imul, equal on every key (the test compares them).
import { createRequire } from 'node:module';
import { encodeRecord, kafkajsFile, produceRequest, type RecordInput } from './records.js';
import { register } from './replacements.js';

const require = createRequire(import.meta.url);

/**
 * Makes the kafkajs module `file` export `replacement`, unless `capturedBy` (the kafkajs module
 * that requires it at load) is loaded already: then kafkajs `keeps` its own, with a warning,
 * and the registry reports the replacement as not applied.
 */
function replace(r: { name: string; corrects: string; exactlyOnce: boolean }, file: string, replacement: unknown, capturedBy: string, keeps: string): void {
  register({ ...r, applied: () => require.cache[file]?.exports === replacement });
  if (require.cache[capturedBy]) { process.emitWarning(`kafkajs was loaded before lib/kafka/patch.ts: ${keeps}`); return; }
  require(file);
  require.cache[file]!.exports = replacement;
}

interface Args<M> { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: M }) => number }

/** The messages of one send grouped by the partition the partitioner picks, in their order. */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: Args<M>): Record<number, M[]> {
  const out: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) (out[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return out;
}


interface Produce { topic: string; partitions: { partition: number; messages: unknown[]; firstSequence?: number }[] }
interface SendDeps {
  logger: { debug(m: string, x?: object): void; error(m: string, x?: object): void };
  cluster: {
    addMultipleTargetTopics(topics: string[]): Promise<void>; refreshMetadataIfNecessary(): Promise<void>; refreshMetadata(): Promise<void>;
    findTopicPartitionMetadata(topic: string): unknown[]; findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
    findBroker(b: { nodeId: string }): Promise<{ produce(r: object): Promise<unknown> }>;
    removeBroker(b: { host: string; port: number }): void; isConnected(): boolean; connect(): Promise<void>;
  };
  partitioner: Args<unknown>['partitioner'];
  eosManager: {
    isTransactional(): boolean; getTransactionalId(): string; getProducerId(): unknown; getProducerEpoch(): number;
    addPartitionsToTransaction(topicData: Produce[]): Promise<void>; acquireBrokerLock(b: object): Promise<void>; releaseBrokerLock(b: object): Promise<void>;
    getSequence(topic: string, partition: number): number; updateSequence(topic: string, partition: number, n: number): void;
  };
  retrier: <T>(f: (bail: (e: unknown) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;
}
interface SendError { name: string; type?: string; retriable?: boolean; message: string; host: string; port: number }
/** A decoded Produce response: each partition's outcome. */
export interface ProduceResponse { topics: { topicName: string; partitions: { partition: number; errorCode: number }[] }[] }
type ProduceResponseModule = { decode: (raw: Buffer) => Promise<ProduceResponse>; parse: (r: ProduceResponse) => Promise<ProduceResponse> };

/**
 * kafkajs's Produce response check (v3 to v7): it throws the first partition's error and so hides
 * which partitions the broker wrote. Here the error it throws carries the whole response as
 * `produced`, so that sendMessages keeps those partitions' sequence numbers and does not send them again.
 */
export function produceResponse(kafkajs: ProduceResponseModule): ProduceResponseModule {
  return {
    decode: kafkajs.decode,
    parse: async (r) => {
      try { return await kafkajs.parse(r); } catch (e) {
        if (e && typeof e === 'object') Object.assign(e, { produced: r });
        throw e;
      }
    },
  };
}
const { KafkaJSMetadataNotLoaded } = require(kafkajsFile('errors.js')) as { KafkaJSMetadataNotLoaded: new (m: string) => Error };
const { staleMetadata } = require(kafkajsFile('protocol/error.js')) as { staleMetadata(e: unknown): boolean };
const responseSerializer = require(kafkajsFile('producer/responseSerializer.js')) as (r: unknown) => unknown[];

/**
 * kafkajs's producer send (sendMessages.js) with the retry that keeps a transaction's records
 * once. kafkajs sent one request per leader at once, each adding its partitions to the
 * transaction first; the coordinator answers all but one of those concurrent AddPartitionsToTxn
 * with CONCURRENT_TRANSACTIONS, and the retry (Promise.all rejects at the first failure) sent
 * again to every leader that had not answered yet, also to the one still writing the first
 * request, with the next sequence numbers, so the broker appended the records twice. Here the
 * partitions join the transaction in one request before any records go out, an attempt ends
 * only once each of its requests has, and a retry sends only the partitions not written yet,
 * to their leader then, grouped as the first attempt grouped them.
 */
export function sendMessages({ logger, cluster, partitioner, eosManager, retrier }: SendDeps) {
  return async ({ acks, timeout, compression, topicMessages }: { acks: number; timeout: number; compression: unknown; topicMessages: { topic: string; messages: unknown[] }[] }) => {
    const byTopic = new Map<string, unknown[]>(); // a topic named twice is one topic, its messages in order
    for (const { topic, messages } of topicMessages) {
      const list = byTopic.get(topic) ?? [];
      byTopic.set(topic, list);
      for (const m of messages) list.push(m);
    }
    const grouped = new Map<string, Record<number, unknown[]>>();
    const written = new Set<string>(); // `${topic}|${partition}`
    const responses: unknown[] = [];
    return retrier(async (bail, retryCount, retryTime) => {
      await cluster.addMultipleTargetTopics([...byTopic.keys()]);
      try {
        await cluster.refreshMetadataIfNecessary();
        const perLeader = new Map<string, Produce[]>();
        for (const [topic, messages] of byTopic) {
          const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
          if (partitionMetadata.length === 0) throw new KafkaJSMetadataNotLoaded('Producing to topic without metadata');
          let perPartition = grouped.get(topic);
          if (!perPartition) grouped.set(topic, (perPartition = groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner })));
          const left = Object.keys(perPartition).map(Number).filter((p) => !written.has(`${topic}|${p}`));
          for (const [nodeId, partitions] of Object.entries(cluster.findLeaderForPartitions(topic, left))) {
            const list = perLeader.get(nodeId) ?? [];
            perLeader.set(nodeId, list);
            list.push({ topic, partitions: partitions.map((partition) => ({ partition, messages: perPartition![partition]! })) });
          }
        }
        if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction([...perLeader.values()].flat());
        const sent = await Promise.allSettled([...perLeader].map(async ([nodeId, topicData]) => {
          const broker = await cluster.findBroker({ nodeId });
          await eosManager.acquireBrokerLock(broker);
          try {
            for (const { topic, partitions } of topicData) {
              for (const entry of partitions) {
                entry.firstSequence = eosManager.getSequence(topic, entry.partition);
                eosManager.updateSequence(topic, entry.partition, entry.messages.length);
              }
            }
            let response: unknown;
            try {
              response = await broker.produce({ transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
                producerId: eosManager.getProducerId(), producerEpoch: eosManager.getProducerEpoch(), acks, timeout, compression, topicData });
            } catch (e) {
              // A partition the broker wrote keeps its sequence numbers and is not sent again; only
              // the others roll back (rolling back a written one made the next send reuse its numbers:
              // OUT_OF_ORDER_SEQUENCE_NUMBER, or worse, records dropped as duplicates).
              const outcome = (e as { produced?: ProduceResponse }).produced;
              for (const { topic, partitions } of topicData) {
                for (const entry of partitions) {
                  const p = outcome?.topics.find((t) => t.topicName === topic)?.partitions.find((x) => x.partition === entry.partition);
                  if (p?.errorCode === 0) {
                    written.add(`${topic}|${entry.partition}`);
                    if (acks !== 0) responses.push(...responseSerializer({ topics: [{ topicName: topic, partitions: [p] }] }));
                  } else {
                    eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
                  }
                }
              }
              throw e;
            }
            for (const { topic, partitions } of topicData) for (const { partition } of partitions) written.add(`${topic}|${partition}`);
            if (acks !== 0) responses.push(...responseSerializer(response));
          } finally { await eosManager.releaseBrokerLock(broker); }
        }));
        const failed = sent.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        return responses;
      } catch (err) {
        // As kafkajs handles a failed attempt.
        const e = err as SendError;
        if (e.name === 'KafkaJSConnectionClosedError') cluster.removeBroker({ host: e.host, port: e.port });
        if (!cluster.isConnected()) {
          logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, { retryCount, retryTime });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw e;
        }
        if (staleMetadata(e) || ['KafkaJSMetadataNotLoaded', 'KafkaJSConnectionError', 'KafkaJSConnectionClosedError'].includes(e.name) || (e.name === 'KafkaJSProtocolError' && e.retriable)) {
          logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
          await cluster.refreshMetadata();
          throw e;
        }
        logger.error(`${e.message}`, { retryCount, retryTime });
        if (e.retriable) throw e;
        bail(e);
        return responses;
      }
    });
  };
}

interface FetchedMessage { offset: string; key?: Buffer | null; isControlRecord?: boolean; batchContext: { producerId: string; inTransaction: boolean } }
interface AbortedTransaction { firstOffset: string; producerId: string }
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]); // control record key: version 0, type 0 (abort)

/** The fetched records without those of aborted transactions (control records are left for kafkajs to drop). */
export function filterAbortedMessages<M extends FetchedMessage>({ messages, abortedTransactions }: { messages: M[]; abortedTransactions?: AbortedTransaction[] }): M[] {
  if (!abortedTransactions?.length) return messages;
  const pending = [...abortedTransactions].sort((a, b) => { const d = BigInt(a.firstOffset) - BigInt(b.firstOffset); return d < 0n ? -1 : d > 0n ? 1 : 0; });
  const aborted = new Set<string>();
  let next = 0;
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (next < pending.length && BigInt(pending[next]!.firstOffset) <= offset) aborted.add(String(pending[next++]!.producerId));
    const producerId = String(m.batchContext.producerId);
    if (m.isControlRecord) {
      if (m.key && Buffer.from(m.key).equals(ABORT_MARKER_KEY)) aborted.delete(producerId);
      return true;
    }
    return !(m.batchContext.inTransaction && aborted.has(producerId));
  });
}


/** kafkajs's own record encoder, kept for the test that compares the two. */
export const kafkajsRecord: (r: RecordInput) => { buffer: Buffer } = require(kafkajsFile('protocol/recordBatch/record/v0/index.js'));

const keyScratch = Buffer.allocUnsafeSlow(1024);

/** Kafka's murmur2 (Utils.murmur2 in the Java client) of a record key, as a signed 32-bit int. */
export function murmur2(key: Buffer | string): number {
  let data: Buffer, length: number;
  if (Buffer.isBuffer(key)) { data = key; length = key.length; } else {
    const s = String(key);
    if (s.length * 3 <= keyScratch.length) { data = keyScratch; length = keyScratch.write(s, 0); } else { data = Buffer.from(s); length = data.length; }
  }
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const end4 = length & ~3;
  for (let i = 0; i < end4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2's tail adds the last bytes cumulatively
    case 3: h ^= data[end4 + 2]! << 16; // falls through
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above
    case 2: h ^= data[end4 + 1]! << 8; // falls through
    case 1: h ^= data[end4]!; h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** kafkajs's own murmur2, kept for the test that compares the two. */
export const kafkajsMurmur2: (key: Buffer | string) => number = require(kafkajsFile('producer/partitioners/default/murmur2.js'));

replace({ name: 'linear partition grouping', corrects: 'the producer groups messages by partition in quadratic time', exactlyOnce: false },
  kafkajsFile('producer/groupMessagesPerPartition.js'), groupMessagesPerPartition, kafkajsFile('producer/sendMessages.js'), 'producing keeps its quadratic grouping');
replace({ name: 'transactional send retried once per partition', corrects: 'a retried send wrote a transaction\'s records twice when its partitions had different leaders', exactlyOnce: true },
  kafkajsFile('producer/sendMessages.js'), sendMessages, kafkajsFile('producer/messageProducer.js'), 'producing keeps its send, which can write a transaction\'s records twice');
replace({ name: 'aborted-transaction filter', corrects: 'read_committed consumers let through records of a second aborted transaction', exactlyOnce: true },
  kafkajsFile('consumer/filterAbortedMessages.js'), filterAbortedMessages, kafkajsFile('consumer/batch.js'), 'read_committed consumers keep its aborted-transaction filter');
replace({ name: 'pooled record encoder', corrects: 'a zero-filled 512-byte buffer and Long arithmetic per record', exactlyOnce: false },
  kafkajsFile('protocol/recordBatch/record/v0/index.js'), encodeRecord, kafkajsFile('protocol/requests/produce/v3/request.js'), 'producing keeps its record encoder');
/** kafkajs's own Produce v3 response (v4 to v7 reuse its check), kept for the test. */
export const kafkajsProduceResponse = require(kafkajsFile('protocol/requests/produce/v3/response.js')) as ProduceResponseModule;
export const produceResponseV3 = produceResponse(kafkajsProduceResponse);
replace({ name: 'produce outcome per partition', corrects: 'a send that failed for some partitions rolled back the sequence numbers of those the broker had written', exactlyOnce: true },
  kafkajsFile('protocol/requests/produce/v3/response.js'), produceResponseV3, kafkajsFile('protocol/requests/produce/v5/response.js'), 'producing keeps its response check, which hides the partitions a failed send wrote');
/** kafkajs's own Produce v3 request (v4 to v7 extend it), kept for the fallback and the test that compares the two. */
export const kafkajsProduceRequest = require(kafkajsFile('protocol/requests/produce/v3/request.js')) as Parameters<typeof produceRequest>[0];
export const produceRequestV3 = produceRequest(kafkajsProduceRequest);
replace({ name: 'one-pass produce request', corrects: 'five copies of every record and a zero-filled 512-byte buffer per encoder on the way into a Produce request', exactlyOnce: false },
  kafkajsFile('protocol/requests/produce/v3/request.js'), produceRequestV3, kafkajsFile('protocol/requests/produce/v4/request.js'), 'producing keeps its Produce request encoder');
replace({ name: 'murmur2 with Math.imul', corrects: 'the default partitioner hashes with Long objects', exactlyOnce: false },
  kafkajsFile('producer/partitioners/default/murmur2.js'), murmur2, kafkajsFile('producer/partitioners/default/index.js'), 'partitioning keeps its Long-based murmur2');
