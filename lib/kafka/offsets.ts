// Partition offsets through kafkajs' admin, retried where Kafka says the error is transient.
import type { Admin } from 'kafkajs';
import { retry } from '../retry.js';

/**
 * The partitions' offsets of `topic` (kafkajs' `fetchTopicOffsets`), retrying for about 30 s what
 * Kafka marks retriable, such as NOT_LEADER_OR_FOLLOWER from a node that has just become (or
 * stopped being) a partition's leader: kafkajs retries only an unknown topic there.
 */
export function topicOffsets(admin: Admin, topic: string): ReturnType<Admin['fetchTopicOffsets']> {
  return retry(() => admin.fetchTopicOffsets(topic), { initialMs: 50, maxMs: 1000, retryable: (e, attempt) => (e as { retriable?: boolean }).retriable === true && attempt < 40 });
}
