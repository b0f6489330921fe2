// SCRATCH (delete after use): verifies the Kafka Streams peer against counts computed here.
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../../../deploy/local/kafka.js';
import { generate } from '../../../ingest/generator.js';
import { postCodec } from '../../../ingest/producer.js';
import { appendFileSync } from 'node:fs';
import { buildPeer, startPeer, type PeerProgress } from './peer.js';

const runs = (process.env.RUNS ?? 'exactly_once_v2:partials').split(',');
const k = await startKafka({ port: 19492, name: 'ks-peer-kafka', fresh: true });
try {
  const kafka = new Kafka({ brokers: [k.brokers], clientId: 'ks-verify', logLevel: logLevel.WARN });
  const prefix = 'kv1-';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: `${prefix}posts`, numPartitions: 6, replicationFactor: 1 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const codec = postCodec();
  const expected = new Map<string, number>();
  let total = 0;
  let bytes = 0;
  let batch: { key: string; value: Buffer }[] = [];
  let lastMinute = 0;
  const t0 = Date.now();
  for (const post of generate({ seed: 1, start: Date.parse('2026-11-24T10:00:00Z'), minutes: Number(process.env.MINUTES ?? 60), postsPerMinute: 3500, rhythm: false })) {
    const value = codec.encode({ ...post, ingested_at: Date.now() });
    bytes += value.length;
    batch.push({ key: `${post.platform}:${post.id}`, value });
    const minute = Math.floor(post.created_at / 60_000) * 60_000;
    lastMinute = Math.max(lastMinute, minute);
    for (const tag of new Set(post.hashtags)) expected.set(`${tag}\t${minute}`, (expected.get(`${tag}\t${minute}`) ?? 0) + 1);
    total++;
    if (batch.length >= 5000) { await producer.send({ topic: `${prefix}posts`, messages: batch, acks: -1 }); batch = []; }
  }
  if (batch.length) await producer.send({ topic: `${prefix}posts`, messages: batch, acks: -1 });
  await producer.disconnect();
  console.log(`wrote ${total} posts (${(bytes / total).toFixed(0)} B avg value) in ${Date.now() - t0} ms; ${expected.size} (tag, minute) pairs`);

  const tb = Date.now();
  const cp = await buildPeer();
  console.log(`buildPeer ${Date.now() - tb} ms: ${cp}`);

  for (const [i, run] of runs.entries()) {
    const [guarantee, topology, emit] = run.split(':') as [string, 'partials' | 'dsl', 'suppress' | 'close' | undefined];
    const appId = `ks-verify-${i}-${guarantee}-${topology}-${emit ?? ''}`;
    const existing = await admin.listTopics();
    const outs = [`${prefix}ks-minute-counts`, `${prefix}ks-trends`].filter((t) => existing.includes(t));
    if (outs.length) { await admin.deleteTopics({ topics: outs }); await new Promise((r) => setTimeout(r, 3000)); }
    const countsTopic = `${prefix}ks-minute-counts`;
    const extra = process.env.KS_EXTRA ? process.env.KS_EXTRA.split(' ') : [];
    const peer = startPeer({ brokers: k.brokers, prefix, appId, guarantee, topology, ...(emit ? { emit } : {}), commitIntervalMs: 100, extraConfig: extra, onStderr: (l) => appendFileSync(`/tmp/ksv-${i}.err`, l + '\n') });
    const cfg = await peer.config;
    console.log('config', JSON.stringify(cfg));
    const lines: PeerProgress[] = [];
    const ts = Date.now();
    for await (const p of peer.progress) {
      lines.push(p);
      appendFileSync(`/tmp/ksv-${i}.progress`, JSON.stringify(p) + '\n');
      if (lines.length % 5 === 0) console.log(JSON.stringify(p));
      if (p.consumed >= total) break;
      if (Date.now() - ts > 600_000) throw new Error('timeout');
    }
    await peer.stop();
    console.log('final', JSON.stringify(peer.latest()), 'exit', await peer.exited);
    const first = lines.find((l) => l.consumed > 0)!;
    const before = lines[lines.indexOf(first) - 1] ?? first;
    const last = lines[lines.length - 1]!;
    const rate = (last.consumed - before.consumed) / ((last.t - before.t) / 1000);
    let peak = 0;
    for (let j = 1; j < lines.length; j++) peak = Math.max(peak, (lines[j]!.consumed - lines[j - 1]!.consumed) / ((lines[j]!.t - lines[j - 1]!.t) / 1000));
    const a = lines.find((l) => l.consumed >= total * 0.1)!;
    const z = lines.find((l) => l.consumed >= total * 0.9)!;
    console.log(`STEADY ${run}: 10%→90% ${((z.consumed - a.consumed) / ((z.t - a.t) / 1000)).toFixed(0)} posts/s`);
    console.log(`RUN ${run}: ${total} posts in ${((last.t - before.t) / 1000).toFixed(1)} s from first commit → ${rate.toFixed(0)} posts/s (peak 1 s: ${peak.toFixed(0)}); start→first commit ${(first.t - ts) / 1000} s`);

    // Compare the emitted closed minutes with the ones computed here.
    {
      const consumer = kafka.consumer({ groupId: `ks-verify-read-${i}-${Date.now()}`, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic: countsTopic, fromBeginning: true });
      const got = new Map<string, number>();
      let dupes = 0;
      let lastSeen = Date.now();
      await consumer.run({
        eachMessage: async ({ message }) => {
          lastSeen = Date.now();
          const v = JSON.parse(message.value!.toString()) as { hashtag: string; minute: number; count: number };
          const key = `${v.hashtag}\t${v.minute}`;
          if (got.has(key)) dupes++;
          got.set(key, v.count);
        },
      });
      while (Date.now() - lastSeen < 5000) await new Promise((r) => setTimeout(r, 500));
      await consumer.disconnect();
      let match = 0; let wrong = 0; let missing = 0; let extra = 0; let missingPosts = 0;
      const wrongs: string[] = [];
      for (const [key, n] of expected) {
        const minute = Number(key.split('\t')[1]);
        if (minute >= lastMinute) continue; // the newest minute never closes (no later event time)
        const g = got.get(key);
        if (g === undefined) { missing++; missingPosts += n; if (wrongs.length < 5) wrongs.push(`missing ${key}=${n}`); } else if (g === n) match++; else { wrong++; if (wrongs.length < 10) wrongs.push(`${key}: got ${g} want ${n}`); }
      }
      for (const key of got.keys()) if (!expected.has(key)) extra++;
      console.log(`COUNTS ${appId}: emitted ${got.size}, match ${match}, wrong ${wrong}, missing ${missing} (${missingPosts} tag-posts), extra ${extra}, duplicates ${dupes}`, wrongs);
      const top = [...expected].filter(([key]) => Number(key.split('\t')[1]) < lastMinute).sort((a, b) => b[1] - a[1]);
      for (const [key, n] of [top[0]!, top[10]!, top[100]!, top[1000]!, top[top.length - 1]!]) console.log(`  ${key.replace('\t', ' @ ')}: expected ${n}, peer ${got.get(key)}`);
      const tc = kafka.consumer({ groupId: `ks-verify-trends-${i}-${Date.now()}` });
      await tc.connect();
      await tc.subscribe({ topic: `${prefix}ks-trends`, fromBeginning: true });
      const trends: string[] = [];
      lastSeen = Date.now();
      await tc.run({ eachMessage: async ({ message }) => { lastSeen = Date.now(); trends.push(message.value!.toString()); } });
      while (Date.now() - lastSeen < 4000) await new Promise((r) => setTimeout(r, 500));
      await tc.disconnect();
      console.log(`TRENDS: ${trends.length}`, trends.slice(0, 8));
    }
  }
  await admin.disconnect();
} finally {
  await k.stop();
}
