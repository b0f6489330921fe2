import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Partitioners } from '../../lib/kafka.js';
import { groupMessagesPerPartition, patched } from '../../lib/kafkajs-patch.js';

const require = createRequire(import.meta.url);

describe('kafkajs linear partition grouping', () => {
  it('is the grouping kafkajs producers use', () => {
    expect(patched()).toBe(true);
    expect(require('kafkajs/src/producer/groupMessagesPerPartition.js')).toBe(groupMessagesPerPartition);
  });

  it('groups like the partitioner, keeping order within each partition', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const messages = Array.from({ length: 30_000 }, (_, i) => ({ key: `t:tag${i % 7919}`, value: String(i) }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: partitioner as never });
    const want: Record<number, typeof messages> = {};
    for (const message of messages) (want[partitioner({ topic: 't', partitionMetadata, message })] ??= []).push(message);
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(grouped).toEqual(want);
    expect(Object.values(grouped).reduce((n, m) => n + m.length, 0)).toBe(30_000);
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: partitioner as never })).toEqual({});
  });
});
