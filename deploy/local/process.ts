// Starting and stopping the local (no-Docker) infrastructure processes: a detached child
// with a pid file and a log file, a wait for its TCP port, and a stop with a deadline.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The folder for local state (broker data, ClickHouse data, caches): `TRENDSTREAM_HOME` or `./.trendstream`. */
export const stateHome = (): string => path.resolve(process.env.TRENDSTREAM_HOME ?? '.trendstream');

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

export interface Daemon {
  name: string;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after `deadlineMs`; resolves when the process is gone. */
  stop(deadlineMs?: number): Promise<void>;
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

/**
 * Starts `cmd args` detached (it survives a crash of the caller, and is stopped through
 * its pid file), logging to `<dir>/<name>.log`, and waits until `port` accepts connections.
 */
export async function startDaemon(opts: {
  name: string; dir: string; cmd: string; args: string[]; port: number; env?: NodeJS.ProcessEnv; timeoutMs?: number;
}): Promise<Daemon> {
  mkdirSync(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, `${opts.name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(opts.cmd, opts.args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...opts.env } });
  child.unref();
  const pid = child.pid!;
  const pidFile = path.join(opts.dir, `${opts.name}.pid`);
  writeFileSync(pidFile, String(pid));
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let exited: number | null = null;
  child.once('exit', (code) => { exited = code ?? -1; });
  while (!(await portOpen(opts.port))) {
    if (exited !== null) {
      rmSync(pidFile, { force: true });
      throw new Error(`${opts.name} exited with code ${exited} before serving port ${opts.port}; see ${logFile}:\n${tail(logFile)}`);
    }
    if (Date.now() > deadline) throw new Error(`${opts.name} did not serve port ${opts.port} in time; see ${logFile}`);
    await sleep(200);
  }
  return daemonFor(opts.name, pid, logFile, pidFile);
}

function daemonFor(name: string, pid: number, logFile: string, pidFile: string): Daemon {
  return {
    name, pid, logFile,
    async stop(deadlineMs = 20_000) {
      const until = Date.now() + deadlineMs;
      try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      while (alive(pid) && Date.now() < until) await sleep(100);
      if (alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      while (alive(pid)) await sleep(50);
      rmSync(pidFile, { force: true });
    },
  };
}

/** Stops a daemon left running by an earlier run (its pid file in `dir`), if any. */
export async function stopStale(name: string, dir: string): Promise<void> {
  const pidFile = path.join(dir, `${name}.pid`);
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (pid > 0 && alive(pid)) await daemonFor(name, pid, '', pidFile).stop();
  rmSync(pidFile, { force: true });
}

function tail(file: string, lines = 20): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
}

/** True when `cmd` is on the PATH. */
export function which(cmd: string): string | null {
  try { return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null; } catch { return null; }
}
