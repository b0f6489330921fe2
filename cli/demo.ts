// `npm run demo`: the whole pipeline in one process on a local Kafka broker and the embedded
// ClickHouse. A generator streams posts (event time running ahead of the wall clock until it
// catches up with now), and the terminal shows the top hashtags and open alerts from
// ClickHouse, refreshing until Ctrl-C, which stops everything the demo started.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startClickHouseCluster } from '../deploy/local/clickhouse.js';
import { startKafka, startKafkaCluster, KAFKA_VERSION } from '../deploy/local/kafka.js';
import { portOpen } from '../deploy/local/process.js';
import { generate, type GeneratorEvent } from '../sim/generator.js';
import type { Post } from '../schemas/post.js';
import { DEFAULT_CHDB_PATH, loadConfig, type Config } from '../app/config.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { startPipeline, type Pipeline } from '../app/pipeline.js';
import { WatchListSchema } from '../schemas/watches.js';
import { registerApi } from '../serve/api.js';
import { registerDashboard } from '../serve/dashboard.js';
import { WatchStore } from '../serve/watch-store.js';

export interface DemoOptions {
  speed: number; rate: number; seconds?: number; watches: string; configFile?: string;
  /** Kafka nodes to start when KAFKA_BROKERS is unset: 1, or a KRaft cluster (3). */
  brokers?: number;
  /** >0: a local ClickHouse cluster of this many replicas (one shard) with ZooKeeper instead of chdb, when CLICKHOUSE_URL is unset. */
  clickhouseReplicas?: number;
}

const MIN = 60_000;

/** Streams generated posts at `speed`× real time until event time reaches now, then in real time. */
async function feed(pipeline: Pipeline, posts: Iterable<Post>, start: number, speed: number, stop: () => boolean): Promise<void> {
  const wall0 = Date.now();
  let batch: Post[] = [];
  for (const p of posts) {
    if (stop()) break;
    batch.push(p);
    const behind = Date.now() - p.created_at; // event time stays in the past: never a future timestamp
    const due = behind > 0 ? wall0 + (p.created_at - start) / speed : Date.now() - behind;
    if (batch.length >= 2000 || due > Date.now()) {
      await pipeline.producer!.send(batch);
      batch = [];
      const wait = Math.min(due - Date.now(), 1000);
      if (wait > 0) await sleep(wait);
    }
  }
  if (batch.length) await pipeline.producer!.send(batch);
}

async function query<T>(pipeline: Pipeline, sql: string): Promise<T[]> {
  return (await pipeline.store!.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

async function topHashtags(config: Config, pipeline: Pipeline): Promise<string[]> {
  const db = config.clickhouse.database;
  const rows = await query<{ hashtag: string; posts: string; authors: string }>(pipeline,
    `SELECT hashtag, sum(posts) AS posts, max(authors) AS authors
     FROM ${db}.hashtag_minute FINAL
     WHERE minute > (SELECT max(minute) FROM ${db}.hashtag_minute) - 15 * 60
     GROUP BY hashtag ORDER BY posts DESC, hashtag LIMIT 10`);
  const trending = new Map((await query<{ hashtag: string; state: string; inauthentic: number }>(pipeline,
    `SELECT hashtag, argMax(state, detected_at) AS state, argMax(inauthentic, detected_at) AS inauthentic
     FROM ${db}.trends FINAL GROUP BY hashtag`)).map((r) => [r.hashtag, r]));
  return rows.map((r, i) => {
    const t = trending.get(r.hashtag);
    const mark = t && t.state !== 'ended' ? (Number(t.inauthentic) ? '  ▲ trending (bots?)' : '  ▲ trending') : '';
    return `${String(i + 1).padStart(2)}. #${r.hashtag.padEnd(28)} ${String(r.posts).padStart(7)} posts  ${String(r.authors).padStart(6)} authors/min (peak)${mark}`;
  });
}

async function openAlerts(config: Config, pipeline: Pipeline): Promise<string[]> {
  const db = config.clickhouse.database;
  const rows = await query<{ watch: string; state: string; severity: number; summary: string; at: string }>(pipeline,
    `SELECT watch, argMax(state, detected_at) AS state, max(severity) AS severity, argMax(summary, detected_at) AS summary, toString(max(detected_at)) AS at
     FROM ${db}.alerts FINAL GROUP BY watch HAVING state != 'resolved' ORDER BY severity DESC, watch`);
  return rows.map((r) => `  [severity ${r.severity}] ${r.watch} (since ${r.at} stream time): ${r.summary}`);
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  // In memory: PUT /v1/watches changes the running demo, not the tracked example file.
  const watchStore = new WatchStore({ watches: WatchListSchema.parse(JSON.parse(readFileSync(o.watches, 'utf8'))), log });
  const watches = watchStore.get();
  let kafkaStop: (() => Promise<void>) | null = null;
  let clickhouseStop: (() => Promise<void>) | null = null;
  const env = { ...process.env };
  const nodes = o.brokers ?? 1;
  if (nodes !== 1 && nodes !== 3) throw new Error('--brokers must be 1 or 3');
  // Each run streams the 90 minutes before now. A broker and an embedded store left by an
  // earlier run hold stream times up to that run's end, which would make this run's posts late
  // and show the earlier run's trends: when the demo runs its own broker, both start empty.
  let fresh = false;
  if (!env.KAFKA_BROKERS) {
    fresh = !(await portOpen(9092));
    if (nodes === 3) {
      // Nodes on 9092, 9094, 9096 (controllers one port above each); topics replicated 3 with min ISR 2.
      console.log(fresh ? `Starting Apache Kafka ${KAFKA_VERSION} (KRaft, 3 nodes) on 127.0.0.1:9092,9094,9096, empty…` : 'Using the Kafka cluster already on 127.0.0.1:9092…');
      const k = await startKafkaCluster({ brokers: 3, basePort: 9092, name: 'demo-kafka-cluster', fresh });
      env.KAFKA_BROKERS = k.brokers;
      env.KAFKA_REPLICATION_FACTOR ??= '3';
      env.KAFKA_MIN_INSYNC_REPLICAS ??= '2';
      kafkaStop = fresh ? k.stop : null;
    } else {
      console.log(fresh ? `Starting Apache Kafka ${KAFKA_VERSION} (KRaft, single node) on 127.0.0.1:9092, empty…` : 'Using the Kafka broker already on 127.0.0.1:9092…');
      const k = await startKafka({ port: 9092, name: 'demo-kafka', fresh });
      env.KAFKA_BROKERS = k.brokers;
      kafkaStop = k.daemon ? k.stop : null;
    }
  }
  if (!env.CLICKHOUSE_URL && (o.clickhouseReplicas ?? 0) > 0) {
    // One shard of replicas on 8123, 8133, … and ZooKeeper on 9181; the pipeline writes through Distributed tables.
    console.log(`Starting a ClickHouse cluster: ${o.clickhouseReplicas} replicas of clickhouse-server and ZooKeeper (cluster 'trendstream')…`);
    const own = !(await portOpen(8123));
    const ch = await startClickHouseCluster({ basePort: 8123, zookeeperPort: 9181, replicas: o.clickhouseReplicas, cluster: 'trendstream', name: 'demo-clickhouse-cluster', fresh: own && fresh });
    env.CLICKHOUSE_URL = ch.urls[0];
    env.CLICKHOUSE_CLUSTER = ch.cluster;
    clickhouseStop = own ? ch.stop : null;
  }
  const config = loadConfig({ file: o.configFile, env });
  if (fresh && !config.clickhouse.url && config.clickhouse.path === DEFAULT_CHDB_PATH && existsSync(config.clickhouse.path)) {
    rmSync(config.clickhouse.path, { recursive: true, force: true });
    console.log(`Cleared the demo's embedded store (${config.clickhouse.path}) of an earlier run; set TRENDSTREAM_CHDB_PATH to keep a store across runs.`);
  }
  const kafkaUp = Date.now();
  console.log(`Kafka ready. ClickHouse: ${config.clickhouse.url ?? `embedded (chdb) in ${config.clickhouse.path}`}`);
  const metrics = Metrics.withDefaults();
  const pipeline = await startPipeline({
    config, roles: ['ingest', 'process', 'sink'], log, metrics, watches: () => watchStore.get(), group: 'demo',
    routes: (app, { store }) => {
      registerApi(app, { store: store!, database: config.clickhouse.database, watches: watchStore, tokens: { read: config.api.readTokens, admin: config.api.adminTokens }, log: log.child({ component: 'api' }) });
      registerDashboard(app);
    },
  });
  const token = config.api.adminTokens[0] ?? config.api.readTokens[0];
  console.log(`Dashboard: http://127.0.0.1:${pipeline.httpPort}/${token ? '?token=<your token>' : ''} · ingest: POST /v1/posts · API: /v1/openapi.json · metrics: http://127.0.0.1:${pipeline.opsPort}/metrics`);

  let stopping = false;
  const now = Date.now();
  const start = Math.floor((now - 90 * MIN) / MIN) * MIN;
  const at = (minutes: number) => start + minutes * MIN;
  const events: GeneratorEvent[] = [
    { kind: 'burst', tag: 'Glatteis', at: at(25), peakPerMinute: 400, rampMinutes: 3, durationMinutes: 30, lang: 'de' },
    { kind: 'firestorm', watch: 'deutsche-bahn', at: at(45), peakPerMinute: 500, rampMinutes: 4, durationMinutes: 40, tag: 'Bahnchaos' },
    { kind: 'campaign', tag: 'WahlBetrug', at: at(60), perMinute: 200, durationMinutes: 20, accounts: 25 },
  ];
  const posts = generate({ seed: Date.now() % 100_000, start, minutes: 24 * 60, postsPerMinute: o.rate, events, watches });
  const feeding = feed(pipeline, posts, start, o.speed, () => stopping).catch((e) => log.error({ err: e }, 'generator stopped'));

  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await feeding;
    await pipeline.close();
    watchStore.close();
    if (kafkaStop) await kafkaStop();
    if (clickhouseStop) await clickhouseStop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  const until = o.seconds ? Date.now() + o.seconds * 1000 : Infinity;
  while (!stopping && Date.now() < until) {
    let lines: string[];
    let alerts: string[] = [];
    try {
      lines = await topHashtags(config, pipeline);
      alerts = await openAlerts(config, pipeline);
    } catch (e) { lines = [`(ClickHouse not answering: ${(e as Error).message})`]; }
    const head = `trendstream demo · ${new Date().toISOString().slice(11, 19)} · ${Math.round((Date.now() - kafkaUp) / 1000)} s since Kafka was up`;
    const body = [head, '', 'Top hashtags (last 15 minutes of stream time):', ...(lines.length ? lines : ['  (waiting for the first complete minute…)']), '', 'Open shitstorm alerts:', ...(alerts.length ? alerts : ['  (none)']), '', 'Ctrl-C stops everything the demo started.'];
    if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H' + body.join('\n') + '\n');
    else console.log(body.join('\n'));
    await sleep(2000);
  }
  await shutdown();
}
