// Assembles the workers a process runs: ingest (HTTP source and
// producer), processors (stage A and B), sinks (ClickHouse). One process may run any
// subset; embedded mode runs them all, since one process owns the chdb store.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { PostProducer } from '../ingest/producer.js';
import type { Post } from '../schemas/post.js';
import { decodeEnriched } from '../schemas/enriched.js';
import { registerErasures } from '../ingest/erasure.js';
import { registerIngest } from '../ingest/http.js';
import { JetstreamSource } from '../ingest/jetstream.js';
import { MastodonSource } from '../ingest/mastodon.js';
import { decodeCounts } from '../schemas/counts-codec.js';
import { StageA } from '../processors/stage-a.js';
import { StageB } from '../processors/stage-b.js';
import { WatchMatcher, type Watch } from '../schemas/watches.js';
import { migrate, openStore, type Store } from '../lib/clickhouse/client.js';
import { eventRow, minuteRow, postRow } from '../sinks/clickhouse/rows.js';
import { decodeEvent } from '../schemas/events-codec.js';
import { Erasures } from '../sinks/clickhouse/erasure.js';
import { RetentionJob } from '../sinks/clickhouse/retention.js';
import { ClickHouseSink } from '../sinks/clickhouse/sink.js';
import { unconfiguredChannels } from '../sinks/channel.js';
import { AlertDelivery } from '../sinks/webhook.js';
import type { Config } from './config.js';
import { createKafka, ensureTopics, waitForLeaders } from '../lib/kafka/client.js';
import type { Logger } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import { registerOps } from '../lib/ops.js';
import { TransactionalWorker } from '../lib/kafka/transactional.js';
import type { Rejected } from '../schemas/dlq.js';
import { ErasureProducer } from '../lib/kafka/erasures.js';
import type { Topics } from '../schemas/topics.js';

/** `process` runs both stages; `stage-a` / `stage-b` run one (to scale or measure them apart). */
export type Role = 'ingest' | 'process' | 'stage-a' | 'stage-b' | 'sink';

export interface PipelineOptions {
  config: Config;
  roles: readonly Role[];
  log: Logger;
  metrics: Metrics;
  watches?: () => Watch[];
  /** Consumer group prefix; distinct per pipeline sharing a broker. */
  group?: string;
  /** Serve HTTP (ingest, ops) on config ports; false for in-process tests that only produce. */
  http?: boolean;
  /** More routes on the process's HTTP app (query API, dashboard), added before it listens. */
  routes?: (app: FastifyInstance, ctx: { store: Store | null }) => void;
}

export interface Pipeline {
  kafka: Kafka;
  topics: Topics;
  store: Store | null;
  producer: PostProducer | null;
  /** The HTTP app of the process: ingest's when it runs, otherwise the ops server. */
  app: FastifyInstance | null;
  /** Port of `app`. */
  httpPort: number | null;
  /** Port of /metrics, /healthz, /readyz (http.port). */
  opsPort: number | null;
  /** Graceful stop: stop fetching, finish in-flight batches, commit, close clients. */
  close(): Promise<void>;
}

export async function startPipeline(o: PipelineOptions): Promise<Pipeline> {
  const { config, log, metrics } = o;
  const group = o.group ?? `${config.kafka.topicPrefix}trendstream`;
  const kafka = createKafka(config.kafka, log);
  const admin = kafka.admin();
  await admin.connect();
  const topics = await ensureTopics(admin, config.kafka);
  // Through waitForLeaders: on a cluster the node asked may not know topics created a moment ago.
  const meta = await waitForLeaders(admin, [topics.counts, topics.posts]);
  const partitionsOf = (topic: string) => meta.find((m) => m.name === topic)!.partitions.length;
  const countsPartitions = partitionsOf(topics.counts);
  const postsPartitions = partitionsOf(topics.posts);
  await admin.disconnect();

  let watchList: Watch[] = [];
  let matcher: WatchMatcher | null = null;
  const currentWatches = () => o.watches?.() ?? [];
  const currentMatcher = () => {
    const ws = o.watches?.() ?? [];
    if (ws !== watchList || !matcher) { watchList = ws; matcher = new WatchMatcher(ws); }
    return matcher;
  };

  // Closed in phases, each phase's closers together (an idle consumer's disconnect can wait out
  // its fetch, so one after another they would miss the shutdown deadline): HTTP servers first,
  // then sources and workers, then what workers use while finishing a batch, then the store.
  const closers: [phase: 0 | 1 | 2 | 3, close: () => Promise<void>][] = [];
  const ready: (() => boolean)[] = [];
  // Consumers join their groups together: after a crash each join can wait out the dead member's session.
  const starting: Promise<void>[] = [];
  const starts = (started: Promise<void>) => {
    started.catch(() => {}); // awaited below with the others; not an unhandled rejection meanwhile
    starting.push(started);
  };
  const run = (w: { start(): Promise<void>; close(): Promise<void>; readonly ready: boolean }) => {
    closers.push([1, () => w.close()]);
    ready.push(() => w.ready);
    starts(w.start());
  };
  let store: Store | null = null;
  let producer: PostProducer | null = null;
  let erasureProducer: ErasureProducer | null = null;
  try {
    if (o.roles.includes('sink')) {
      store = openStore(config.clickhouse, log);
      const { database: db, cluster } = config.clickhouse;
      await migrate(store, db, cluster);
      // Every erasure already requested is known before the first row is written.
      const erasures = new Erasures(kafka, { topic: topics.erasures, group, store, database: db, cluster, metrics, log: log.child({ component: 'erasures' }) });
      await erasures.start();
      const postsRows = (msgs: KafkaMessage[]) => {
        const rows: Record<string, unknown>[] = [];
        for (const msg of msgs) {
          if (!msg.value) continue;
          try { rows.push(postRow(decodeEnriched(msg.value))); } catch (e) {
            // Stage A wrote it in its own transaction: a record it cannot have written is worth an error, not a crash.
            metrics.errors.inc({ component_kind: 'sink', component_id: 'sink-posts', error_type: 'decode', stage: 'receiving' });
            log.error({ err: e, offset: msg.offset }, 'undecodable enriched post skipped');
          }
        }
        return new Map([['posts', rows]]);
      };
      const minuteRows = (msgs: KafkaMessage[]) => {
        const out = new Map<string, Record<string, unknown>[]>([['hashtag_minute', []], ['watch_minute', []]]);
        for (const msg of msgs) {
          if (!msg.value) continue;
          const r = decodeCounts(msg.value);
          if ('partial' in r) { const { table, row } = minuteRow(r.partial); out.get(table)!.push(row); }
        }
        return out;
      };
      const eventRows = (msgs: KafkaMessage[]) => {
        const out = new Map<string, Record<string, unknown>[]>([['trends', []], ['alerts', []]]);
        for (const msg of msgs) {
          if (!msg.value) continue;
          const { table, row } = eventRow(decodeEvent(msg.value));
          out.get(table)!.push(row);
        }
        return out;
      };
      // Minute aggregates and trends hold no author, text or post id: erasure leaves them as they are.
      const sinks = [['sink-posts', topics.enriched, postsRows, erasures], ['sink-minutes', topics.minutes, minuteRows, undefined],
        ['sink-trends', topics.trends, eventRows, undefined], ['sink-alerts', topics.alerts, eventRows, erasures]] as const;
      for (const [id, topic, toRows, e] of sinks) {
        run(new ClickHouseSink(kafka, { id, groupId: `${group}-${id}`, topic, database: db, store, toRows, metrics, log: log.child({ component: id }), erasures: e,
          lingerMs: config.sink.flushMs, maxRows: config.sink.batchRows }));
      }
      starts(erasures.startApplying());
      closers.push([2, () => erasures.close()]);
      ready.push(() => erasures.ready);
      const retention = new RetentionJob(store, { database: db, cluster, retention: config.clickhouse.retention,
        intervalMs: config.clickhouse.retentionIntervalMinutes * 60_000, metrics, log: log.child({ component: 'retention' }) });
      retention.start();
      closers.push([2, () => retention.close()]);
    }
    if (o.roles.includes('sink')) {
      // A watch that names a channel this sink does not have gets no alert there: said once per
      // watch list (the API can change it at run time), and as a gauge an alert rule can watch.
      const configured = new Set(config.alerting.channels.map((c) => c.name));
      let checked: readonly Watch[] | null = null;
      const checkRoutes = () => {
        const ws = currentWatches();
        if (ws === checked) return;
        checked = ws;
        const missing = unconfiguredChannels(ws, configured);
        metrics.unconfiguredChannels.set(missing.length);
        if (missing.length) log.warn({ missing, configured: [...configured] }, 'watches send alerts to channels that are not configured: those alerts are delivered nowhere');
      };
      checkRoutes();
      const routesTimer = setInterval(checkRoutes, 10_000);
      routesTimer.unref();
      closers.push([0, async () => clearInterval(routesTimer)]);
      for (const channel of config.alerting.channels) {
        run(new AlertDelivery(kafka, { channel, topic: topics.alerts, groupId: `${group}-alerts-${channel.name}`, watches: currentWatches,
          dashboardUrl: config.alerting.dashboardUrl, metrics, log: log.child({ component: `alerts-${channel.name}` }) }));
      }
    }
    const stages = new Set<string>();
    if (o.roles.includes('process') || o.roles.includes('stage-a')) stages.add('stage-a');
    if (o.roles.includes('process') || o.roles.includes('stage-b')) stages.add('stage-b');
    if (stages.size) {
      const stageA = new StageA({ topics, latenessMs: config.processor.latenessMs, postsPartitions, countsPartitions, matcher: currentMatcher, metrics, log: log.child({ component: 'stage-a' }) });
      const stageB = new StageB({ topics, latenessMs: config.processor.latenessMs, maxTagsPerMinute: config.processor.maxTagsPerMinute, partitions: countsPartitions, watches: () => currentWatches(), metrics, log: log.child({ component: 'stage-b' }) });
      for (const [id, topic, handler] of [['stage-a', topics.posts, stageA], ['stage-b', topics.counts, stageB]] as const) {
        if (!stages.has(id)) continue;
        run(new TransactionalWorker(kafka, { id, groupId: `${group}-${id}`, topic, handler, metrics, log: log.child({ component: id }),
          // Stage A fetches 1 MiB per partition, half of stage B's: each post it reads leaves as two records (posts-enriched
          // and its partials), held until the transaction commits, so this keeps its bytes in flight where 2 MiB had them.
          ...(id === 'stage-a' ? { minBytes: 256 << 10, maxWaitMs: 100, maxBytesPerPartition: 1 << 20, idleMs: config.processor.idleMs } : { changelog: topics.changelog }) }));
      }
    }
    await Promise.all(starting);
    if (o.roles.includes('ingest')) {
      producer = new PostProducer(kafka, topics, metrics);
      await producer.start();
      erasureProducer = new ErasureProducer(kafka, topics.erasures, metrics);
      await erasureProducer.start();
      const p = producer;
      const ep = erasureProducer;
      const onPosts = (posts: Post[], rejected: Rejected[]) => p.send(posts, rejected);
      // A post deleted at its source is erased like a requested one.
      const onDelete = (source: string) => (platform: string, id: string) =>
        ep.send([{ kind: 'post', platform, id, requested_at: Date.now(), source, derived: false, actor: source }]);
      const sources = [
        ...config.ingest.mastodon.map((m) => new MastodonSource({ ...m, onPosts, onDelete: onDelete(m.id), metrics, log: log.child({ component: m.id }) })),
        ...(config.ingest.jetstream ? [new JetstreamSource({ ...config.ingest.jetstream, onPosts, onDelete: onDelete(config.ingest.jetstream.id), metrics, log: log.child({ component: 'jetstream' }) })] : []),
      ];
      for (const src of sources) await src.start();
      // Sources first: their last batches still go through the producers.
      closers.push([1, async () => { for (const src of sources) await src.close(config.shutdownMs / 2); await p.close(); await ep.close(); }]);
    }
    let app: FastifyInstance | null = null;
    let httpPort: number | null = null;
    let opsPort: number | null = null;
    if (o.http !== false) {
      const health = { ready: () => ready.every((r) => r()) };
      const listen = async (a: FastifyInstance, port: number, host: string) => {
        await a.listen({ port, host });
        closers.push([0, () => a.close()]);
        const addr = a.server.address();
        return typeof addr === 'object' && addr ? addr.port : port;
      };
      // Every worker serves /metrics, /healthz and /readyz on http.port, which stays inside the
      // cluster; the ingest port, which faces senders, serves only health besides ingest.
      const ops = Fastify({ logger: false });
      registerOps(ops, metrics.registry, health);
      if (!producer) o.routes?.(ops, { store });
      opsPort = await listen(ops, config.http.port, config.http.host);
      app = ops;
      httpPort = opsPort;
      if (producer) {
        app = Fastify({ logger: false, bodyLimit: config.ingest.maxBodyBytes });
        registerOps(app, null, health);
        registerIngest(app, producer, metrics, { ...config.ingest, open: config.insecureNoAuth });
        registerErasures(app, erasureProducer!, { adminTokens: config.api.adminTokens, ingestTokens: config.ingest.tokens, open: config.insecureNoAuth, log: log.child({ component: 'erasures' }) });
        o.routes?.(app, { store });
        httpPort = await listen(app, config.ingest.port, config.ingest.host);
      }
    }
    if (store) { const s = store; closers.push([3, () => s.close()]); }
    return {
      kafka, topics, store, producer, app, httpPort, opsPort,
      close: () => closeAll(closers, log),
    };
  } catch (e) {
    await Promise.allSettled(starting);
    await closeAll(closers, log);
    throw e;
  }
}

async function closeAll(closers: readonly [number, () => Promise<void>][], log: Logger): Promise<void> {
  for (const phase of [0, 1, 2, 3]) {
    await Promise.all(closers.filter(([p]) => p === phase).map(async ([, close]) => {
      try { await close(); } catch (e) { log.warn({ err: e }, 'error while closing'); }
    }));
  }
}
