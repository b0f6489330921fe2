// Where an alert's latency goes, read from the topics the last `npm run bench` half-load phase
// left in its broker (`npx tsx bench/alert-hops.ts` after a bench run that included `half`).
// For each alert: the ingest time of the posts that moved every `posts` partition past its
// decision time (record timestamps), the time stage A's progress markers for that point were
// produced, and the time stage B produced the alert.
import { startKafka } from '../deploy/local/kafka.js';
import { Kafka, logLevel } from '../lib/kafka/client.js';
import { decodeCounts } from '../schemas/counts-codec.js';
import { decodeEvent } from '../schemas/events-codec.js';
import { postCodec } from '../schemas/post.js';
import { BENCH_KAFKA_PORT } from './ports.js';

const local = await startKafka({ port: BENCH_KAFKA_PORT, name: 'bench-kafka' });
const kafka = new Kafka({ brokers: [local.brokers], logLevel: logLevel.NOTHING });

/** Every committed record of a topic (waits `ms` for the reads to finish). */
async function readAll(topic: string, each: (partition: number, value: Buffer, timestamp: number) => void, ms = 12_000): Promise<void> {
  const c = kafka.consumer({ groupId: `alert-hops-${topic}-${Date.now()}`, readUncommitted: false });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async ({ partition, message }) => { if (message.value) each(partition, message.value, Number(message.timestamp)); } });
  await new Promise((r) => setTimeout(r, ms));
  await c.disconnect();
}

const alerts: { id: string; at: number; produced: number }[] = [];
await readAll('half.alerts', (_p, v, ts) => { const e = decodeEvent(v); alerts.push({ id: e.id, at: Date.parse(e.detected_at), produced: ts }); });
const codec = postCodec();
const posts: { partition: number; created: number; ingested: number }[] = [];
await readAll('half.posts', (partition, v, ts) => posts.push({ partition, created: codec.decode(v).created_at, ingested: ts }));
const markers: { source: number; streamTime: number; produced: number }[] = [];
await readAll('half.hashtag-counts', (_q, v, ts) => { const r = decodeCounts(v); if ('progress' in r) markers.push({ source: r.progress.source, streamTime: r.progress.stream_time, produced: ts }); });

const sources = [...new Set(posts.map((p) => p.partition))];
const latest = (xs: number[]) => Math.max(...xs);
for (const a of alerts) {
  const ingested = latest(sources.map((s) => Math.min(...posts.filter((p) => p.partition === s && p.created >= a.at).map((p) => p.ingested))));
  const stageA = latest(sources.map((s) => Math.min(...markers.filter((m) => m.source === s && m.streamTime >= a.at).map((m) => m.produced))));
  console.log(`${a.id}: ingest → stage A progress ${stageA - ingested} ms, stage A → alert produced ${a.produced - stageA} ms`);
}
await local.stop();
