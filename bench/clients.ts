// `npx tsx bench/clients.ts [--records 200000] [--paced-rate 2000] [--paced-seconds 20]`: kafkajs
// (what we use) and @platformatic/kafka side by side on one local broker, same records, same run.
// The question was whether a client with KIP-447 (group generation and member in the offset
// commit: one producer commits all of a worker's partitions in one transaction) beats kafkajs,
// which stops before it. lib/kafka/kip447.ts now gives kafkajs the same, so the exactly-once
// phases run lib/kafka/transactional.ts's own worker against platformatic's. Measured: produce, consume, exactly-once consume-transform-produce flat out
// (checked: the output holds each input once) and its latency at a paced load. Not part of `npm run bench`.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Consumer as PConsumer, MessagesStreamFallbackModes, MessagesStreamModes, Producer as PProducer, type Message as PMessage } from '@platformatic/kafka';
import type { Message } from 'kafkajs';
import { Kafka, logLevel } from '../lib/kafka/client.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { TransactionalWorker, type PartitionHandler } from '../lib/kafka/transactional.js';
import { quantile } from './score.js';

type Client = 'kafkajs' | 'platformatic';
type Results = Record<string, number | string | null>;
type Defer = (close: () => Promise<unknown>) => void;
export interface ClientsBenchOptions { brokers: string; records: Buffer[]; partitions?: number; pacedRate?: number; pacedSeconds?: number; log?: (s: string) => void }
/** An exactly-once worker's progress: what it committed, when it first read and last committed. */
interface Worker { first: number; done: number; records: number; txns: number; error?: unknown }
/** A record a reader got: its key, and the send time the paced load put in its header `t`. */
interface Seen { key: string; t: number }

const CLIENTS: Client[] = ['kafkajs', 'platformatic'];
/** Fetch settings of lib/kafka/transactional.ts, given to both clients. */
const FETCH = { maxBytesPerPartition: 2 << 20, maxBytes: 16 << 20, waitMs: 100 };
/** Produce, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit: the requests a transaction costs. */
const TXN_APIS = new Map([[0, 'Produce'], [24, 'AddPartitionsToTxn'], [25, 'AddOffsetsToTxn'], [26, 'EndTxn'], [28, 'TxnOffsetCommit']]);
const TXN_API_NAMES = new Set(TXN_APIS.values());
const version = (pkg: string): string => (JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
const timeout = (ms: number, what: string): Promise<never> => sleep(ms, undefined, { ref: false }).then(() => { throw new Error(`${what}: no result after ${ms / 1000} s`); });
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => Promise.race([p, timeout(ms, what)]);

/** Polls until `ok`; throws naming the step (or the worker's error), so a broken client fails the run instead of hanging it. */
async function waitFor(what: string, ok: () => boolean, ms: number, w?: Worker): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (w?.error) throw new Error(`${what}: the worker failed: ${String(w.error)}`, { cause: w.error });
    if (performance.now() > end) throw new Error(`${what}: timed out after ${ms / 1000} s`);
    await sleep(10);
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;
/** An error with its causes and aggregated errors (platformatic nests the broker's answer there), for the report. */
const describe = (e: unknown): string => {
  const x = e as { message?: string; code?: string; errors?: unknown[]; cause?: unknown };
  const inner = [...(x.errors ?? []), ...(x.cause ? [x.cause] : [])].map(describe);
  return `${x.code ? `${x.code}: ` : ''}${x.message ?? String(e)}${inner.length ? ` [${[...new Set(inner)].join('; ')}]` : ''}`;
};

export async function clientsBench(o: ClientsBenchOptions): Promise<Results> {
  const log = o.log ?? (() => {});
  const n = o.records.length;
  const partitions = o.partitions ?? 6;
  const rate = o.pacedRate ?? 2000;
  const budget = 120_000 + n * 2; // ms for a phase over all records: 500 records/s at worst
  const keys = o.records.map((_, i) => Buffer.from(`k${i}`)); // unique, so the output check can find duplicates
  const kafka = new Kafka({ brokers: [o.brokers], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 } });
  const base = { clientId: 'bench-clients', bootstrapBrokers: [o.brokers] };
  const tag = Date.now().toString(36); // topics, groups and transactional ids of this run only
  const name = (c: Client, what: string): string => `${c}-${what}-${tag}`;
  const r: Results = { records: n, partitions, paced_rate: rate, kafkajs_version: version('kafkajs'), platformatic_version: version('@platformatic/kafka') };

  const admin = kafka.admin();
  await admin.connect();
  const topics = CLIENTS.flatMap((c) => ['in', 'eos-out', 'paced-in', 'paced-out'].map((t) => name(c, t)));
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
  await admin.disconnect();

  /** Runs one measurement and closes every client it opened (last first), even when it fails. */
  async function phase<T>(fn: (defer: Defer) => Promise<T>): Promise<T> {
    const closers: (() => Promise<unknown>)[] = [];
    try { return await fn((c) => closers.push(c)); } finally {
      for (const c of closers.reverse()) await within(c(), 15_000, 'closing a client').catch((e: unknown) => log(`  close failed: ${String(e)}`));
    }
  }

  async function produce(c: Client, topic: string, defer: Defer): Promise<Results> {
    let send: (from: number, to: number) => Promise<unknown>;
    if (c === 'kafkajs') {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false }); // as ingest/producer.ts
      await p.connect(); defer(() => p.disconnect());
      send = (from, to) => p.send({ topic, acks: -1, messages: o.records.slice(from, to).map((value, i) => ({ key: keys[from + i], value })) });
    } else {
      const p = new PProducer({ ...base, idempotent: true, acks: -1 });
      defer(() => p.close());
      send = (from, to) => p.send({ messages: o.records.slice(from, to).map((value, i) => ({ topic, key: keys[from + i], value })) });
    }
    // Chunks of 5,000 with 4 in flight, as bench/run.ts produceAll. Not with platformatic: its idempotent
    // producer reads a partition's sequence number when it builds a request and advances it on the answer,
    // so concurrent sends reuse sequence numbers: the broker drops the later ones as duplicates (silently,
    // reported as written) or answers OUT_OF_ORDER_SEQUENCE_NUMBER. One send at a time is all it supports.
    const inFlight = c === 'kafkajs' ? 4 : 1;
    const t0 = performance.now();
    let next = 0;
    await within(Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < n) { const i = next; next += 5000; await send(i, Math.min(n, i + 5000)); }
    })), budget, `${c}: producing`);
    const s = (performance.now() - t0) / 1000;
    const admin = kafka.admin();
    await admin.connect(); defer(() => admin.disconnect());
    const written = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    if (written !== n) throw new Error(`${c}: ${n} records sent, but the topic holds ${written}`);
    return { produce_records_per_s: n / s, produce_in_flight: inFlight };
  }

  /** A read_committed group consumer from the beginning; `seen(k, …)` for every k records delivered (with their keys and send times, on demand). Resolves once it has joined. */
  async function reader(c: Client, topic: string, groupId: string, seen: (k: number, records: () => Seen[]) => void, defer: Defer): Promise<void> {
    if (c === 'kafkajs') {
      const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: FETCH.maxBytesPerPartition, maxBytes: FETCH.maxBytes, maxWaitTimeInMs: FETCH.waitMs });
      await consumer.connect(); defer(() => consumer.disconnect());
      const joined = new Promise((res) => consumer.on(consumer.events.GROUP_JOIN, res));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatch: async ({ batch }) => seen(batch.messages.length, () => batch.messages.map((m) => ({ key: String(m.key), t: Number(String(m.headers?.t)) }))) });
      await within(joined, 60_000, `${groupId}: joining`);
    } else {
      const consumer = new PConsumer({ ...base, groupId, maxWaitTime: FETCH.waitMs, maxBytes: FETCH.maxBytes, maxBytesPerPartition: FETCH.maxBytesPerPartition });
      defer(() => consumer.close());
      const stream = await within(consumer.consume({ topics: [topic], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false }), 60_000, `${groupId}: joining`);
      defer(() => stream.close());
      stream.on('data', (m: PMessage) => seen(1, () => [{ key: String(m.key), t: Number(String([...m.headers].find(([h]) => String(h) === 't')?.[1])) }]));
    }
  }

  async function consume(c: Client, topic: string, defer: Defer): Promise<Results> {
    let first = 0, firstK = 0, last = 0, count = 0;
    await reader(c, topic, name(c, 'consume'), (k) => { if (!count) { first = performance.now(); firstK = k; } count += k; if (count >= n && !last) last = performance.now(); }, defer);
    const joined = performance.now();
    await waitFor(`${c}: consuming`, () => count >= n, budget);
    // From the first delivery (kafkajs delivers a decoded batch, not a record) to the Nth record; and
    // from joining the group, which also counts the first fetch: with few fetches the first figure flatters.
    return { consume_records_per_s: (n - firstK) / ((last - first) / 1000), consume_from_join_records_per_s: n / ((last - joined) / 1000) };
  }

  /** lib/kafka/transactional.ts's worker itself, passing each record through; its metrics and requests counted for the report. */
  async function kafkajsWorker(groupId: string, input: string, output: string, w: Worker, requests: { n: number }, defer: Defer): Promise<void> {
    const counting = Object.create(kafka) as Kafka;
    counting.producer = (...args: Parameters<Kafka['producer']>) => {
      const producer = kafka.producer(...args);
      producer.on(producer.events.REQUEST, ({ payload }) => { if (TXN_API_NAMES.has(payload.apiName)) requests.n++; });
      return producer;
    };
    const metrics = new Metrics();
    // A batch counts once its transaction committed (the worker counts it as received then).
    const inc = metrics.received.inc.bind(metrics.received);
    metrics.received.inc = ((labels: never, k: number) => { w.records += k; w.done = performance.now(); inc(labels, k); }) as typeof inc;
    const observe = metrics.transactionSeconds.observe.bind(metrics.transactionSeconds);
    metrics.transactionSeconds.observe = ((labels: never, v: number) => { w.txns++; observe(labels, v); }) as typeof observe;
    const handler: PartitionHandler = {
      restore: () => ({}),
      release: () => {},
      process: (_partition, messages) => {
        w.first ||= performance.now();
        return { messages: [{ topic: output, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers as Message['headers'] })) }], metadata: '' };
      },
    };
    const worker = new TransactionalWorker(counting, { id: 'clients-bench', groupId, topic: input, handler, metrics, log: createLogger('error'),
      maxBytesPerPartition: FETCH.maxBytesPerPartition, maxWaitMs: FETCH.waitMs });
    defer(() => worker.close());
    await within(worker.start(), 60_000, `${groupId}: joining`);
  }

  /**
   * One transactional producer for the worker: each transaction takes everything the stream has
   * buffered (fetched while the previous one committed), so transactions grow with the load.
   */
  async function platformaticWorker(groupId: string, input: string, output: string, w: Worker, defer: Defer): Promise<void> {
    // Retry CONCURRENT_TRANSACTIONS after 20 ms like the kafkajs worker; the client's default is 1 s.
    const producer = new PProducer({ ...base, idempotent: true, transactionalId: `${groupId}-tx`, retries: 15, retryDelay: 20 });
    defer(() => producer.close());
    const consumer = new PConsumer({ ...base, groupId, maxWaitTime: FETCH.waitMs, maxBytes: FETCH.maxBytes, maxBytesPerPartition: FETCH.maxBytesPerPartition, sessionTimeout: 30_000, heartbeatInterval: 3000 });
    defer(() => consumer.close());
    const stream = await within(consumer.consume({ topics: [input], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false }), 60_000, `${groupId}: joining`);
    defer(() => stream.close());
    let running = true, wake = (): void => {};
    stream.on('readable', () => wake());
    stream.on('error', (e) => { w.error ??= e; wake(); });
    const loop = (async () => {
      while (running && !w.error) {
        const chunk: PMessage[] = [];
        for (let m: PMessage | null; (m = stream.read() as PMessage | null) !== null;) chunk.push(m);
        if (!chunk.length) { await Promise.race([new Promise<void>((res) => { wake = res; }), sleep(100, undefined, { ref: false })]); continue; }
        w.first ||= performance.now();
        const lastOf = new Map<number, PMessage>();
        for (const m of chunk) lastOf.set(m.partition, m);
        // Producer id and epoch -1 ask for a fresh id: the client sends 0/0 by default, which the broker
        // answers PRODUCER_FENCED once the transactional id exists (a restarted worker could not start).
        const tx = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
        try {
          await tx.send({ messages: chunk.map((m) => ({ topic: output, key: m.key, value: m.value, headers: m.headers })) });
          await tx.addConsumer(consumer);
          // One after another: concurrent addOffset calls share the producer's one in-flight 'commit'
          // operation (kPerformDeduplicated), so all but the first partition would silently not commit.
          for (const m of lastOf.values()) await tx.addOffset(m);
          await tx.commit();
        } catch (e) { await tx.abort().catch(() => {}); throw e; }
        w.records += chunk.length; w.txns++; w.done = performance.now();
      }
    })().catch((e: unknown) => { w.error ??= e; });
    defer(async () => { running = false; wake(); await loop; });
  }

  const startWorker = (c: Client, groupId: string, input: string, output: string, w: Worker, requests: { n: number }, defer: Defer): Promise<void> =>
    c === 'kafkajs' ? kafkajsWorker(groupId, input, output, w, requests, defer) : platformaticWorker(groupId, input, output, w, defer);

  /** Exactly-once flat out over the filled input topic, then a read_committed count of the output. */
  async function eos(c: Client, defer: Defer): Promise<Results> {
    const w: Worker = { first: 0, done: 0, records: 0, txns: 0 };
    const requests = { n: 0 };
    // platformatic's requests, by API key, from its diagnostics channel (only this worker produces meanwhile).
    const onRequest = (m: unknown): void => { if (TXN_APIS.has((m as { apiKey: number }).apiKey)) requests.n++; };
    if (c === 'platformatic') { subscribe('tracing:plt:kafka:connections:api:start', onRequest); defer(async () => unsubscribe('tracing:plt:kafka:connections:api:start', onRequest)); }
    await startWorker(c, name(c, 'eos'), name(c, 'in'), name(c, 'eos-out'), w, requests, defer);
    await waitFor(`${c}: exactly-once worker`, () => w.records >= n, budget, w);
    const s = (w.done - w.first) / 1000;
    const out = await countOutput(name(c, 'eos-out'), name(c, 'eos-verify'));
    if (out.records !== n || out.distinct !== n) log(`!!! ${c}: EXACTLY-ONCE VIOLATED: ${n} input records, ${out.records} in the output (${out.distinct} distinct keys)`);
    return { eos_records_per_s: w.records / s, eos_transactions_per_s: w.txns / s, eos_records_per_txn: w.records / w.txns, eos_requests_per_txn: requests.n / w.txns, eos_out_records: out.records, eos_out_distinct_keys: out.distinct };
  }

  /** Counts an output topic read_committed until no record came for 3 s (and N did, or 30 s passed). */
  async function countOutput(topic: string, groupId: string): Promise<{ records: number; distinct: number }> {
    return phase(async (defer) => {
      const seenKeys = new Set<string>();
      const t0 = performance.now();
      let records = 0, at = t0;
      await reader('kafkajs', topic, groupId, (k, got) => { for (const x of got()) seenKeys.add(x.key); records += k; at = performance.now(); }, defer);
      await waitFor(`counting ${topic}`, () => performance.now() - at > 3000 && (records >= n || performance.now() - t0 > 30_000), budget);
      return { records, distinct: seenKeys.size };
    });
  }

  /** Latency through the worker at `rate` records/s: send time (a header) to delivery of the output. */
  async function paced(c: Client, seconds: number, defer: Defer): Promise<Results> {
    const w: Worker = { first: 0, done: 0, records: 0, txns: 0 };
    const input = name(c, 'paced-in'), total = Math.round(rate * seconds), lat: number[] = [];
    await startWorker(c, name(c, 'paced'), input, name(c, 'paced-out'), w, { n: 0 }, defer);
    // The same kafkajs reader for both clients' outputs.
    await reader('kafkajs', name(c, 'paced-out'), name(c, 'paced-read'), (_, got) => { const now = performance.now(); for (const x of got()) lat.push(now - x.t); }, defer);
    const sender = kafka.producer({ allowAutoTopicCreation: false });
    await sender.connect(); defer(() => sender.disconnect());
    await sleep(1000); // let the worker's and the reader's first fetches start
    const sends: Promise<unknown>[] = [];
    const t0 = performance.now();
    for (let sent = 0; sent < total; await sleep(5)) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      if (due <= sent) continue;
      const t = String(performance.now());
      sends.push(sender.send({ topic: input, acks: -1, messages: Array.from({ length: due - sent }, (_, i) => ({ key: keys[(sent + i) % n]!, value: o.records[(sent + i) % n]!, headers: { t } })) }));
      sent = due;
    }
    await within(Promise.all(sends), 60_000, `${c}: paced sends`);
    await waitFor(`${c}: paced output`, () => lat.length >= total, 120_000, w);
    return { eos_latency_p50_ms: round(quantile(lat, 0.5)), eos_latency_p99_ms: round(quantile(lat, 0.99)), eos_paced_transactions_per_s: round(w.txns / seconds) };
  }

  /** Runs a measurement for both clients; a failing client gets its error recorded and nulls, and the run goes on. */
  async function measure(what: string, keysOf: string[], fn: (c: Client, defer: Defer) => Promise<Results>): Promise<void> {
    for (const c of CLIENTS) {
      log(`${c}: ${what}…`);
      try {
        for (const [k, v] of Object.entries(await phase((d) => fn(c, d)))) r[`${c}_${k}`] = typeof v === 'number' && k.endsWith('_per_s') ? Math.round(v) : typeof v === 'number' ? round(v) : v;
      } catch (e) {
        r[`${c}_${what}_error`] = describe(e);
        log(`!!! ${c}: ${what} failed: ${describe(e)}`);
        for (const k of keysOf) r[`${c}_${k}`] = null;
      }
    }
    for (const k of keysOf) {
      const a = r[`kafkajs_${k}`], b = r[`platformatic_${k}`];
      r[`ratio_platformatic_to_kafkajs_${k}`] = typeof a === 'number' && typeof b === 'number' && a > 0 ? Math.round((b / a) * 100) / 100 : null;
    }
  }

  await measure('produce', ['produce_records_per_s'], (c, d) => produce(c, name(c, 'in'), d));
  await measure('consume', ['consume_records_per_s', 'consume_from_join_records_per_s'], (c, d) => consume(c, name(c, 'in'), d));
  await measure('eos', ['eos_records_per_s', 'eos_transactions_per_s', 'eos_records_per_txn', 'eos_requests_per_txn'], eos);
  await measure('paced', ['eos_latency_p50_ms', 'eos_latency_p99_ms'], (c, d) => paced(c, o.pacedSeconds ?? 20, d));
  return r;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, dflt: string): string => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : dflt);
  const N = Number(arg('--records', '200000'));
  const [{ startKafka }, { generate }, { postCodec }] = await Promise.all([import('../deploy/local/kafka.js'), import('../sim/generator.js'), import('../schemas/post.js')]);
  // Real posts, Avro-encoded as ingest writes them (bench/run.ts's workload, without its events).
  const records: Buffer[] = [];
  for (const p of generate({ seed: 1, start: Date.parse('2026-11-24T06:00:00Z'), minutes: 600, postsPerMinute: Math.ceil((N * 1.02) / 600), rhythm: false })) {
    records.push(postCodec().encode({ ...p, ingested_at: 0 }));
    if (records.length >= N) break;
  }
  const k = await startKafka({ port: 59092, name: 'clients-kafka', fresh: true });
  try {
    const r = await clientsBench({ brokers: k.brokers, records, pacedRate: Number(arg('--paced-rate', '2000')), pacedSeconds: Number(arg('--paced-seconds', '20')), log: (s) => console.log(s) });
    const rows = Object.keys(r).filter((key) => key.startsWith('kafkajs_') && key !== 'kafkajs_version').map((key) => key.slice('kafkajs_'.length));
    console.log(`\n${records.length} records, avg ${Math.round(records.reduce((s, b) => s + b.length, 0) / records.length)} B; kafkajs ${r.kafkajs_version}, @platformatic/kafka ${r.platformatic_version}`);
    console.table(Object.fromEntries(rows.map((m) => [m, { kafkajs: r[`kafkajs_${m}`], platformatic: r[`platformatic_${m}`], ratio: r[`ratio_platformatic_to_kafkajs_${m}`] ?? '' }])));
    console.log(JSON.stringify(r, null, 2));
  } finally { await k.stop(); }
}
