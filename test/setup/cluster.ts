// Infrastructure of the cluster tests (`npm run test:cluster`), started here and stopped at the
// end: a 3-node Kafka cluster (KRaft, combined controller+broker nodes on loopback, one
// partition each for the offsets and transaction-state topics so that one node coordinates
// every group and transaction, the node the faults aim at) and a ClickHouse cluster of one
// shard with two replicas (Debian's clickhouse-server 18.16) and Debian's ZooKeeper. Ports
// 23000-23999 (TEST_CLUSTER_BASE_PORT moves them). Tests reach the nodes through their pid
// files (kafkaCluster, clickHouseCluster); tests that need no ClickHouse cluster use replica 1
// as a plain server, in their own database.
import type { TestProject } from 'vitest/node';
import { type ClickHouseClusterSpec, startClickHouseCluster } from '../../deploy/local/clickhouse.js';
import { type KafkaClusterSpec, startKafkaCluster } from '../../deploy/local/kafka.js';

declare module 'vitest' {
  export interface ProvidedContext { kafkaClusterSpec: KafkaClusterSpec; clickhouseClusterSpec: ClickHouseClusterSpec }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = Number(process.env.TEST_CLUSTER_BASE_PORT ?? 23000);
  const kspec = { brokers: 3, basePort: base + 92, name: `test-kafka-cluster-${base + 92}`, coordinatorPartitions: 1 };
  const cspec = { basePort: base + 123, zookeeperPort: base + 181, replicas: 2, cluster: 'trendstream', name: `test-clickhouse-cluster-${base + 123}` };
  const [kafka, ch] = await Promise.all([startKafkaCluster({ ...kspec, fresh: true }), startClickHouseCluster({ ...cspec, fresh: true })]);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('kafkaClusterSpec', kspec);
  project.provide('clickhouseUrl', ch.urls[0]!);
  project.provide('clickhouseClusterSpec', cspec);
  project.provide('localInfra', true);
  // TEST_KEEP_CLUSTER=1 leaves both clusters running after the run, to inspect a failure.
  return async () => { if (process.env.TEST_KEEP_CLUSTER !== '1') { await kafka.stop(); await ch.stop(); } };
}
