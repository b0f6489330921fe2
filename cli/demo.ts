// `npm run demo`: the whole pipeline in one process on a local Kafka broker and the embedded
// ClickHouse. A generator streams posts (event time running ahead of the wall clock until it
// catches up with now), and the terminal shows the top hashtags and open alerts from
// ClickHouse, refreshing until Ctrl-C, which stops everything the demo started.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findDocker, startContainers } from '../deploy/containers.js';
import { startClickHouseCluster } from '../deploy/local/clickhouse.js';
import { startKafka, startKafkaCluster, KAFKA_VERSION } from '../deploy/local/kafka.js';
import { portOpen, stateHome } from '../deploy/local/process.js';
import { generate, type GeneratorEvent } from '../sim/generator.js';
import type { Post } from '../schemas/post.js';
import { DEFAULT_CHDB_PATH, loadConfig, withOneTimeToken, type Config } from '../app/config.js';
import { componentsToFile, createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { startPipeline, type Pipeline } from '../app/pipeline.js';
import { WatchListSchema } from '../schemas/watches.js';
import { registerApi } from '../serve/api.js';
import { registerDashboard } from '../serve/dashboard.js';
import { WatchStore } from '../serve/watch-store.js';

export interface DemoOptions {
  speed: number; rate: number; seconds?: number; watches: string; configFile?: string;
  /** Port of the broker (the first node's with 3) when KAFKA_BROKERS is unset. */
  kafkaPort?: number;
  /** Kafka nodes to start when KAFKA_BROKERS is unset: 1, or a KRaft cluster (3). */
  brokers?: number;
  /** >0: a local ClickHouse cluster of this many replicas (one shard) with ZooKeeper instead of chdb, when CLICKHOUSE_URL is unset. */
  clickhouseReplicas?: number;
  /** Kafka and a ClickHouse server in containers (testcontainers) when a Docker engine answers and KAFKA_BROKERS and CLICKHOUSE_URL are unset. */
  docker?: boolean;
}

const MIN = 60_000;
/** The components whose log lines go to the demo's library log file (see createKafka and openStore). */
const LIBRARIES = ['kafkajs', 'clickhouse'];

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
     WHERE minute > (SELECT max(minute) FROM ${db}.hashtag_minute) - 15 * 60 AND hashtag != ''
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

/**
 * Runs the demo until `seconds` pass or a signal (SIGINT from Ctrl-C, SIGTERM, SIGHUP when the
 * terminal goes away) arrives; then stops everything it started, in reverse order, and exits.
 * The handlers are installed before anything starts, so a Ctrl-C during startup lets the step
 * under way finish and then undoes it (a broker being started is stopped, not orphaned); a
 * second signal changes nothing; a pipeline that does not close within `shutdownMs` does not
 * keep the broker running.
 */
export async function runDemo(o: DemoOptions): Promise<void> {
  let stopping = false;
  let wake: () => void = () => {};
  const woken = new Promise<void>((r) => { wake = r; });
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    say('\nStopping…');
    wake();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  // A terminal that went away makes writes fail (EIO); that must not cut the shutdown short.
  process.stdout.on('error', () => {});
  // The libraries' log lines (kafkajs' retried coordinator and transaction warnings, the ClickHouse
  // client's) go to a file; the screen keeps the demo's own messages and the pipeline's errors.
  const libraryLog = path.join(stateHome(), 'demo-libraries.log');
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', componentsToFile(libraryLog, LIBRARIES));
  let kafkaStop: (() => Promise<void>) | null = null;
  let clickhouseStop: (() => Promise<void>) | null = null;
  let pipeline: Pipeline | undefined;
  let watchStore: WatchStore | undefined;
  let feeding: Promise<unknown> = Promise.resolve();
  let shutdownMs = 15_000;
  try {
    // In memory: PUT /v1/watches changes the running demo, not the tracked example file.
    watchStore = new WatchStore({ watches: WatchListSchema.parse(JSON.parse(readFileSync(o.watches, 'utf8'))), log });
    const store = watchStore;
    const watches = store.get();
    const env = { ...process.env };
    // Each run streams the 90 minutes before now. A broker and an embedded store left by an
    // earlier run hold stream times up to that run's end, which would make this run's posts late
    // and show the earlier run's trends: when the demo runs its own broker, both start empty.
    let fresh = false;
    const kport = o.kafkaPort ?? 9092;
    const nodes = o.brokers ?? 1;
    if (nodes !== 1 && nodes !== 3) throw new Error('--brokers must be 1 or 3');
    if (o.docker && !env.KAFKA_BROKERS && !env.CLICKHOUSE_URL) {
      const docker = await findDocker();
      if ('host' in docker) {
        say(`Starting Kafka and ClickHouse in containers (testcontainers) on the Docker engine at ${docker.host}…`);
        const c = await startContainers();
        [env.KAFKA_BROKERS, env.CLICKHOUSE_URL, kafkaStop, fresh] = [c.brokers, c.clickhouseUrl, c.stop, true];
      } else {
        say(`--docker: ${docker.reason}; using the local runners.`);
      }
    }
    if (stopping) return;
    if (!env.KAFKA_BROKERS) {
      fresh = !(await portOpen(kport));
      if (nodes === 3) {
        // Nodes on kport, kport+2, kport+4 (controllers one port above each); topics replicated 3 with min ISR 2.
        say(fresh ? `Starting Apache Kafka ${KAFKA_VERSION} (KRaft, 3 nodes) on 127.0.0.1:${kport},${kport + 2},${kport + 4}, empty…` : `Using the Kafka cluster already on 127.0.0.1:${kport}…`);
        const k = await startKafkaCluster({ brokers: 3, basePort: kport, name: 'demo-kafka-cluster', fresh });
        env.KAFKA_BROKERS = k.brokers;
        env.KAFKA_REPLICATION_FACTOR ??= '3';
        env.KAFKA_MIN_INSYNC_REPLICAS ??= '2';
        kafkaStop = fresh ? k.stop : null;
      } else {
        say(fresh ? `Starting Apache Kafka ${KAFKA_VERSION} (KRaft, single node) on 127.0.0.1:${kport}, empty…` : `Using the Kafka broker already on 127.0.0.1:${kport}…`);
        const k = await startKafka({ port: kport, name: 'demo-kafka', fresh });
        env.KAFKA_BROKERS = k.brokers;
        kafkaStop = k.daemon ? k.stop : null;
      }
    }
    if (stopping) return;
    if (!env.CLICKHOUSE_URL && (o.clickhouseReplicas ?? 0) > 0) {
      // One shard of replicas on 8123, 8133, … and ZooKeeper on 9181; the pipeline writes through Distributed tables.
      say(`Starting a ClickHouse cluster: ${o.clickhouseReplicas} replicas of clickhouse-server and ZooKeeper (cluster 'trendstream')…`);
      const own = !(await portOpen(8123));
      const ch = await startClickHouseCluster({ basePort: 8123, zookeeperPort: 9181, replicas: o.clickhouseReplicas, cluster: 'trendstream', name: 'demo-clickhouse-cluster', fresh: own && fresh });
      env.CLICKHOUSE_URL = ch.urls[0];
      env.CLICKHOUSE_CLUSTER = ch.cluster;
      clickhouseStop = own ? ch.stop : null;
    }
    if (stopping) return;
    const { config, token: oneTime } = withOneTimeToken(loadConfig({ file: o.configFile, env }));
    shutdownMs = config.shutdownMs;
    if (fresh && !config.clickhouse.url && config.clickhouse.path === DEFAULT_CHDB_PATH && existsSync(config.clickhouse.path)) {
      rmSync(config.clickhouse.path, { recursive: true, force: true });
      say(`Cleared the demo's embedded store (${config.clickhouse.path}) of an earlier run; set TRENDSTREAM_CHDB_PATH to keep a store across runs.`);
    }
    const kafkaUp = Date.now();
    say(`Kafka ready. ClickHouse: ${config.clickhouse.url ?? `embedded (chdb) in ${config.clickhouse.path}`}. Kafka and ClickHouse client logs: ${libraryLog}`);
    const metrics = Metrics.withDefaults();
    pipeline = await startPipeline({
      config, roles: ['ingest', 'process', 'sink'], log, metrics, watches: () => store.get(), group: 'demo',
      routes: (app, { store: ch }) => {
        registerApi(app, { store: ch!, database: config.clickhouse.database, watches: store, tokens: { read: config.api.readTokens, admin: config.api.adminTokens }, log: log.child({ component: 'api' }) });
        registerDashboard(app);
      },
    });
    if (stopping) return;
    say(`Dashboard: http://127.0.0.1:${pipeline.httpPort}/?token=${oneTime ?? '<your token>'} · ingest: POST /v1/posts · API: /v1/openapi.json · metrics: http://127.0.0.1:${pipeline.opsPort}/metrics`);

    const now = Date.now();
    const start = Math.floor((now - 90 * MIN) / MIN) * MIN;
    const at = (minutes: number) => start + minutes * MIN;
    const events: GeneratorEvent[] = [
      { kind: 'burst', tag: 'Glatteis', at: at(25), peakPerMinute: 400, rampMinutes: 3, durationMinutes: 30, lang: 'de' },
      { kind: 'firestorm', watch: 'deutsche-bahn', at: at(45), peakPerMinute: 500, rampMinutes: 4, durationMinutes: 40, tag: 'Bahnchaos' },
      { kind: 'campaign', tag: 'WahlBetrug', at: at(60), perMinute: 200, durationMinutes: 20, accounts: 25 },
    ];
    const posts = generate({ seed: Date.now() % 100_000, start, minutes: 24 * 60, postsPerMinute: o.rate, events, watches });
    const running = pipeline;
    feeding = feed(running, posts, start, o.speed, () => stopping).catch((e) => log.error({ err: e }, 'generator stopped'));

    const until = o.seconds ? Date.now() + o.seconds * 1000 : Infinity;
    while (!stopping && Date.now() < until) {
      let lines: string[];
      let alerts: string[] = [];
      try {
        lines = await topHashtags(config, running);
        alerts = await openAlerts(config, running);
      } catch (e) { lines = [`(ClickHouse not answering: ${(e as Error).message})`]; }
      if (stopping) break;
      const head = `trendstream demo · ${new Date().toISOString().slice(11, 19)} · ${Math.round((Date.now() - kafkaUp) / 1000)} s since Kafka was up`;
      const body = [head, '', 'Top hashtags (last 15 minutes of stream time):', ...(lines.length ? lines : ['  (waiting for the first complete minute…)']), '', 'Open shitstorm alerts:', ...(alerts.length ? alerts : ['  (none)']), '', 'Ctrl-C stops everything the demo started.'];
      if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H' + body.join('\n') + '\n');
      else say(body.join('\n'));
      await Promise.race([sleep(2000), woken]);
    }
  } finally {
    if (!stopping) { stopping = true; say('\nStopping…'); }
    // The broker is stopped whatever happened before: a pipeline that hangs on close gets
    // `shutdownMs`, then the process exits anyway (its state is in Kafka and ClickHouse).
    const closing = (async () => {
      await feeding;
      await pipeline?.close();
    })().catch((e) => log.error({ err: e }, 'pipeline did not close cleanly'));
    const timer = sleep(shutdownMs, 'timeout' as const, { ref: false });
    if ((await Promise.race([closing, timer])) === 'timeout') log.error({ shutdownMs }, 'pipeline did not close in time; stopping the broker anyway');
    watchStore?.close();
    if (kafkaStop) await kafkaStop().catch((e) => log.error({ err: e }, 'could not stop the Kafka broker'));
    if (clickhouseStop) await clickhouseStop().catch((e) => log.error({ err: e }, 'could not stop the ClickHouse cluster'));
    say('Stopped.');
  }
  process.exit(0);
}

/** A line on the terminal; nothing when the terminal is gone. */
function say(line: string): void {
  try { process.stdout.write(`${line}\n`); } catch { /* terminal gone */ }
}
