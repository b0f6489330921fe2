// Workers as separate processes for the fault suite: spawn `trendstream <kind>` with an
// environment, wait for its ready line, kill it (any signal), and feed a workload in chunks.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Post } from '../../ingest/post.js';
import type { PostProducer } from '../../ingest/producer.js';
import type { Watch } from '../../processors/watches.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

export interface Worker { kind: string; proc: ChildProcess; exited: Promise<number | null>; stderr: string[] }

export function workerEnv(o: { brokers: string; clickhouseUrl: string; database: string; prefix: string; webhook?: { url: string; secret: string } }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: process.env.HOME,
    KAFKA_BROKERS: o.brokers, CLICKHOUSE_URL: o.clickhouseUrl, CLICKHOUSE_DATABASE: o.database, TRENDSTREAM_TOPIC_PREFIX: o.prefix,
    TRENDSTREAM_HTTP_PORT: '0', TRENDSTREAM_INGEST_PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...(o.webhook ? { TRENDSTREAM_WEBHOOK_URL: o.webhook.url, TRENDSTREAM_WEBHOOK_SECRET: o.webhook.secret } : {}),
  };
}

export function watchesFile(watches: Watch[]): string {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'watches-')), 'watches.json');
  writeFileSync(f, JSON.stringify(watches));
  return f;
}

/** Starts a worker process and resolves once it reported ready. */
export async function startWorker(kind: 'process' | 'sink' | 'ingest', env: NodeJS.ProcessEnv, watches: string): Promise<Worker> {
  const proc = spawn(process.execPath, [path.join(root, 'bin', 'trendstream.mjs'), kind, '--watches', watches], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => { stderr.push(d.toString()); if (stderr.length > 200) stderr.shift(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} worker not ready in 90 s: ${stderr.join('').slice(-2000)}`)), 90_000);
    proc.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready ')) { clearTimeout(t); resolve(); } });
    void exited.then((code) => { clearTimeout(t); reject(new Error(`${kind} worker exited with ${code}: ${stderr.join('').slice(-2000)}`)); });
  });
  return { kind, proc, exited, stderr };
}

export async function kill(w: Worker, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  w.proc.kill(signal);
  return w.exited;
}

/**
 * Sends posts in chunks spread over `seconds`, retrying a chunk until Kafka takes it (a resend
 * is safe: posts are deduplicated), and calls `at(fraction)` hooks as the feed progresses.
 */
export async function feed(producer: PostProducer, posts: Post[], seconds: number, hooks: [number, () => Promise<void>][] = []): Promise<void> {
  const chunk = 2000;
  const chunks = Math.ceil(posts.length / chunk);
  const pending = [...hooks].sort((a, b) => a[0] - b[0]);
  const t0 = Date.now();
  for (let i = 0; i < chunks; i++) {
    while (pending.length && pending[0]![0] <= i / chunks) await pending.shift()![1]();
    const slice = posts.slice(i * chunk, (i + 1) * chunk);
    for (let attempt = 0; ; attempt++) {
      try { await producer.send(slice); break; } catch (e) {
        if (attempt > 120) throw e;
        await sleep(1000);
      }
    }
    const due = t0 + ((i + 1) / chunks) * seconds * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  for (const [, h] of pending) await h();
}
