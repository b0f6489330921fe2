// A single-node Apache Kafka broker in KRaft mode, from the official artifacts on Maven
// Central (fetched with Maven into a cache), run with the machine's Java. Used by the
// demo, the tests and the benchmark when KAFKA_BROKERS is not set.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Daemon, portOpen, startDaemon, stateHome, stopStale, which } from './process.js';

/** The Kafka release we run and test against (the newest that passes our suite with kafkajs). */
export const KAFKA_VERSION = '4.4.0';
const here = path.dirname(fileURLToPath(import.meta.url));

/** The folder holding the broker's jars, fetched with Maven on first use. */
export function kafkaLibs(version = KAFKA_VERSION): string {
  const dir = path.join(process.env.TRENDSTREAM_CACHE ?? path.join(os.homedir(), '.cache', 'trendstream'), `kafka-${version}`, 'libs');
  if (existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('kafka_2.13-'))) return dir;
  if (!which('mvn')) throw new Error('Maven (mvn) is needed to fetch the Kafka broker: install it (apt-get install maven) or set KAFKA_BROKERS to a running broker');
  if (!which('java')) throw new Error('Java 17+ is needed to run the Kafka broker: install it (apt-get install openjdk-17-jre-headless) or set KAFKA_BROKERS');
  mkdirSync(dir, { recursive: true });
  execFileSync('mvn', ['-q', '-B', '-f', path.join(here, 'kafka-pom.xml'), 'dependency:copy-dependencies',
    `-Dkafka.version=${version}`, `-DoutputDirectory=${dir}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

export interface LocalKafka { brokers: string; daemon: Daemon | null; stop(): Promise<void> }

/**
 * Starts a broker on `port` (controller on port+1) with its data under the state folder,
 * or reuses one that already serves that port. Topics are never auto-created.
 */
export async function startKafka(opts: { port?: number; name?: string; fresh?: boolean } = {}): Promise<LocalKafka> {
  const port = opts.port ?? 9092;
  const brokers = `127.0.0.1:${port}`;
  const dir = path.join(stateHome(), opts.name ?? `kafka-${port}`);
  if (!opts.fresh && (await portOpen(port))) return { brokers, daemon: null, stop: async () => {} };
  await stopStale('kafka', dir);
  const libs = kafkaLibs();
  const dataDir = path.join(dir, 'data');
  if (opts.fresh) execFileSync('rm', ['-rf', dataDir]);
  mkdirSync(dir, { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, [
    'process.roles=broker,controller', 'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${port + 1}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER', 'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`, 'auto.create.topics.enable=false', 'num.partitions=1',
    'offsets.topic.replication.factor=1', 'offsets.topic.num.partitions=6',
    'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1', 'transaction.state.log.num.partitions=6',
    'group.initial.rebalance.delay.ms=0', 'log.retention.hours=168', 'log.segment.bytes=268435456',
    'transaction.max.timeout.ms=900000', 'message.max.bytes=10485760',
  ].join('\n'));
  const log4j = path.join(dir, 'log4j2.properties');
  writeFileSync(log4j, [
    'rootLogger.level=WARN', 'rootLogger.appenderRef.out.ref=out',
    'appender.out.type=Console', 'appender.out.name=out', 'appender.out.layout.type=PatternLayout',
    'appender.out.layout.pattern=[%d] %p %m (%c)%n',
  ].join('\n'));
  const cp = `${libs}/*`;
  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    const id = execFileSync('java', ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('java', ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props], { stdio: 'ignore' });
  }
  const daemon = await startDaemon({
    name: 'kafka', dir, cmd: 'java', port,
    args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${log4j}`, '-cp', cp, 'kafka.Kafka', props],
  });
  return { brokers, daemon, stop: () => daemon.stop() };
}
