// Apache Kafka in KRaft mode from the official artifacts on Maven Central (fetched with
// Maven into a cache), run with the machine's Java: a single node, or a cluster of combined
// controller+broker nodes on loopback. Used by the demo, the tests and the benchmark when
// KAFKA_BROKERS is not set.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
 * A listener besides PLAINTEXT (single node only), e.g. SSL or SASL_SSL for transport tests.
 * `config` keys are set for this listener only (`listener.name.<name>.<key>`): ssl.keystore.location,
 * ssl.client.auth, sasl.enabled.mechanisms, plain.sasl.jaas.config, ...
 */
/** A SCRAM user (SHA-256 and SHA-512) written into the metadata when a fresh node is formatted. */
export interface ScramUser { name: string; password: string }

export interface ExtraListener { name: string; protocol: 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT'; port: number; config?: Record<string, string> }

/** One node of a local cluster: its broker port, data folder and how to kill or restart it. */
export interface KafkaNode {
  id: number;
  port: number;
  dir: string;
  /** Starts the node on its data (first start, or after a stop or a kill); resolves once its broker port answers. */
  restart(): Promise<void>;
  /** SIGKILL, no shutdown: the node's state is what its disk had. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (controlled shutdown), SIGKILL after 20 s. */
  stop(): Promise<void>;
}
export interface LocalKafkaCluster { brokers: string; nodes: KafkaNode[]; stop(): Promise<void> }

const log4jProps = [
  'rootLogger.level=WARN', 'rootLogger.appenderRef.out.ref=out',
  'appender.out.type=Console', 'appender.out.name=out', 'appender.out.layout.type=PatternLayout',
  'appender.out.layout.pattern=[%d] %p %m (%c)%n',
].join('\n');

/**
 * The properties of one combined controller+broker node. `voters` lists every node as
 * id@controller-port; internal topics (offsets, transaction state) get the cluster's
 * replication (3 with min ISR 2 on three nodes), so losing one node loses no commit.
 */
function nodeProps(o: { id: number; port: number; dataDir: string; voters: { id: number; port: number }[]; coordinatorPartitions?: number | undefined; listeners?: ExtraListener[] | undefined }): string {
  const n = o.voters.length;
  const extra = o.listeners ?? [];
  const rf = Math.min(3, n);
  const minIsr = rf > 1 ? 2 : 1;
  return [
    'process.roles=broker,controller', `node.id=${o.id}`,
    `controller.quorum.voters=${o.voters.map((v) => `${v.id}@127.0.0.1:${v.port + 1}`).join(',')}`,
    `listeners=${[`PLAINTEXT://127.0.0.1:${o.port}`, `CONTROLLER://127.0.0.1:${o.port + 1}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.port}`)].join(',')}`,
    `advertised.listeners=${[`PLAINTEXT://127.0.0.1:${o.port}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.port}`)].join(',')}`,
    'controller.listener.names=CONTROLLER', 'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...extra.map((l) => `${l.name}:${l.protocol}`)].join(',')}`,
    ...extra.flatMap((l) => Object.entries(l.config ?? {}).map(([k, v]) => `listener.name.${l.name.toLowerCase()}.${k}=${v}`)),
    `log.dirs=${o.dataDir}`, 'auto.create.topics.enable=false', 'num.partitions=1',
    `offsets.topic.replication.factor=${rf}`, `offsets.topic.num.partitions=${o.coordinatorPartitions ?? 6}`,
    `transaction.state.log.replication.factor=${rf}`, `transaction.state.log.min.isr=${minIsr}`, `transaction.state.log.num.partitions=${o.coordinatorPartitions ?? 6}`,
    `default.replication.factor=${rf}`, `min.insync.replicas=${minIsr}`,
    'group.initial.rebalance.delay.ms=0', 'log.retention.hours=168', 'log.segment.bytes=268435456',
    'transaction.max.timeout.ms=900000', 'message.max.bytes=10485760',
    // A cluster notices a dead node within seconds (the defaults are 9 s broker session, 2 s heartbeats),
    // and a killed leader's partitions move then; unclean election stays off (no acknowledged write is lost).
    ...(n > 1 ? ['broker.session.timeout.ms=6000', 'broker.heartbeat.interval.ms=1000', 'replica.lag.time.max.ms=10000',
      'controller.quorum.election.timeout.ms=1000', 'controller.quorum.fetch.timeout.ms=2000', 'unclean.leader.election.enable=false'] : []),
  ].join('\n');
}

/** Formats (first time) and starts one node; resolves once its broker port accepts connections. */
async function startNode(o: { id: number; port: number; dir: string; voters: { id: number; port: number }[]; clusterId: string | null; heap: 'small' | 'default'; fresh: boolean; coordinatorPartitions?: number | undefined; listeners?: ExtraListener[] | undefined; scramUsers?: ScramUser[] | undefined }): Promise<{ daemon: Daemon; clusterId: string }> {
  await stopStale('kafka', o.dir);
  const libs = kafkaLibs();
  const dataDir = path.join(o.dir, 'data');
  if (o.fresh) execFileSync('rm', ['-rf', dataDir]);
  mkdirSync(o.dir, { recursive: true });
  const props = path.join(o.dir, 'server.properties');
  writeFileSync(props, nodeProps({ id: o.id, port: o.port, dataDir, voters: o.voters, coordinatorPartitions: o.coordinatorPartitions, listeners: o.listeners }));
  const log4j = path.join(o.dir, 'log4j2.properties');
  writeFileSync(log4j, log4jProps);
  const cp = `${libs}/*`;
  let clusterId = o.clusterId;
  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    clusterId ??= execFileSync('java', ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const scram = (o.scramUsers ?? []).flatMap((u) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.name},password=${u.password}]`]));
    execFileSync('java', ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, ...scram], { stdio: 'ignore' });
  }
  const heap = o.heap === 'small' ? ['-Xms128m', '-Xmx448m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'] : ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC'];
  const daemon = await startDaemon({
    name: 'kafka', dir: o.dir, cmd: 'java', port: o.port, timeoutMs: 180_000,
    args: [...heap, `-Dlog4j2.configurationFile=${log4j}`, '-cp', cp, 'kafka.Kafka', props],
  });
  return { daemon, clusterId: clusterId ?? '' };
}

/**
 * Starts a broker on `port` (controller on port+1) with its data under the state folder,
 * or reuses one that already serves that port. Topics are never auto-created.
 */
export async function startKafka(opts: { port?: number; name?: string; fresh?: boolean; listeners?: ExtraListener[]; scramUsers?: ScramUser[] } = {}): Promise<LocalKafka> {
  const port = opts.port ?? 9092;
  const brokers = `127.0.0.1:${port}`;
  const dir = path.join(stateHome(), opts.name ?? `kafka-${port}`);
  if (!opts.fresh && (await portOpen(port))) return { brokers, daemon: null, stop: async () => {} };
  const { daemon } = await startNode({ id: 1, port, dir, voters: [{ id: 1, port }], clusterId: null, heap: 'default', fresh: !!opts.fresh, listeners: opts.listeners, scramUsers: opts.scramUsers });
  return { brokers, daemon, stop: () => daemon.stop() };
}

/** Where the nodes of a local cluster live and listen; node i (1-based) serves basePort + 2(i-1), its controller the port after. */
export interface KafkaClusterSpec {
  brokers?: number;
  basePort?: number;
  name?: string;
  /** Partitions of the offsets and transaction-state topics (6); 1 makes one node coordinate every group and transaction. */
  coordinatorPartitions?: number;
}

/**
 * The nodes of a local cluster, as handles that work from any process (they act through the
 * nodes' pid files): a test can kill -9 a node started by its global setup and restart it.
 */
export function kafkaCluster(spec: KafkaClusterSpec = {}): LocalKafkaCluster & { root: string; clusterId(): string } {
  const count = spec.brokers ?? 3;
  const basePort = spec.basePort ?? 9092;
  const root = path.join(stateHome(), spec.name ?? `kafka-cluster-${basePort}`);
  const voters = Array.from({ length: count }, (_, i) => ({ id: i + 1, port: basePort + 2 * i }));
  const idFile = path.join(root, 'cluster.id');
  const clusterId = () => {
    if (existsSync(idFile)) return readFileSync(idFile, 'utf8').trim();
    mkdirSync(root, { recursive: true });
    const id = execFileSync('java', ['-cp', `${kafkaLibs()}/*`, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').pop()!;
    writeFileSync(idFile, id);
    return id;
  };
  const nodes: KafkaNode[] = voters.map((v) => {
    const dir = path.join(root, `node-${v.id}`);
    const pidFile = path.join(dir, 'kafka.pid');
    const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0);
    return {
      id: v.id, port: v.port, dir,
      async restart() {
        await startNode({ id: v.id, port: v.port, dir, voters, clusterId: clusterId(), heap: 'small', fresh: false, coordinatorPartitions: spec.coordinatorPartitions });
      },
      async kill() {
        const p = pid();
        if (p > 0) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
        await stopStale('kafka', dir);
      },
      stop: () => stopStale('kafka', dir),
    };
  });
  return { root, clusterId, brokers: voters.map((v) => `127.0.0.1:${v.port}`).join(','), nodes, stop: async () => { await Promise.all(nodes.map((n) => n.stop())); } };
}

/**
 * Starts a cluster of combined controller+broker nodes on loopback (see kafkaCluster), or
 * reuses one whose every broker port already answers. All nodes are formatted with one
 * cluster id and started together: a KRaft quorum needs a majority of its voters before any
 * of them serves. Internal topics get replication 3 with min ISR 2, and so do topics created
 * without an explicit replication factor.
 */
export async function startKafkaCluster(spec: KafkaClusterSpec & { fresh?: boolean } = {}): Promise<LocalKafkaCluster> {
  const c = kafkaCluster(spec);
  if (!spec.fresh && (await Promise.all(c.nodes.map((n) => portOpen(n.port)))).every(Boolean)) {
    return { brokers: c.brokers, nodes: c.nodes, stop: async () => {} };
  }
  await c.stop();
  if (spec.fresh) execFileSync('rm', ['-rf', c.root]);
  c.clusterId();
  await Promise.all(c.nodes.map((n) => n.restart()));
  return c;
}
