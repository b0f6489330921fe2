// Debian's clickhouse-server (18.16) run with the project's own config on a port of our
// choosing, its data under the state folder. Used by the tests, the fault suite and the
// benchmark when CLICKHOUSE_URL is not set; the demo uses embedded chdb instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Daemon, portOpen, startDaemon, stateHome, stopStale, which } from './process.js';

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

/** Starts a server with HTTP on `port` (native TCP on port+1), or reuses one already serving it. */
export async function startClickHouse(opts: { port?: number; name?: string } = {}): Promise<LocalClickHouse> {
  const port = opts.port ?? 8123;
  const url = `http://127.0.0.1:${port}`;
  if (await portOpen(port)) return { url, daemon: null, stop: async () => {} };
  const bin = ensureClickHouseServer();
  const dir = path.join(stateHome(), opts.name ?? `clickhouse-${port}`);
  await stopStale('clickhouse', dir);
  for (const d of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(path.join(dir, d), { recursive: true });
  const config = path.join(dir, 'config.xml');
  writeFileSync(config, `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <http_port>${port}</http_port>
  <tcp_port>${port + 1}</tcp_port>
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
</yandex>
`);
  const daemon = await startDaemon({ name: 'clickhouse', dir, cmd: bin, args: [`--config-file=${config}`], port });
  return { url, daemon, stop: () => daemon.stop() };
}
