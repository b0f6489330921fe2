// Faults of a 3-node Kafka cluster under the pipeline (issue 21): topics with replication
// factor 3 and min.insync.replicas 2; the node that leads every pipeline partition and
// coordinates every transaction (one partition of the transaction-state and offsets topics) is
// killed with SIGKILL mid-run and restarted later, or killed and left down. After each, totals
// equal the generator's truth, every event equals a fault-free run's once, every alert reached
// the webhook under its idempotency key. The time from the kill to the first minute decided
// after it is written to .trendstream/cluster-faults.json (it is reported, never asserted).
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from '../../lib/kafka/client.js';
import { kafkaCluster } from '../../deploy/local/kafka.js';
import { stateHome } from '../../deploy/local/process.js';
import { topicNames } from '../../schemas/topics.js';
import type { Config } from '../../app/config.js';
import { runCase } from '../fault-case.js';
import { clusterWorkload, topicsLedBy, transactionCoordinator } from './workload.js';

const FEED_SECONDS = Number(process.env.CLUSTER_FEED_SECONDS ?? 60);

const spec = () => inject('kafkaClusterSpec');
/** The time from `killedAt` to the first minute aggregate created after it on the minutes topic (what stage B decided and committed). */
async function decisionsResumeMs(config: Config, killedAt: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'cluster-faults', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const c = kafka.consumer({ groupId: `${config.kafka.topicPrefix}resume-reader`, readUncommitted: false });
  const stamps: number[] = [];
  await c.connect();
  await c.subscribe({ topic: topicNames(config.kafka.topicPrefix).minutes, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => { stamps.push(Number(message.timestamp)); } });
  await sleep(8000);
  await c.disconnect();
  const after = stamps.filter((s) => s >= killedAt);
  expect(after.length).toBeGreaterThan(0);
  return Math.min(...after) - killedAt;
}

function record(fault: string, figures: Record<string, number | string>): void {
  const dir = path.join(stateHome());
  mkdirSync(dir, { recursive: true });
  const line = { fault, at: new Date().toISOString(), ...figures };
  appendFileSync(path.join(dir, 'cluster-faults.json'), `${JSON.stringify(line)}\n`);
  console.log(JSON.stringify(line));
}

describe('3-broker Kafka cluster', () => {
  it('kill -9 of the node leading every partition and coordinating every transaction, restarted 20 s later, loses nothing and counts nothing twice', async () => {
    const nodes = kafkaCluster(spec()).nodes;
    let victim = 0;
    let killedAt = 0;
    await runCase({
      name: 'leaderkill', workload: clusterWorkload(), feedSeconds: FEED_SECONDS, brokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl'),
      kafka: { replicationFactor: 3, minInsyncReplicas: 2 },
      prepare: async (config) => { victim = await transactionCoordinator(); await topicsLedBy(config, victim); },
      after: async ({ config }) => {
        record('kill -9 of the leading, coordinating broker, restarted after 20 s', { posts: clusterWorkload().all.length, lost: 0, counted_twice: 0, decisions_resume_ms: await decisionsResumeMs(config, killedAt) });
      },
    }, () => [
      [0.35, async () => { killedAt = Date.now(); await nodes[victim - 1]!.kill(); }],
      [0.7, async () => { await nodes[victim - 1]!.restart(); }],
    ]);
  });

  it('a node killed mid-run and left down: the other two carry on and lose nothing', async () => {
    const nodes = kafkaCluster(spec()).nodes;
    let victim = 0;
    let killedAt = 0;
    try {
      await runCase({
        name: 'nodedown', workload: clusterWorkload(), feedSeconds: FEED_SECONDS, brokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl'),
        kafka: { replicationFactor: 3, minInsyncReplicas: 2 },
        prepare: async (config) => { victim = await transactionCoordinator(); await topicsLedBy(config, victim); },
        after: async ({ config }) => {
          record('kill -9 of the leading, coordinating broker, left down', { posts: clusterWorkload().all.length, lost: 0, counted_twice: 0, decisions_resume_ms: await decisionsResumeMs(config, killedAt) });
        },
      }, () => [
        [0.35, async () => { killedAt = Date.now(); await nodes[victim - 1]!.kill(); }],
      ]);
    } finally {
      if (victim) await nodes[victim - 1]!.restart();
    }
  });
});
