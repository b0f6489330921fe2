// One fault case, shared by the single-broker fault suite (test/e2e/faults.test.ts) and the
// cluster suite (test/cluster): a generated workload fed through real worker processes while
// hooks inject faults; afterwards ClickHouse's totals equal the generator's truth exactly,
// every trend and alert event equals a fault-free run's (`detect`) once on its topic, and the
// webhook receiver got every alert under its idempotency key.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import type { Post } from '../schemas/post.js';
import type { Watch } from '../schemas/watches.js';
import type { DetectionEvent } from '../schemas/events.js';
import { decodeEvent } from '../schemas/events-codec.js';
import { Metrics } from '../lib/metrics.js';
import { migrate, openStore, type Store } from '../lib/clickhouse/client.js';
import { startPipeline, type Pipeline } from '../app/pipeline.js';
import type { Config, ConfigInput } from '../app/config.js';
import { detectPosts, DEFAULT_LATENESS_MS } from '../processors/detect.js';
import { testConfig, testLogger, uniqueName, waitFor } from './helpers.js';
import { Receiver } from './receiver.js';
import { closingPosts, countTruth } from './truth.js';
import { feed, startWorker, stopWorker, watchesFile, workerEnv, type Worker } from './e2e/harness.js';

export interface Workload { all: Post[]; truth: ReturnType<typeof countTruth>; expected: DetectionEvent[]; watches: Watch[] }

/** A workload from generated posts: closing posts appended so every minute gets decided, the truth and the fault-free events computed once. */
export function workload(posts: Post[], watches: Watch[]): Workload {
  const all = [...posts, ...closingPosts(posts.reduce((m, p) => Math.max(m, p.created_at), 0))];
  return { all, truth: countTruth(all), expected: [...detectPosts(all, { latenessMs: DEFAULT_LATENESS_MS, watches })], watches };
}

export const q = async <T>(store: Store, sql: string) => (await store.query({ query: sql, format: 'JSONEachRow' })).json<T>();

export interface Ctx {
  start(kind: 'process' | 'sink'): Promise<Worker>;
  workers: Worker[];
  hook: Receiver;
  config: Config;
  ingest: Pipeline;
}

export interface CaseOptions {
  name: string;
  workload: Workload;
  feedSeconds: number;
  brokers: string;
  clickhouseUrl: string;
  /** ClickHouse cluster name: the tables are Replicated behind Distributed ones. */
  cluster?: string;
  kafka?: ConfigInput['kafka'];
  processors?: number;
  webhookDown?: boolean;
  /** Runs before the pipeline creates its topics (e.g. to create them with a chosen leader). */
  prepare?: (config: Config) => Promise<void>;
  /** Runs after every check passed, before anything is closed. */
  after?: (ctx: Ctx & { store: Store }) => Promise<void>;
}

/** Keeps a worker kind running like a supervisor would: restarts a process that exited on its own. */
export async function runCase(o: CaseOptions, hooks: (ctx: Ctx) => [number, () => Promise<void>][]): Promise<void> {
  const { all, truth, expected, watches } = o.workload;
  const prefix = uniqueName(`fault_${o.name}`);
  const config = testConfig(prefix, 'server', { kafka: { brokers: o.brokers.split(','), ...o.kafka }, clickhouse: { url: o.clickhouseUrl, ...(o.cluster ? { cluster: o.cluster } : {}) } });
  const db = config.clickhouse.database;
  const store = openStore(config.clickhouse);
  await migrate(store, db, o.cluster);
  const hook = new Receiver();
  const hookUrl = await hook.start();
  const env = {
    ...workerEnv({ brokers: o.brokers, clickhouseUrl: o.clickhouseUrl, database: db, prefix: config.kafka.topicPrefix, webhook: { url: hookUrl, secret: 'fault-suite-secret-0123' } }),
    ...(o.cluster ? { CLICKHOUSE_CLUSTER: o.cluster } : {}),
  };
  const wfile = watchesFile(watches);
  await o.prepare?.(config);
  const ingest: Pipeline = await startPipeline({ config, roles: ['ingest'], log: testLogger(), metrics: new Metrics(), http: false });
  const workers: Worker[] = [];
  let stopping = false;
  const start = async (kind: 'process' | 'sink'): Promise<Worker> => {
    const w = await startWorker(kind, env, wfile);
    workers.push(w);
    void w.exited.then(async (code) => {
      // A worker that died on its own (not killed by the test) is restarted, as Kubernetes would.
      if (!stopping && code !== null && !w.killed) { workers.splice(workers.indexOf(w), 1); await start(kind).catch(() => {}); }
    });
    return w;
  };
  try {
    for (let i = 0; i < (o.processors ?? 1); i++) await start('process');
    await start('sink');
    if (o.webhookDown) hook.failing = true;
    await feed(ingest.producer!, all, o.feedSeconds, hooks({ start, workers, hook, config, ingest }));
    if (o.webhookDown) { await sleep(Math.max(0, 60_000 - o.feedSeconds * 1000)); hook.failing = false; }

    const total = [...truth.tagMinutes.values()].reduce((a, b) => a + b, 0);
    await waitFor(async () => [(await q<{ n: string }>(store, `SELECT toString(count()) AS n FROM ${db}.posts FINAL`))[0]!.n,
      (await q<{ n: string }>(store, `SELECT toString(sum(posts)) AS n FROM ${db}.hashtag_minute FINAL`))[0]!.n],
    ([p, t]) => Number(p) === truth.posts && Number(t) === total, 300_000, 2000);
    const rows = await q<{ k: string; posts: string }>(store, `SELECT concat(hashtag, '|', toString(toUnixTimestamp(minute) * 1000)) AS k, toString(posts) AS posts FROM ${db}.hashtag_minute FINAL`);
    expect(new Map(rows.map((r) => [r.k, Number(r.posts)]))).toEqual(truth.tagMinutes);
    expect(Number((await q<{ n: string }>(store, `SELECT toString(uniqExact(platform, id)) AS n FROM ${db}.posts`))[0]!.n)).toBe(all.length);

    // Trend and alert events: exactly the fault-free run's, each once on its topic.
    // By topic, partition and offset: a reader whose group coordinator moved reads some records again, which are not
    // duplicates on the topic; a record written twice has two offsets.
    const read = new Map<string, KafkaMessage>();
    const c = ingest.kafka.consumer({ groupId: `${prefix}-events-reader`, readUncommitted: false });
    await c.connect();
    await c.subscribe({ topics: [ingest.topics.trends, ingest.topics.alerts], fromBeginning: true });
    await c.run({ eachMessage: async ({ topic, partition, message }) => { read.set(`${topic}/${partition}/${message.offset}`, message); } });
    await waitFor(async () => read.size, (n) => n >= expected.length, 180_000);
    await sleep(3000);
    await c.disconnect();
    const events = [...read.values()];
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(events.map((m) => decodeEvent(m.value!)).sort(byId)).toEqual([...expected].sort(byId));
    const stored = await waitFor(async () => (await q<{ id: string }>(store, `SELECT id FROM ${db}.trends FINAL UNION ALL SELECT id FROM ${db}.alerts FINAL`)).map((r) => r.id).sort(),
      (ids) => ids.length >= expected.length, 120_000);
    expect(stored).toEqual(expected.map((e) => e.id).sort());
    const alertIds = expected.filter((e) => e.type === 'alert').map((e) => e.id).sort();
    await waitFor(async () => hook.unique().length, (n) => n >= alertIds.length, 180_000);
    expect(hook.unique().map((r) => String(r.headers['idempotency-key'])).sort()).toEqual(alertIds);
    await o.after?.({ start, workers, hook, config, ingest, store });
  } finally {
    stopping = true;
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGTERM')));
    await ingest.close();
    await store.close();
    await hook.close();
  }
}
