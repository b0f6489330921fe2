// kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` per message:
// quadratic in the messages per partition (tulios/kafkajs#1576, unmerged). Stage A sends one
// partial per (key, minute), tens of thousands per transaction with many distinct hashtags,
// and spent most of its CPU there. This replaces the module with the same grouping in linear
// time before kafkajs's producer captures it; lib/kafka.ts imports it first.
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

if (require.cache[sendMessages]) {
  process.emitWarning('kafkajs was loaded before lib/kafkajs-patch.ts: producing keeps its quadratic grouping');
} else {
  require(file);
  require.cache[file]!.exports = groupMessagesPerPartition;
}

/** True when kafkajs's producer uses the linear grouping. */
export const patched = (): boolean => require.cache[file]?.exports === groupMessagesPerPartition;
