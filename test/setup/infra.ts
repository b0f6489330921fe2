// Infrastructure for integration tests, in the order the backbone issue asks for:
// KAFKA_BROKERS / CLICKHOUSE_URL when set; otherwise, when a Docker engine answers, Kafka and a
// current ClickHouse server in containers (deploy/containers.ts, testcontainers); otherwise the
// local runners of deploy/local (a real Kafka broker from Maven Central, Debian's
// clickhouse-server). Whatever is started here is stopped at the end; the choice is logged.
// Tests read the addresses with inject('kafkaBrokers' | 'clickhouseUrl').
import type { TestProject } from 'vitest/node';
import path from 'node:path';
import { findDocker, startContainers } from '../../deploy/containers.js';
import { startClickHouse } from '../../deploy/local/clickhouse.js';
import { startKafka } from '../../deploy/local/kafka.js';
import { stateHome, stopStale } from '../../deploy/local/process.js';

declare module 'vitest' {
  export interface ProvidedContext { kafkaBrokers: string; clickhouseUrl: string; localInfra: boolean }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  let brokers = process.env.KAFKA_BROKERS;
  let url = process.env.CLICKHOUSE_URL;
  let containers = false;
  if (!brokers && !url) {
    const docker = await findDocker();
    if ('host' in docker) {
      console.log(`Test infrastructure: Kafka and ClickHouse in containers (testcontainers) on the Docker engine at ${docker.host}`);
      const c = await startContainers();
      [brokers, url, containers] = [c.brokers, c.clickhouseUrl, true];
      stops.push(c.stop);
    } else {
      console.log(`Test infrastructure: the local Kafka and ClickHouse runners (${docker.reason})`);
    }
  }
  if (!brokers) {
    // Below Linux's ephemeral range (32768-60999): the fault suite stops this broker and the
    // ClickHouse server mid-run, and while one is down a client's outgoing connection could take
    // its port (or connect to itself), so that the restart failed with EADDRINUSE.
    const kport = Number(process.env.TEST_KAFKA_PORT ?? 19092);
    const k = await startKafka({ port: kport, name: `test-kafka-${kport}`, fresh: true });
    brokers = k.brokers;
    // By pid file, not by handle: the fault suite restarts the broker under the same name.
    stops.push(() => stopStale('kafka', path.join(stateHome(), `test-kafka-${kport}`)));
  }
  if (!url) {
    const cport = Number(process.env.TEST_CLICKHOUSE_PORT ?? 18123);
    const ch = await startClickHouse({ port: cport, name: `test-clickhouse-${cport}` });
    url = ch.url;
    if (ch.daemon) stops.push(() => stopStale('clickhouse', path.join(stateHome(), `test-clickhouse-${cport}`)));
  }
  project.provide('kafkaBrokers', brokers);
  project.provide('clickhouseUrl', url);
  // Only infrastructure started here may be stopped and restarted by the fault suite.
  project.provide('localInfra', !process.env.KAFKA_BROKERS && !process.env.CLICKHOUSE_URL && !containers);
  return async () => { for (const s of stops.reverse()) await s(); };
}
