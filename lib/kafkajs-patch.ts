// Two kafkajs 2.2.4 modules replaced before kafkajs captures them (lib/kafka.ts imports this first):
//
// - The producer groups a send's messages by partition with `[...current, message]` per message:
//   quadratic in the messages per partition (tulios/kafkajs#1576, unmerged). Stage A sends one
//   partial per (key, minute), tens of thousands per transaction with many distinct hashtags,
//   and spent most of its CPU there. Replaced by the same grouping in linear time.
// - The read_committed consumer drops the records of aborted transactions by walking the fetch's
//   aborted-transaction list one entry per record. When two aborted transactions began before a
//   record (a worker killed with several transactions open, which its successor aborts), the
//   second one's records got through: downstream counted a batch that was aborted and then
//   processed again (the fault suite saw 376 such records where Kafka's own consumer saw none).
//   Replaced by the Java consumer's rule: every aborted transaction that began at or before a
//   record is open until its producer's abort marker.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const file = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
const sendMessages = require.resolve('kafkajs/src/producer/sendMessages.js');

interface Args<M> { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: M }) => number }

/** The messages of one send grouped by the partition the partitioner picks, in their order. */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: Args<M>): Record<number, M[]> {
  const out: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) (out[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return out;
}

const filterFile = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
const batchFile = require.resolve('kafkajs/src/consumer/batch.js');

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

if (require.cache[batchFile]) {
  process.emitWarning('kafkajs was loaded before lib/kafkajs-patch.ts: read_committed consumers keep its aborted-transaction filter');
} else {
  require(filterFile);
  require.cache[filterFile]!.exports = filterAbortedMessages;
}

if (require.cache[sendMessages]) {
  process.emitWarning('kafkajs was loaded before lib/kafkajs-patch.ts: producing keeps its quadratic grouping');
} else {
  require(file);
  require.cache[file]!.exports = groupMessagesPerPartition;
}

/** True when kafkajs uses both replacements. */
export const patched = (): boolean => require.cache[file]?.exports === groupMessagesPerPartition && require.cache[filterFile]?.exports === filterAbortedMessages;
