// The fault suite (issue 5): a 200,000-post generated workload through real workers started
// as separate processes; after each fault, ClickHouse's totals equal the generator's truth
// exactly, every trend and alert event equals a fault-free run's (`detect`), and none is
// duplicated on the exactly-once topics. The workload keeps its disorder within the lateness.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { startClickHouse } from '../../deploy/local/clickhouse.js';
import { startKafka } from '../../deploy/local/kafka.js';
import { stateHome, stopStale } from '../../deploy/local/process.js';
import { generate } from '../../sim/generator.js';
import type { Post } from '../../schemas/post.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline, type Pipeline } from '../../app/pipeline.js';
import { detectPosts, DEFAULT_LATENESS_MS } from '../../processors/detect.js';
import { decodeEvent } from '../../schemas/events-codec.js';
import type { DetectionEvent } from '../../schemas/events.js';
import { migrate, openStore, type Store } from '../../lib/clickhouse/client.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { Receiver } from '../receiver.js';
import { closingPosts, countTruth } from '../truth.js';
import { feed, startWorker, stopWorker, watchesFile, workerEnv, type Worker } from './harness.js';

const START = Date.parse('2026-11-24T10:00:00Z');
const M = 60_000;
const N = Number(process.env.FAULT_POSTS ?? 200_000);
const FEED_SECONDS = Number(process.env.FAULT_FEED_SECONDS ?? 60);
const watches = EVAL_WATCHES;

const workload = (() => {
  let cached: { all: Post[]; truth: ReturnType<typeof countTruth>; expected: DetectionEvent[] } | null = null;
  return () => {
    if (cached) return cached;
    const minutes = 100;
    const posts = [...generate({
      seed: 99, start: START, minutes, postsPerMinute: Math.ceil(N / minutes), rhythm: false, disorderMs: 20_000, watches,
      events: [
        { kind: 'burst', tag: 'Sturmflut', at: START + 30 * M, peakPerMinute: 300, rampMinutes: 2, durationMinutes: 20, lang: 'de' },
        { kind: 'firestorm', watch: 'telekom', at: START + 45 * M, peakPerMinute: 250, rampMinutes: 3, durationMinutes: 25, tag: 'Telekomausfall' },
        { kind: 'campaign', tag: 'KaufJetzt', at: START + 60 * M, perMinute: 150, durationMinutes: 15, accounts: 20 },
      ],
    })].slice(0, N - 60);
    const all = [...posts, ...closingPosts(posts.reduce((m, p) => Math.max(m, p.created_at), 0))];
    cached = { all, truth: countTruth(all), expected: [...detectPosts(all, { latenessMs: DEFAULT_LATENESS_MS, watches })] };
    return cached;
  };
})();

const q = async <T>(store: Store, sql: string) => (await store.query({ query: sql, format: 'JSONEachRow' })).json<T>();

interface Ctx {
  start(kind: 'process' | 'sink'): Promise<Worker>;
  workers: Worker[];
  hook: Receiver;
}

/** Keeps a worker kind running like a supervisor would: restarts a process that exited on its own. */
async function runCase(name: string, opts: { processors?: number; webhookDown?: boolean }, hooks: (ctx: Ctx) => [number, () => Promise<void>][]): Promise<void> {
  const { all, truth, expected } = workload();
  const prefix = uniqueName(`fault_${name}`);
  const config = testConfig(prefix, 'server');
  const db = config.clickhouse.database;
  const store = openStore(config.clickhouse);
  await migrate(store, db);
  const hook = new Receiver();
  const hookUrl = await hook.start();
  const env = workerEnv({ brokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl'), database: db, prefix: config.kafka.topicPrefix, webhook: { url: hookUrl, secret: 'fault-suite-secret-0123' } });
  const wfile = watchesFile(watches);
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
    for (let i = 0; i < (opts.processors ?? 1); i++) await start('process');
    await start('sink');
    if (opts.webhookDown) hook.failing = true;
    await feed(ingest.producer!, all, FEED_SECONDS, hooks({ start, workers, hook }));
    if (opts.webhookDown) { await sleep(Math.max(0, 60_000 - FEED_SECONDS * 1000)); hook.failing = false; }

    const total = [...truth.tagMinutes.values()].reduce((a, b) => a + b, 0);
    await waitFor(async () => [(await q<{ n: string }>(store, `SELECT toString(count()) AS n FROM ${db}.posts FINAL`))[0]!.n,
      (await q<{ n: string }>(store, `SELECT toString(sum(posts)) AS n FROM ${db}.hashtag_minute FINAL`))[0]!.n],
    ([p, t]) => Number(p) === truth.posts && Number(t) === total, 300_000, 2000);
    const rows = await q<{ k: string; posts: string }>(store, `SELECT concat(hashtag, '|', toString(toUnixTimestamp(minute) * 1000)) AS k, toString(posts) AS posts FROM ${db}.hashtag_minute FINAL`);
    expect(new Map(rows.map((r) => [r.k, Number(r.posts)]))).toEqual(truth.tagMinutes);
    expect(Number((await q<{ n: string }>(store, `SELECT toString(uniqExact(platform, id)) AS n FROM ${db}.posts`))[0]!.n)).toBe(N);

    // Trend and alert events: exactly the fault-free run's, each once on its topic.
    const events: KafkaMessage[] = [];
    const c = ingest.kafka.consumer({ groupId: `${prefix}-events-reader`, readUncommitted: false });
    await c.connect();
    await c.subscribe({ topics: [ingest.topics.trends, ingest.topics.alerts], fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => { events.push(message); } });
    await waitFor(async () => events.length, (n) => n >= expected.length, 180_000);
    await sleep(3000);
    await c.disconnect();
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(events.map((m) => decodeEvent(m.value!)).sort(byId)).toEqual([...expected].sort(byId));
    const stored = await waitFor(async () => (await q<{ id: string }>(store, `SELECT id FROM ${db}.trends FINAL UNION ALL SELECT id FROM ${db}.alerts FINAL`)).map((r) => r.id).sort(),
      (ids) => ids.length >= expected.length, 120_000);
    expect(stored).toEqual(expected.map((e) => e.id).sort());
    const alertIds = expected.filter((e) => e.type === 'alert').map((e) => e.id).sort();
    await waitFor(async () => hook.unique().length, (n) => n >= alertIds.length, 180_000);
    expect(hook.unique().map((r) => String(r.headers['idempotency-key'])).sort()).toEqual(alertIds);
  } finally {
    stopping = true;
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGTERM')));
    await ingest.close();
    await store.close();
    await hook.close();
  }
}

const killed = (w: Worker) => stopWorker(w, 'SIGKILL');
const pick = (ws: Worker[], kind: string) => ws.find((w) => w.kind === kind)!;

describe('fault suite', () => {
  it('kill -9 of a processor and of a sink at several moments loses nothing and counts nothing twice', async () => {
    await runCase('kill9', {}, ({ start, workers }) => [
      [0.15, async () => { await killed(pick(workers, 'process')); workers.splice(workers.indexOf(pick(workers, 'process')), 1); await start('process'); }],
      [0.3, async () => { await killed(pick(workers, 'sink')); workers.splice(workers.indexOf(pick(workers, 'sink')), 1); await start('sink'); }],
      [0.5, async () => { await killed(pick(workers, 'process')); workers.splice(workers.indexOf(pick(workers, 'process')), 1); await start('process'); }],
      [0.75, async () => {
        const p = pick(workers, 'process'); const s = pick(workers, 'sink');
        await Promise.all([killed(p), killed(s)]);
        workers.splice(workers.indexOf(p), 1); workers.splice(workers.indexOf(s), 1);
        await start('process'); await start('sink');
      }],
    ]);
  });

  it('three processors in one group, one killed and one added mid-run, give the single-instance result', async () => {
    await runCase('scale', { processors: 3 }, ({ start, workers }) => [
      [0.3, async () => { const p = pick(workers, 'process'); await killed(p); workers.splice(workers.indexOf(p), 1); }],
      [0.55, async () => { await start('process'); }],
    ]);
  });

  it('survives the Kafka broker stopped and restarted mid-run', async () => {
    if (!inject('localInfra')) return;
    const port = Number(inject('kafkaBrokers').split(':').pop());
    await runCase('broker', {}, () => [
      [0.4, async () => {
        await stopStale('kafka', path.join(stateHome(), `test-kafka-${port}`));
        await sleep(5000);
        await startKafka({ port, name: `test-kafka-${port}` });
      }],
    ]);
  });

  it('survives the ClickHouse server stopped for 30 s mid-run', async () => {
    if (!inject('localInfra')) return;
    const port = Number(new URL(inject('clickhouseUrl')).port);
    await runCase('clickhouse', {}, () => [
      [0.4, async () => {
        await stopStale('clickhouse', path.join(stateHome(), `test-clickhouse-${port}`));
        await sleep(30_000);
        await startClickHouse({ port, name: `test-clickhouse-${port}` });
      }],
    ]);
  });

  it('delivers every alert once an alert webhook that failed for a minute recovers', async () => {
    await runCase('webhook', { webhookDown: true }, () => []);
  });

  it('SIGTERM to every worker mid-run, then a restart, changes no result', async () => {
    await runCase('sigterm', {}, ({ start, workers }) => [
      [0.5, async () => {
        const all = [...workers];
        const codes = await Promise.all(all.map((w) => stopWorker(w, 'SIGTERM')));
        expect(codes).toEqual(all.map(() => 0));
        workers.splice(0, workers.length);
        await start('process'); await start('sink');
      }],
    ]);
  });
});
