// `npm run bench -- --json FILE`: the benchmark (issue 6). Starts Kafka and the ClickHouse
// server locally, runs a fixed generated workload (1,000,000 posts by default), and measures
// each stage side by side with its baselines in the same run: Kafka's own perf tools (the
// physical limit) and a Kafka Streams peer (bench/peers/kafka-streams) on the same topics.
// Ratios decide; absolute figures are reported beside them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionMetadata } from 'kafkajs';
import { Kafka, logLevel, Partitioners } from '../lib/kafka/client.js';
import { startClickHouse } from '../deploy/local/clickhouse.js';
import { KAFKA_VERSION, startKafka } from '../deploy/local/kafka.js';
import { scrape, startWorker, stopWorker, watchesFile, workerEnv, type Worker, type WorkerKind } from '../deploy/local/workers.js';
import { generate } from '../sim/generator.js';
import { postKey, postToJson, type Post, postCodec } from '../schemas/post.js';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { startPipeline, type Pipeline } from '../app/pipeline.js';
import { detectPosts, DEFAULT_LATENESS_MS } from '../processors/detect.js';
import { decodeEvent } from '../schemas/events-codec.js';
import { migrate, openStore, type Store } from '../lib/clickhouse/client.js';
import { quantile } from './score.js';
import { consumerPerf, producerPerf } from './kafka-perf.js';
import { BENCH_START, benchWorkload, EVAL_WATCHES } from './scenarios.js';
import { readPosts } from '../cli/detect.js';
import { createServer } from 'node:http';
import { cpuProfFlags, formatSummaries, profileSelf, summariseDir } from './profile.js';
import { restorePhase } from './restore.js';
import { BENCH_CLICKHOUSE_PORT, BENCH_KAFKA_PORT } from './ports.js';

const arg = (name: string, dflt?: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const N = Number(arg('--posts', process.env.BENCH_POSTS ?? '1000000'));
const jsonOut = arg('--json');
const PHASES = ['kafka', 'ingest', 'stage-a', 'stage-b', 'peer', 'sink', 'e2e', 'half', 'distinct', 'detect', 'restore'];
/**
 * `--only distinct,detect` runs just those phases (PHASES); stage-a and peer read what ingest wrote, stage-b and sink what
 * stage A wrote; `restore` generates its own partials and needs neither the posts workload nor ClickHouse.
 */
const only = arg('--only')?.split(',').map((p) => p.trim()).filter(Boolean);
const unknownPhases = only?.filter((p) => !PHASES.includes(p)) ?? [];
if (only && (unknownPhases.length || !only.length)) {
  console.error(`--only: unknown phase ${unknownPhases.map((p) => `'${p}'`).join(', ') || '(none given)'}; phases are ${PHASES.join(', ')}`);
  process.exit(1);
}
const want = (phase: string) => !only || only.includes(phase);
/**
 * Node flags for the workers, as deployed: the heap limit the Dockerfile sets (V8 otherwise
 * sizes the heap from the machine's 24 GiB and collects late), and for the sink also the young
 * generation deploy/k8s/sink.yaml adds; BENCH_WORKER_NODE_ARGS sets every worker's instead. For CPU profiles use `--profile DIR`.
 */
const flags = (s: string): string[] => s.split(' ').filter(Boolean);
const HEAP = '--max-old-space-size=320';
const workerArgs = (kind: WorkerKind): string[] => flags(process.env.BENCH_WORKER_NODE_ARGS ?? (kind === 'sink' ? `${HEAP} --max-semi-space-size=32` : HEAP));
/** `--profile DIR`: a CPU profile of every worker per phase, and of ingest, in DIR, summarised at the end (bench/profile.ts). */
const profileDir = arg('--profile') && path.resolve(arg('--profile')!);
/** A worker's node flags in a phase: with `--profile`, it writes its profiles into `DIR/<phase>-<kind>` on exit. */
const nodeArgs = (phase: string, kind: WorkerKind): string[] => (profileDir ? [...workerArgs(kind), ...cpuProfFlags(profileDir, `${phase}-${kind}`)] : workerArgs(kind));
/** With `--profile`, profiles this process (it runs ingest) until the returned function is called. */
const profileIngest = async (phase: string): Promise<() => Promise<void>> => (profileDir ? profileSelf(profileDir, `${phase}-ingest`) : async () => {});
const M = 60_000;
const START = BENCH_START;
const log = createLogger('warn');
const results: Record<string, unknown> = {};
/** Progress on stderr; the JSON so far is rewritten at each step, so a run cut short keeps its figures. */
const say = (s: string) => {
  process.stderr.write(`${s}\n`);
  if (jsonOut && Object.keys(results).length) writeFileSync(jsonOut, JSON.stringify({ ...results, incomplete: true }, null, 2) + '\n');
};

function posts(seed: number): Post[] {
  const out: Post[] = [];
  for (const p of generate(benchWorkload(seed, N))) { out.push(p); if (out.length >= N) break; }
  return out;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > end) throw new Error(`benchmark step timed out (last value ${JSON.stringify(v)})`);
    await sleep(everyMs);
  }
}

/** Waits until a growing count has not changed for 5 s; returns its value and when it last grew. */
async function settled(fn: () => Promise<number>, timeoutMs = 900_000): Promise<{ value: number; at: number }> {
  const end = Date.now() + timeoutMs;
  let value = await fn();
  let at = performance.now();
  while (Date.now() < end) {
    await sleep(200);
    const v = await fn().catch(() => value);
    if (v !== value) { value = v; at = performance.now(); } else if (value > 0 && performance.now() - at > 5000) return { value, at };
  }
  throw new Error('benchmark step timed out');
}

/** Peak RSS of each worker kind, sampled once a second while a phase runs. */
const peakRss: Record<string, number> = {};
function sampleRss(workers: Worker[]): () => void {
  const t = setInterval(() => {
    for (const w of workers) {
      void scrape(w, 'trendstream_process_resident_memory_bytes').then((b) => {
        peakRss[w.kind] = Math.max(peakRss[w.kind] ?? 0, b / 2 ** 20);
      }).catch(() => {});
    }
  }, 1000);
  return () => clearInterval(t);
}

/** Sends posts as fast as Kafka takes them, several batches in flight; returns posts/s. */
async function produceAll(p: Pipeline, all: Post[], inFlight = 4, chunk = 5000): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < all.length) {
      const i = next; next += chunk;
      await p.producer!.send(all.slice(i, i + chunk));
    }
  }));
  return all.length / ((performance.now() - t0) / 1000);
}

/** User plus system CPU seconds of a process and its threads so far (0 when unknown). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return 0; }
}

/**
 * Starts counting CPU time of the given processes and of this one (as `ingest`: it runs the
 * ingest pipeline); the returned function gives microseconds of CPU per post so far.
 */
function cpuMeter(pids: Record<string, number | undefined>): (posts: number) => Record<string, number | null> {
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const self0 = process.cpuUsage();
  return (posts) => {
    const self = process.cpuUsage(self0);
    return {
      ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? Math.round(((cpuSeconds(pid) - cpu0[k]!) * 1e6) / posts) : null])),
      ingest: Math.round((self.user + self.system) / posts),
    };
  };
}

async function count(store: Store, db: string, table = 'posts'): Promise<number> {
  const [r] = await (await store.query({ query: `SELECT toString(count()) AS n FROM ${db}.${table}`, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(r!.n);
}

async function main(): Promise<void> {
  const t00 = Date.now();
  if (profileDir) { mkdirSync(profileDir, { recursive: true }); results.profiled = true; }
  say(`trendstream benchmark: ${N.toLocaleString('en')} posts, Kafka ${KAFKA_VERSION}, ClickHouse server (Debian), ${os.cpus().length} cores`);
  const kafka = await startKafka({ port: BENCH_KAFKA_PORT, name: 'bench-kafka', fresh: true });
  if (only?.every((p) => p === 'restore')) {
    // 11 alone: no posts workload, no ClickHouse.
    try { Object.assign(results, await restorePhase(kafka.brokers, say)); } finally { await kafka.stop(); }
    results.wall_seconds = Math.round((Date.now() - t00) / 1000);
    printTable();
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
    return;
  }
  const ch = await startClickHouse({ port: BENCH_CLICKHOUSE_PORT, name: 'bench-clickhouse' });
  /** The servers on the path, whose CPU time per post the end-to-end and half-load phases report. */
  const servers = { kafka: kafka.daemon?.pid, clickhouse: ch.daemon?.pid };
  const brokers = kafka.brokers;
  const wfile = watchesFile(EVAL_WATCHES);
  // The ClickHouse server keeps its data between runs: every phase starts from empty tables.
  const chAdmin = openStore({ url: ch.url, database: 'default', username: 'default', password: '', path: '' });
  for (const db of ['bench_stage', 'bench_e2e', 'bench_half', 'bench_tail']) await chAdmin.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await chAdmin.close();
  const stops: (() => Promise<void>)[] = [];
  try {
    say('generating the workload…');
    const all = only?.every((p) => p === 'distinct' || p === 'restore') ? [] : posts(1);
    const avgBytes = Math.round(all.slice(0, 20_000).reduce((n, p) => n + postCodec().encode({ ...p, ingested_at: 0 }).length, 0) / 20_000);
    const multiTag = all.filter((p) => p.hashtags.length >= 2).length / all.length;
    Object.assign(results, { posts: N, avg_record_bytes: avgBytes, share_posts_with_2plus_hashtags: Number(multiTag.toFixed(3)), kafka_version: KAFKA_VERSION, partitions: { posts: 6, hashtag_counts: 6 }, worker_node_flags: { process: workerArgs('process').join(' '), sink: workerArgs('sink').join(' ') } });

    // 1. The physical limit: Kafka's perf tools on records of our average size.
    if (want('kafka')) {
      const perfCfg = loadConfig({ env: {}, overrides: { kafka: { brokers: [brokers], topicPrefix: 'perf.' }, clickhouse: { url: ch.url } } });
      const perf = await startPipeline({ config: perfCfg, roles: ['ingest'], log, metrics: new Metrics(), http: false });
      await perf.close();
      say('baseline: kafka-producer-perf-test / kafka-consumer-perf-test…');
      results.kafka_produce_records_per_s = Math.round(await producerPerf({ brokers, topic: 'perf.posts', records: N, recordSize: avgBytes }));
      results.kafka_consume_records_per_s = Math.round(await consumerPerf({ brokers, topic: 'perf.posts', records: N }));
    }

    // 2. Ingest: validated posts encoded and produced (idempotent, acks=all), as fast as Kafka takes them.
    if (want('ingest')) {
      const pre = loadConfig({ env: {}, overrides: { kafka: { brokers: [brokers], topicPrefix: 'stage.' }, clickhouse: { url: ch.url, database: 'bench_stage' } } });
      const ingest = await startPipeline({ config: pre, roles: ['ingest'], log, metrics: new Metrics(), http: false });
      say('ingest: producing the workload…');
      const stopProfile = await profileIngest('ingest');
      results.ingest_posts_per_s = Math.round(await produceAll(ingest, all));
      await stopProfile();
      await ingest.close();
    }

    const env = (prefix: string, db: string, extra = {}) => ({ ...workerEnv({ brokers, clickhouseUrl: ch.url, database: db, prefix }), ...extra });
    // 3. Stage A alone over the filled `posts` topic.
    if (want('stage-a')) {
      say('stage A over the filled posts topic…');
      const a = await startWorker('stage-a', env('stage.', 'bench_stage'), wfile, nodeArgs('stage', 'stage-a'));
      const stopRss = sampleRss([a]);
      const aStart = await until(() => scrape(a, 'trendstream_component_received_events_total', 'component_id="stage-a"'), (n) => n > 0, 120_000, 50).then(() => performance.now());
      await until(() => scrape(a, 'trendstream_component_received_events_total', 'component_id="stage-a"'), (n) => n >= N, 900_000);
      results.stage_a_posts_per_s = Math.round(N / ((performance.now() - aStart) / 1000));
      stopRss(); await stopWorker(a);
    }

    // 4. Stage B alone over the filled `hashtag-counts` topic.
    if (want('stage-b')) {
      say('stage B over the filled hashtag-counts topic…');
      const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const partials = (await admin.fetchTopicOffsets('stage.hashtag-counts')).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      const b = await startWorker('stage-b', env('stage.', 'bench_stage'), wfile, nodeArgs('stage', 'stage-b'));
      const stopRss = sampleRss([b]);
      const bStart = await until(() => scrape(b, 'trendstream_component_received_events_total', 'component_id="stage-b"'), (n) => n > 0, 120_000, 50).then(() => performance.now());
      // Transaction markers take offsets too, so the end is when the count stops growing (measured to its last increase).
      const bDone = await settled(() => scrape(b, 'trendstream_component_received_events_total', 'component_id="stage-b"'));
      results.stage_b_partials_per_s = Math.round(bDone.value / ((bDone.at - bStart) / 1000));
      results.hashtag_counts_records = partials;
      stopRss(); await stopWorker(b);
      await admin.disconnect();
    }

    // 5. The Kafka Streams peer over the same filled `posts` topic, same partitions and guarantee.
    if (want('peer')) {
      try {
        const { buildPeer, startPeer } = (await import(new URL('./peers/kafka-streams/peer.ts', import.meta.url).href)) as PeerModule;
        say('Kafka Streams peer over the same posts topic…');
        await buildPeer();
        const peer = startPeer({ brokers, prefix: 'stage.', appId: `bench-ks-${process.pid}-${Date.now()}`, guarantee: 'exactly_once_v2', commitIntervalMs: 100 });
        stops.push(() => peer.stop());
        results.kafka_streams_config = await peer.config;
        const ks = await peerRate(peer);
        results.kafka_streams_posts_per_s = Math.round(ks);
        await peer.stop();
        if (typeof results.stage_a_posts_per_s === 'number') results.ratio_to_kafka_streams = Number((results.stage_a_posts_per_s / ks).toFixed(2));
      } catch (e) {
        say(`Kafka Streams peer unavailable: ${(e as Error).message}`);
        results.kafka_streams_posts_per_s = null;
      }
    }

    // 6. Sink alone over the filled `posts-enriched` topic (stage A's output): rows written to ClickHouse per second.
    if (want('sink')) {
      say('sink over the filled posts-enriched topic…');
      const sinkStore = openStore({ url: ch.url, database: 'bench_stage', username: 'default', password: '', path: '' });
      await migrate(sinkStore, 'bench_stage');
      const s = await startWorker('sink', env('stage.', 'bench_stage'), wfile, nodeArgs('stage', 'sink'));
      const stopRss = sampleRss([s]);
      const sStart = await until(() => count(sinkStore, 'bench_stage'), (n) => n > 0, 120_000, 50).then(() => performance.now());
      await until(() => count(sinkStore, 'bench_stage'), (n) => n >= N, 900_000, 250);
      results.sink_rows_per_s = Math.round(N / ((performance.now() - sStart) / 1000));
      stopRss(); await stopWorker(s);
      await sinkStore.close();
    }

    // 7. End to end, all workers running: ingest → ClickHouse `posts`, sustained (every worker done).
    if (want('e2e')) {
    say('end to end…');
      const e2eCfg = loadConfig({ env: {}, overrides: { kafka: { brokers: [brokers], topicPrefix: 'e2e.' }, clickhouse: { url: ch.url, database: 'bench_e2e' } } });
      const e2eIngest = await startPipeline({ config: e2eCfg, roles: ['ingest'], log, metrics: new Metrics(), http: false });
      const e2eStore = openStore(e2eCfg.clickhouse);
      await migrate(e2eStore, 'bench_e2e');
      const ws = [await startWorker('process', env('e2e.', 'bench_e2e'), wfile, nodeArgs('e2e', 'process')), await startWorker('sink', env('e2e.', 'bench_e2e'), wfile, nodeArgs('e2e', 'sink'))];
      const stopRss = sampleRss(ws);
      // Where the two cores go: CPU time of every process on the path, per post.
      const cpu = cpuMeter({ ...servers, process: ws[0]!.proc.pid, sink: ws[1]!.proc.pid });
      const stopProfile = await profileIngest('e2e');
      const e0 = performance.now();
      await produceAll(e2eIngest, all);
      await stopProfile();
      await until(() => count(e2eStore, 'bench_e2e'), (n) => n >= N, 900_000, 250);
      // Sustained means every worker kept up, not just the posts sink: stage A has taken in every
      // post and stage B every record stage A committed to hashtag-counts (a fault-free run aborts
      // none). Stage A's sent count also holds one posts-enriched record per post it took in, which
      // stage B never reads; stage B may read a few more (progress records of quiet partitions).
      const stage = (m: string, id: string) => scrape(ws[0]!, `trendstream_component_${m}_events_total`, `component_id="${id}"`);
      await until(async () => [await stage('received', 'stage-a'), await stage('sent', 'stage-a'), await stage('received', 'stage-b')],
        ([inA, outA, inB]) => inA! >= N && inB! >= outA! - inA!, 900_000, 250);
      results.e2e_posts_per_s = Math.round(N / ((performance.now() - e0) / 1000));
      results.e2e_cpu_us_per_post = cpu(N);
      stopRss();
      await Promise.all(ws.map((w) => stopWorker(w)));
      await e2eIngest.close();
      await e2eStore.close();
    }

    // 8. Freshness and alert latency at half the sustained maximum load.
    if (want('half')) {
      say('freshness and alert latency at half load…');
      const rate = typeof results.e2e_posts_per_s === 'number' ? Math.round(results.e2e_posts_per_s / 2) : Number(arg('--half-rate', '4000'));
      Object.assign(results, await halfLoad(brokers, ch.url, env, wfile, Math.max(1000, rate), servers));
    }

    // 9. Bounded memory: 1,000,000 distinct hashtags within one hour of event time through stage A and B.
    if (want('distinct')) {
      say('bounded memory: 1,000,000 distinct hashtags in one hour…');
      Object.assign(results, await distinctTags(brokers, ch.url, env, wfile));
    }

    // 10. detect in-process over a file.
    if (want('detect')) {
      say('detect over a file…');
      const file = path.join(os.tmpdir(), `bench-posts-${process.pid}.ndjson`);
      writeFileSync(file, all.map((p) => JSON.stringify(postToJson(p))).join('\n') + '\n');
      const d0 = performance.now();
      const read: Post[] = [];
      for await (const p of readPosts(file, { lines: 0 })) read.push(p);
      let events = 0;
      for (const _ of detectPosts(read, { latenessMs: DEFAULT_LATENESS_MS, watches: EVAL_WATCHES })) events++;
      results.detect_posts_per_s = Math.round(N / ((performance.now() - d0) / 1000));
      results.detect_events = events;
    }

    // 11. Takeover of a stage B partition after 1, 7 and 30 days of history (bench/restore.ts).
    if (want('restore')) {
      say('restore after 1, 7 and 30 days of history…');
      Object.assign(results, await restorePhase(brokers, say));
    }

    results.peak_rss_mib = Object.fromEntries(Object.entries(peakRss).map(([k, v]) => [k, Math.round(v)]));
    const ratio = (a: string, b: string) => (typeof results[a] === 'number' && typeof results[b] === 'number' ? Number(((results[a] as number) / (results[b] as number)).toFixed(3)) : null);
    results.ratio_stage_a_to_kafka_consume = ratio('stage_a_posts_per_s', 'kafka_consume_records_per_s');
    results.ratio_ingest_to_kafka_produce = ratio('ingest_posts_per_s', 'kafka_produce_records_per_s');
    results.wall_seconds = Math.round((Date.now() - t00) / 1000);
  } finally {
    for (const s of stops) await s().catch(() => {});
    await kafka.stop();
    await ch.stop();
  }
  if (profileDir) {
    results.profiles = summariseDir(profileDir);
    process.stderr.write(`\nCPU profiles in ${profileDir} (self time, share of busy time):\n${formatSummaries(results.profiles as ReturnType<typeof summariseDir>)}\n\n`);
  }
  printTable();
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
}

interface PeerModule {
  buildPeer(): Promise<string>;
  startPeer(o: { brokers: string; prefix: string; appId: string; guarantee?: string; commitIntervalMs?: number }): { progress: AsyncIterable<{ consumed: number; t: number }>; config: Promise<unknown>; stop(): Promise<void> };
}

/** The peer's rate over the whole workload, from its first committed progress to the last (like stage A's). */
async function peerRate(peer: { progress: AsyncIterable<{ consumed: number; t: number }> }): Promise<number> {
  let first: { consumed: number; t: number } | null = null;
  for await (const p of peer.progress) {
    if (!first && p.consumed > 0) first = p;
    if (first && p.consumed >= N) return (p.consumed - first.consumed) / ((p.t - first.t) / 1000);
  }
  throw new Error('the peer stopped before consuming the workload');
}

async function distinctTags(brokers: string, chUrl: string, env: (p: string, db: string) => NodeJS.ProcessEnv, wfile: string): Promise<Record<string, unknown>> {
  const cfg = loadConfig({ env: {}, overrides: { kafka: { brokers: [brokers], topicPrefix: 'tail.' }, clickhouse: { url: chUrl, database: 'bench_tail' } } });
  const ingest = await startPipeline({ config: cfg, roles: ['ingest'], log, metrics: new Metrics(), http: false });
  const n = N;
  const tail: Post[] = Array.from({ length: n }, (_, i) => ({
    id: `tail-${i}`, platform: 'generic', created_at: START + Math.floor((i * 3_600_000) / n), text: `Neues Thema #einzigartig${i} heute`,
    author: { id: `a${i % 50_000}`, handle: null, followers: 10, created_at: null }, lang: 'de', reply_to: null, reply_to_author: null, repost_of: null,
    hashtags: [`einzigartig${i}`], mentions: [], metrics: { likes: 0, reposts: 0, replies: 0 },
  }));
  await produceAll(ingest, tail);
  await ingest.close();
  // The stages as separate workers (as scaled out), so each stage's peak RSS is its own.
  const ws = [await startWorker('stage-a', env('tail.', 'bench_tail'), wfile, nodeArgs('distinct', 'stage-a')), await startWorker('stage-b', env('tail.', 'bench_tail'), wfile, nodeArgs('distinct', 'stage-b'))];
  // Peak RSS, and beside it the peaks of V8's used heap and of memory outside it (Buffers), to tell live state from lazy collection.
  const families = ['trendstream_process_resident_memory_bytes', 'trendstream_nodejs_heap_size_used_bytes', 'trendstream_nodejs_external_memory_bytes'];
  const peak = families.map(() => [0, 0]);
  const sample = (w: Worker, i: number) => families.forEach((f, k) => void scrape(w, f).then((b) => { peak[k]![i] = Math.max(peak[k]![i]!, b / 2 ** 20); }).catch(() => {}));
  const t = setInterval(() => ws.forEach(sample), 500);
  // A worker that dies (out of memory) fails the phase with its last words instead of waiting out the timeout.
  for (const w of ws) void w.exited.then((code) => { if (!w.killed) say(`${w.kind} exited with ${code} during the phase: ${w.stderr.join('').slice(-3000)}`); });
  await until(() => scrape(ws[0]!, 'trendstream_component_received_events_total', 'component_id="stage-a"'), (v) => v >= n, 900_000, 500);
  await settled(() => scrape(ws[1]!, 'trendstream_component_received_events_total', 'component_id="stage-b"'));
  const buckets = await scrape(ws[1]!, 'trendstream_window_open_buckets');
  const tracked = await scrape(ws[1]!, 'trendstream_trend_tracked_tags');
  clearInterval(t);
  await Promise.all(ws.map((w) => stopWorker(w)));
  return { distinct_hashtags: n, distinct_hashtags_event_minutes: 60, ...Object.fromEntries(['rss', 'heap_used', 'external'].map((what, k) => [`distinct_hashtags_peak_${what}_mib`, { stage_a: Math.round(peak[k]![0]!), stage_b: Math.round(peak[k]![1]!) }])),
    distinct_hashtags_open_buckets_at_end: buckets, distinct_hashtags_tracked_at_end: tracked };
}

async function halfLoad(brokers: string, chUrl: string, env: (p: string, db: string, extra?: object) => NodeJS.ProcessEnv, wfile: string, rate: number, servers: Record<string, number | undefined>): Promise<Record<string, unknown>> {
  const received = new Map<string, number>();
  const hook = createServer((req, res) => {
    const id = String(req.headers['idempotency-key']);
    if (!received.has(id)) received.set(id, Date.now());
    req.resume(); res.writeHead(200).end();
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/`;
  const cfg = loadConfig({ env: {}, overrides: { kafka: { brokers: [brokers], topicPrefix: 'half.' }, clickhouse: { url: chUrl, database: 'bench_half' } } });
  const ingest = await startPipeline({ config: cfg, roles: ['ingest'], log, metrics: new Metrics(), http: false });
  const store = openStore(cfg.clickhouse);
  await migrate(store, 'bench_half');
  // Half-load run: 50 s of the workload paced at `rate` posts/s (fresh ids: another seed), from
  // 50 minutes of event time before the first firestorm: the workers are warm (JIT, partitions
  // claimed) and the detectors have history when the alerts are decided, while the load runs.
  const n = Math.min(N, rate * 50);
  const all = posts(2).filter((p) => p.created_at >= START + 190 * M).slice(0, n);
  // The alerts the pipeline must deliver: `detect` over the same posts (same deterministic ids),
  // computed before the load so that it does not compete with the workers.
  const expected = [...detectPosts(all, { latenessMs: DEFAULT_LATENESS_MS, watches: EVAL_WATCHES })].filter((e) => e.type === 'alert');
  const extra = { TRENDSTREAM_WEBHOOK_URL: hookUrl, TRENDSTREAM_WEBHOOK_SECRET: 'bench-secret-0123456789' };
  const ws = [await startWorker('process', env('half.', 'bench_half', extra), wfile, nodeArgs('half', 'process')), await startWorker('sink', env('half.', 'bench_half', extra), wfile, nodeArgs('half', 'sink'))];
  const stopRss = sampleRss(ws);
  const partitioner = Partitioners.DefaultPartitioner();
  const meta: PartitionMetadata[] = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  const streamTime = new Array<number>(6).fill(-Infinity);
  const accepted: { t: number; minStream: number }[] = [];
  /** Sampled post id → when ingest accepted it, and its event time. */
  const sampled = new Map<string, { at: number; created: number }>();
  const chunk = Math.max(50, Math.round(rate / 20));
  // Freshness: ClickHouse is polled for the sampled ids while the load runs, until each is queryable.
  const seen = new Map<string, number>();
  let producing = true;
  const poll = (async () => {
    const end = () => !producing && (seen.size >= sampled.size || Date.now() > stopAt);
    let stopAt = Infinity;
    while (!end()) {
      if (!producing && stopAt === Infinity) stopAt = Date.now() + 120_000;
      const missing = [...sampled.keys()].filter((id) => !seen.has(id)).slice(0, 2000);
      if (missing.length) {
        // The oldest missing post's hour bounds the scan by the table's sort key (hour first).
        const from = Math.floor(Math.min(...missing.map((id) => sampled.get(id)!.created)) / 1000);
        const rows = await (await store.query({ query: `SELECT id FROM bench_half.posts WHERE toStartOfHour(created_at) >= toStartOfHour(toDateTime(${from})) AND id IN (${missing.map((x) => `'${x}'`).join(',')})`, format: 'JSONEachRow' })).json<{ id: string }>();
        const now = Date.now();
        for (const r of rows) if (!seen.has(r.id)) seen.set(r.id, now);
      }
      await sleep(200); // each poll scans posts of the last hour: at 50 Hz the probe alone took a fifth of the machine
    }
  })();
  // CPU per post while the load runs (per-batch costs weigh more at half load than flat out),
  // and the transactions each stage commits (one per fetch, for all its partitions' batches: each
  // costs several broker round trips and a marker per output partition).
  const cpu = cpuMeter({ ...servers, process: ws[0]!.proc.pid, sink: ws[1]!.proc.pid });
  const txns = () => Promise.all(['stage-a', 'stage-b'].flatMap((id) => ['count', 'sum'].map((s) => scrape(ws[0]!, `trendstream_transaction_duration_seconds_${s}`, `component_id="${id}"`))));
  const txns0 = await txns();
  const t0 = Date.now();
  for (let i = 0; i < all.length; i += chunk) {
    const slice = all.slice(i, i + chunk);
    for (const p of slice) {
      const part = partitioner({ topic: 'half.posts', partitionMetadata: meta, message: { key: postKey(p), value: null } });
      streamTime[part] = Math.max(streamTime[part]!, p.created_at);
    }
    await ingest.producer!.send(slice);
    const now = Date.now();
    accepted.push({ t: now, minStream: Math.min(...streamTime) });
    for (let j = 0; j < slice.length; j += 100) sampled.set(slice[j]!.id, { at: now, created: slice[j]!.created_at });
    const due = t0 + ((i + chunk) / rate) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  producing = false;
  const cpuPerPost = cpu(all.length);
  const loadSeconds = (Date.now() - t0) / 1000;
  const [nA, sA, nB, sB] = (await txns()).map((x, i) => x - txns0[i]!);
  const txA = Math.round(nA! / loadSeconds);
  const txB = Math.round(nB! / loadSeconds);
  await poll;
  const ids = [...sampled.keys()];
  const fresh = ids.filter((id) => seen.has(id)).map((id) => seen.get(id)! - sampled.get(id)!.at);
  // Alert latency: from the acceptance of the post that moved every partition past the alert's
  // decision time. Every expected alert whose decision time the stream passed must arrive.
  const decidable = expected.flatMap((alert) => {
    const decisive = accepted.find((c) => c.minStream >= Date.parse(alert.detected_at));
    return decisive ? [{ alert, decisive }] : [];
  });
  const missing = () => decidable.filter((d) => !received.has(d.alert.id)).length;
  await until(async () => missing(), (k) => k === 0, 60_000, 200)
    .catch(() => say(`half load: ${missing()} of ${decidable.length} expected alerts not delivered within 60 s`));
  // Where the time goes: the alert record's Kafka timestamp is when stage B produced it.
  const produced = await alertTimestamps(ingest, decidable.length);
  const latencies: number[] = [];
  const toProduced: number[] = [];
  const toDelivered: number[] = [];
  for (const { alert, decisive } of decidable) {
    const got = received.get(alert.id);
    const made = produced.get(alert.id);
    if (got) latencies.push(got - decisive.t);
    if (got && made) { toProduced.push(made - decisive.t); toDelivered.push(got - made); }
  }
  stopRss();
  await Promise.all(ws.map((w) => stopWorker(w)));
  await ingest.close();
  await store.close();
  hook.close();
  const q = (xs: number[], p: number) => (xs.length ? Math.round(quantile(xs, p)) : null);
  return {
    half_load_posts_per_s: rate, half_load_cpu_us_per_post: cpuPerPost, half_load_transactions_per_s: { stage_a: txA, stage_b: txB },
    half_load_transaction_mean_ms: { stage_a: Math.round((1000 * sA!) / nA!), stage_b: Math.round((1000 * sB!) / nB!) },
    freshness_p50_ms: Math.round(quantile(fresh, 0.5)), freshness_p99_ms: Math.round(quantile(fresh, 0.99)), freshness_samples: fresh.length,
    alert_latency_p50_ms: q(latencies, 0.5), alert_latency_p99_ms: q(latencies, 0.99), alert_latency_samples: latencies.length, alerts_expected: decidable.length,
    alert_to_produced_p50_ms: q(toProduced, 0.5), alert_to_produced_p99_ms: q(toProduced, 0.99),
    alert_produced_to_delivered_p50_ms: q(toDelivered, 0.5), alert_produced_to_delivered_p99_ms: q(toDelivered, 0.99),
  };
}

/** Alert event id → the Kafka timestamp of its record on `alerts` (set by stage B's producer). */
async function alertTimestamps(p: Pipeline, expected: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const c = p.kafka.consumer({ groupId: `bench-alert-times-${Date.now()}`, readUncommitted: false });
  await c.connect();
  await c.subscribe({ topic: p.topics.alerts, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => { if (message.value) out.set(decodeEvent(message.value).id, Number(message.timestamp)); } });
  await until(async () => out.size, (n) => n >= expected, 20_000, 200).catch(() => {});
  await c.disconnect();
  return out;
}

function printTable(): void {
  const rows: [string, unknown][] = Object.entries(results).filter(([, v]) => typeof v !== 'object' || v === null);
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log('\n| metric | value |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${typeof v === 'number' ? v.toLocaleString('en') : String(v)} |`);
  for (const [k, v] of Object.entries(results)) if (v && typeof v === 'object' && k !== 'profiles') console.log(`| ${k} | ${JSON.stringify(v)} |`);
}

main().catch((e) => { console.error(e); process.exit(1); });
