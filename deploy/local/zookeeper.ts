// Debian's ZooKeeper (package `zookeeper`) run as a standalone server process on a port of our
// choosing, its data under the state folder: the coordination service a replicated ClickHouse
// (ReplicatedMergeTree, ON CLUSTER DDL) needs. Never the system service.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Daemon, portOpen, startDaemon, stateHome, stopStale, which } from './process.js';

const JAR = '/usr/share/java/zookeeper.jar';

/** Installs Debian's zookeeper package when it is missing and we are root; otherwise says what to do. */
export function ensureZooKeeper(): string {
  if (existsSync(JAR)) return JAR;
  if (process.getuid?.() === 0 && which('apt-get')) {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper'], { stdio: 'inherit' });
    if (existsSync(JAR)) return JAR;
  }
  throw new Error('ZooKeeper is not installed: run `apt-get install zookeeper` as root (a ClickHouse cluster needs it)');
}

export interface LocalZooKeeper { connect: { host: string; port: number }; daemon: Daemon | null; stop(): Promise<void> }

/** Starts a standalone server on `port`, or reuses one already serving it; `fresh` drops its data first. */
export async function startZooKeeper(opts: { port: number; name?: string; fresh?: boolean }): Promise<LocalZooKeeper> {
  const connect = { host: '127.0.0.1', port: opts.port };
  if (!opts.fresh && (await portOpen(opts.port))) return { connect, daemon: null, stop: async () => {} };
  const jar = ensureZooKeeper();
  const dir = path.join(stateHome(), opts.name ?? `zookeeper-${opts.port}`);
  await stopStale('zookeeper', dir);
  if (opts.fresh) execFileSync('rm', ['-rf', path.join(dir, 'data')]);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const cfg = path.join(dir, 'zoo.cfg');
  writeFileSync(cfg, [
    'tickTime=500', 'initLimit=10', 'syncLimit=5', `dataDir=${dir}/data`, `clientPort=${opts.port}`, 'clientPortAddress=127.0.0.1',
    'admin.enableServer=false', 'maxClientCnxns=200', 'autopurge.purgeInterval=1',
    // ClickHouse 18.16 asks for session timeouts of 30 s; the server's bounds must allow them.
    'minSessionTimeout=1000', 'maxSessionTimeout=60000',
  ].join('\n'));
  const daemon = await startDaemon({
    name: 'zookeeper', dir, cmd: 'java', port: opts.port,
    args: ['-Xmx256m', '-XX:+UseSerialGC', '-cp', `${jar}:/usr/share/java/slf4j-simple.jar`, '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-Dzookeeper.4lw.commands.whitelist=srvr',
      'org.apache.zookeeper.server.ZooKeeperServerMain', cfg],
  });
  // The port opens before the server serves: a session asked for then is dropped, and a ClickHouse 18.16 whose
  // first ZooKeeper session failed crashes (its DDL worker dereferences the missing session). Wait for `srvr`.
  const until = Date.now() + 60_000;
  while (!/Mode: /.test(await fourLetter(opts.port, 'srvr'))) {
    if (Date.now() > until) { await daemon.stop(); throw new Error(`ZooKeeper on port ${opts.port} does not serve; see ${daemon.logFile}`); }
    await sleep(200);
  }
  return { connect, daemon, stop: () => daemon.stop() };
}

/** A ZooKeeper four-letter command's answer ('' on any error). */
function fourLetter(port: number, cmd: string): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(cmd));
    s.setTimeout(2000, () => s.destroy());
    s.on('data', (d: Buffer) => { out += d.toString(); });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(''));
  });
}
