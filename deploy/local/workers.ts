// Local worker processes (`trendstream ingest|process|stage-a|stage-b|sink`) for the fault
// suite and the benchmark: spawn with an environment, wait for the ready line (which names
// the ops port), scrape /metrics, stop with any signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type WorkerKind = 'ingest' | 'process' | 'stage-a' | 'stage-b' | 'sink';
export interface Worker { kind: WorkerKind; proc: ChildProcess; port: number; exited: Promise<number | null>; stderr: string[]; killed?: boolean }

export function workerEnv(o: { brokers: string; clickhouseUrl: string; database: string; prefix: string; webhook?: { url: string; secret: string }; logLevel?: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: process.env.HOME,
    KAFKA_BROKERS: o.brokers, CLICKHOUSE_URL: o.clickhouseUrl, CLICKHOUSE_DATABASE: o.database, TRENDSTREAM_TOPIC_PREFIX: o.prefix,
    TRENDSTREAM_HTTP_PORT: '0', TRENDSTREAM_INGEST_PORT: '0', LOG_LEVEL: o.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'warn',
    ...(o.webhook ? { TRENDSTREAM_WEBHOOK_URL: o.webhook.url, TRENDSTREAM_WEBHOOK_SECRET: o.webhook.secret } : {}),
  };
}

/** Writes a watches list to a temporary file for `--watches`. */
export function watchesFile(watches: unknown[]): string {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'watches-')), 'watches.json');
  writeFileSync(f, JSON.stringify(watches));
  return f;
}

/** Workers still running: killed when this process exits, so a run that fails never leaves one behind to join the next run's groups. */
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const p of live) p.kill('SIGKILL'); });

/** Starts a worker process and resolves once it reported ready. */
export async function startWorker(kind: WorkerKind, env: NodeJS.ProcessEnv, watches?: string, nodeArgs: string[] = []): Promise<Worker> {
  const command = kind === 'stage-a' ? ['process', '--stage', 'a'] : kind === 'stage-b' ? ['process', '--stage', 'b'] : [kind];
  const args = [...nodeArgs, path.join(root, 'bin', 'trendstream.mjs'), ...command, ...(watches ? ['--watches', watches] : [])];
  const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => { stderr.push(d.toString()); if (stderr.length > 200) stderr.shift(); });
  live.add(proc);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => { live.delete(proc); r(code); }));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} worker not ready in 90 s: ${stderr.join('').slice(-2000)}`)), 90_000);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\{.*\})/.exec(out);
      if (m) { clearTimeout(t); resolve(JSON.parse(m[1]!).port as number); }
    });
    void exited.then((code) => { clearTimeout(t); reject(new Error(`${kind} worker exited with ${code}: ${stderr.join('').slice(-2000)}`)); });
  });
  return { kind, proc, port, exited, stderr };
}

/** Sends `signal` and resolves with the exit code. */
export async function stopWorker(w: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  w.killed = true;
  w.proc.kill(signal);
  return w.exited;
}

/** The value of a metric family summed over its series in a worker's /metrics (filtered by a label substring). */
export async function scrape(w: Worker, name: string, labelFilter = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${w.port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
