// The cluster suite's workload, small enough for CI, with a trend and a firestorm so that trends
// and alerts are decided around the faults; and the pipeline's topics created with one node
// (the transaction coordinator) leading every partition.
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { generate } from '../../sim/generator.js';
import { expect, inject } from 'vitest';
import type { Config } from '../../app/config.js';
import { Kafka, logLevel, waitForLeaders } from '../../lib/kafka/client.js';
import { topicNames } from '../../schemas/topics.js';
import { workload, type Workload } from '../fault-case.js';
import { waitFor } from '../helpers.js';

const START = Date.parse('2026-11-24T10:00:00Z');
const M = 60_000;

/** About 4,000 posts over 40 simulated minutes, with a trend and a firestorm, so trends and alerts are decided around the faults. */
export const clusterWorkload = (() => {
  let cached: Workload | null = null;
  return () => {
    cached ??= workload([...generate({
      seed: 2101, start: START, minutes: 40, postsPerMinute: 70, rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
      events: [
        { kind: 'burst', tag: 'Sturmflut', at: START + 12 * M, peakPerMinute: 60, rampMinutes: 2, durationMinutes: 12, lang: 'de' },
        { kind: 'firestorm', watch: 'telekom', at: START + 18 * M, peakPerMinute: 60, rampMinutes: 2, durationMinutes: 12, tag: 'Telekomausfall' },
      ],
    })], EVAL_WATCHES);
    return cached;
  };
})();


const admin = () => new Kafka({ clientId: 'cluster-faults', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING }).admin();

/** The node leading the transaction-state topic's only partition: the coordinator of every transaction. */
export async function transactionCoordinator(): Promise<number> {
  const kafka = new Kafka({ clientId: 'cluster-faults', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  // A transactional producer makes the broker create the topic if no transaction ran yet.
  const p = kafka.producer({ transactionalId: 'cluster-faults-probe', idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  await (await p.transaction()).abort();
  await p.disconnect();
  const a = kafka.admin();
  await a.connect();
  try {
    const leader = async () => (await a.fetchTopicMetadata({ topics: ['__transaction_state'] }).catch(() => null))?.topics[0]?.partitions[0]?.leader ?? -1;
    return await waitFor(leader, (l) => l > 0, 60_000);
  } finally { await a.disconnect(); }
}

/**
 * Creates the pipeline's topics before it starts, each partition's replicas led by `leader`,
 * so that one node leads every partition (ensureTopics then finds them and creates none).
 */
export async function topicsLedBy(config: Config, leader: number): Promise<void> {
  const t = topicNames(config.kafka.topicPrefix);
  const ids = [1, 2, 3];
  const replicas = [leader, ...ids.filter((i) => i !== leader)];
  const parts: [string, number][] = [[t.posts, config.kafka.postsPartitions], [t.enriched, config.kafka.postsPartitions], [t.dlq, 1],
    [t.counts, config.kafka.countsPartitions], [t.minutes, 3], [t.trends, 3], [t.alerts, 3]];
  const a = admin();
  await a.connect();
  try {
    await a.createTopics({
      waitForLeaders: false, // waitForLeaders below: kafkajs' wait throws when the node it asks has not seen the new topic yet
      topics: [...parts.map(([topic, n]) => ({ topic, replicaAssignment: Array.from({ length: n }, (_, partition) => ({ partition, replicas })), configEntries: [{ name: 'min.insync.replicas', value: '2' }] })),
        { topic: t.erasures, replicaAssignment: [{ partition: 0, replicas }], configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.insync.replicas', value: '2' }] }],
    });
    const names = [...parts.map(([topic]) => topic), t.erasures];
    await waitForLeaders(a, names);
    // Each call asks some node, which may not have seen the new topics yet: such an answer counts as not ready.
    const meta = (await waitFor(() => a.fetchTopicMetadata({ topics: names }).catch(() => null),
      (m) => !!m && m.topics.every((x) => x.partitions.every((p) => p.leader === leader)), 60_000))!;
    const leaders = meta.topics.flatMap((m) => m.partitions.map((p) => p.leader));
    expect(leaders.every((l) => l === leader)).toBe(true);
    expect(meta.topics.every((m) => m.partitions.every((p) => p.replicas.length === 3))).toBe(true);
  } finally { await a.disconnect(); }
}

