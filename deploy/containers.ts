// Kafka and a current ClickHouse server in Docker through testcontainers (issue 22), for the
// tests' global setup and `npm run demo -- --docker`, when a Docker engine answers; otherwise the
// callers use the local runners of deploy/local. Starting them needs image pulls from Docker Hub.
import { existsSync } from 'node:fs';
import http from 'node:http';

export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';

/** How to reach the machine's Docker engine and check that it answers. */
export interface DockerProbe {
  env: NodeJS.ProcessEnv;
  exists: (file: string) => boolean;
  /** Whether the engine at `host` (unix:// or tcp://) answers `GET /_ping`. */
  ping: (host: string) => Promise<boolean>;
}

/** The engine to use, or why none: DOCKER_HOST, else the default socket; either must answer a ping. */
export async function findDocker(p: DockerProbe = { env: process.env, exists: existsSync, ping }): Promise<{ host: string } | { reason: string }> {
  if (p.env.TRENDSTREAM_DOCKER === '0') return { reason: 'TRENDSTREAM_DOCKER=0' };
  const host = p.env.DOCKER_HOST || (p.exists('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : '');
  if (!host) return { reason: 'no DOCKER_HOST and no /var/run/docker.sock' };
  if (!/^(unix|tcp):\/\//.test(host)) return { reason: `DOCKER_HOST ${host}: only unix:// and tcp:// are checked` };
  return (await p.ping(host)) ? { host } : { reason: `the Docker engine at ${host} does not answer` };
}

/** `GET /_ping` on a unix socket or a plain TCP Docker host, 2 s at most. */
export function ping(host: string): Promise<boolean> {
  const u = new URL(host);
  const where = u.protocol === 'unix:' ? { socketPath: u.pathname } : { host: u.hostname, port: Number(u.port || 2375) };
  return new Promise((resolve) => {
    const req = http.get({ ...where, path: '/_ping', timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export interface Containers { brokers: string; clickhouseUrl: string; stop: () => Promise<void> }

/** Starts a single-node Kafka (KRaft) and a ClickHouse server; `stop` removes both. */
export async function startContainers(): Promise<Containers> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  // One broker: transactions need their state topic unreplicated, as deploy/local's broker has it.
  const kafka = await new KafkaContainer(KAFKA_IMAGE).withKraft().withEnvironment({ KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1' }).start();
  try {
    // The default user without a password, as the local server has it.
    const ch = await new GenericContainer(CLICKHOUSE_IMAGE).withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' }).withExposedPorts(8123)
      .withWaitStrategy(Wait.forHttp('/ping', 8123)).start();
    return {
      brokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      clickhouseUrl: `http://${ch.getHost()}:${ch.getMappedPort(8123)}`,
      stop: async () => { await Promise.all([kafka.stop(), ch.stop()]); },
    };
  } catch (e) {
    await kafka.stop();
    throw e;
  }
}
