// Debian's clickhouse-server (18.16) run with the project's own config on a port of our
// choosing, its data under the state folder: one server, or one shard of replicas with
// Debian's ZooKeeper (a cluster for CLICKHOUSE_CLUSTER). Used by the tests, the fault suite
// and the benchmark when CLICKHOUSE_URL is not set; the demo uses embedded chdb unless asked.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Daemon, portOpen, startDaemon, stateHome, stopStale, which } from './process.js';
import { type LocalZooKeeper, startZooKeeper } from './zookeeper.js';

const SERVER = '/usr/sbin/clickhouse-server';

/** Installs Debian's clickhouse-server when it is missing and we are root; otherwise says what to do. */
export function ensureClickHouseServer(): string {
  const bin = existsSync(SERVER) ? SERVER : which('clickhouse-server');
  if (bin) return bin;
  if (process.getuid?.() === 0 && which('apt-get')) {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client'], { stdio: 'inherit' });
    if (existsSync(SERVER)) return SERVER;
  }
  throw new Error('clickhouse-server is not installed: run `apt-get install clickhouse-server` as root, or set CLICKHOUSE_URL to a running server');
}

export interface LocalClickHouse { url: string; daemon: Daemon | null; stop(): Promise<void> }

/**
 * Starts a server with HTTP on `port` (native TCP on port+1, replication on port+2), or reuses
 * one already serving it. `extra` is more XML inside the config's root (cluster, ZooKeeper, macros).
 */
export async function startClickHouse(opts: { port?: number; name?: string; extra?: string; fresh?: boolean } = {}): Promise<LocalClickHouse> {
  const port = opts.port ?? 8123;
  const url = `http://127.0.0.1:${port}`;
  if (!opts.fresh && (await portOpen(port))) return { url, daemon: null, stop: async () => {} };
  const bin = ensureClickHouseServer();
  const dir = path.join(stateHome(), opts.name ?? `clickhouse-${port}`);
  await stopStale('clickhouse', dir);
  if (opts.fresh) execFileSync('rm', ['-rf', path.join(dir, 'data'), path.join(dir, 'tmp')]);
  for (const d of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(path.join(dir, d), { recursive: true });
  const config = path.join(dir, 'config.xml');
  writeFileSync(config, `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <http_port>${port}</http_port>
  <tcp_port>${port + 1}</tcp_port>
  <interserver_http_port>${port + 2}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
${opts.extra ?? ''}
</yandex>
`);
  const daemon = await startDaemon({ name: 'clickhouse', dir, cmd: bin, args: [`--config-file=${config}`], port });
  return { url, daemon, stop: () => daemon.stop() };
}

/** One shard of `replicas` servers on loopback and the ZooKeeper they share. */
export interface ClickHouseClusterSpec {
  /** HTTP port of replica 1; replica i listens on basePort + 10(i-1) (TCP +1, replication +2). */
  basePort: number;
  zookeeperPort: number;
  replicas?: number;
  /** The cluster's name in remote_servers (CLICKHOUSE_CLUSTER). */
  cluster?: string;
  name?: string;
}

export interface ClickHouseReplica { url: string; port: number; dir: string; start(): Promise<void>; stop(): Promise<void> }
export interface LocalClickHouseCluster { cluster: string; urls: string[]; replicas: ClickHouseReplica[]; stop(): Promise<void> }

/**
 * Handles on the servers of a local cluster that work from any process (through their pid
 * files): a test stops a replica started by its global setup and starts it again.
 */
export function clickHouseCluster(spec: ClickHouseClusterSpec): LocalClickHouseCluster {
  const n = spec.replicas ?? 2;
  const cluster = spec.cluster ?? 'trendstream';
  const root = spec.name ?? `clickhouse-cluster-${spec.basePort}`;
  const ports = Array.from({ length: n }, (_, i) => spec.basePort + 10 * i);
  // internal_replication: a Distributed insert writes each block to one replica and replication
  // copies it, so a replica that was down catches up from the others instead of missing rows.
  const remote = `<remote_servers><${cluster}><shard><internal_replication>true</internal_replication>${
    ports.map((p) => `<replica><host>127.0.0.1</host><port>${p + 1}</port></replica>`).join('')}</shard></${cluster}></remote_servers>`;
  const zk = `<zookeeper><node><host>127.0.0.1</host><port>${spec.zookeeperPort}</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`;
  const replicas = ports.map((port, i): ClickHouseReplica => {
    const name = `${root}/replica-${i + 1}`;
    const extra = `${remote}\n  ${zk}\n  <macros><shard>01</shard><replica>replica-${i + 1}</replica></macros>`;
    return {
      url: `http://127.0.0.1:${port}`, port, dir: path.join(stateHome(), name),
      async start() { await startClickHouse({ port, name, extra, fresh: false }); },
      stop: () => stopStale('clickhouse', path.join(stateHome(), name)),
    };
  });
  return { cluster, urls: replicas.map((r) => r.url), replicas, stop: async () => { await Promise.all(replicas.map((r) => r.stop())); } };
}

/** Starts ZooKeeper and every replica (fresh: their data dropped first); reuses servers already serving their ports. */
export async function startClickHouseCluster(spec: ClickHouseClusterSpec & { fresh?: boolean }): Promise<LocalClickHouseCluster & { zookeeper: LocalZooKeeper }> {
  const c = clickHouseCluster(spec);
  const zookeeper = await startZooKeeper({ port: spec.zookeeperPort, name: `${spec.name ?? `clickhouse-cluster-${spec.basePort}`}/zookeeper`, fresh: spec.fresh });
  if (spec.fresh) {
    await c.stop();
    for (const r of c.replicas) execFileSync('rm', ['-rf', path.join(r.dir, 'data'), path.join(r.dir, 'tmp')]);
  }
  await Promise.all(c.replicas.map((r) => r.start()));
  return { ...c, zookeeper, stop: async () => { await c.stop(); await zookeeper.stop(); } };
}
