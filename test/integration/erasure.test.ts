// Erasure on the ClickHouse server, through Kafka and the sink: posts and authors erased
// before the sink starts, while it runs (rows already stored), and before their posts even
// reach Kafka (through the HTTP endpoints) leave exactly the posts the truth says, alert
// samples pointing at them are redacted, and a replay of every topic with fresh sink groups
// into a new database brings back everything else and none of them.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os, { userInfo } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runErase } from '../../cli/erase.js';
import { generate } from '../../sim/generator.js';
import { postKey, postToJson, type Post } from '../../schemas/post.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline, type Pipeline } from '../../app/pipeline.js';
import { encodeEvent } from '../../schemas/events-codec.js';
import type { AlertEvent } from '../../schemas/events.js';
import type { Store } from '../../lib/clickhouse/client.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { ErasureProducer } from '../../lib/kafka/erasures.js';
import type { Erasure } from '../../schemas/erasure.js';

const START = Date.parse('2026-11-20T09:00:00Z');
const posts: Post[] = [...generate({ seed: 11, start: START, minutes: 10, postsPerMinute: 300, rhythm: false, authors: 500 })];
const batch1 = posts.slice(0, 2000);
const batch2 = posts.slice(2000);
const authorKey = (p: Post) => `${p.platform}:${p.author.id}`;
const ref = (p: Post) => ({ platform: p.platform, id: p.id });

/** A post of batch 1 whose author has posts in both batches, the k-th such author. */
function authorInBoth(k: number, not: Set<string>): string {
  const later = new Set(batch2.map(authorKey));
  const all = [...new Set(batch1.map(authorKey))].filter((a) => later.has(a) && !not.has(a));
  return all[k]!;
}

// Who is erased when: early (before the sink runs), live (rows stored), future (before their posts reach Kafka).
const aEarly = authorInBoth(0, new Set());
const aLive = authorInBoth(1, new Set([aEarly]));
const aFuture = authorInBoth(2, new Set([aEarly, aLive]));
const erasedAuthors = new Set([aEarly, aLive, aFuture]);
const ordinary = posts.filter((p) => !erasedAuthors.has(authorKey(p)));
const pEarly = ordinary[0]!;
const pLive = ordinary[1]!;
const pFuture = ordinary.find((p) => batch2.includes(p))!;
const keep = [ordinary[2]!, ordinary[3]!];
const byAuthor = (a: string) => batch1.find((p) => authorKey(p) === a)!;
const erasedPosts = new Set([pEarly, pLive, pFuture].map(postKey));
const truth = posts.filter((p) => !erasedAuthors.has(authorKey(p)) && !erasedPosts.has(postKey(p))).map(postKey).sort();

const alert = (id: string, samples: Post[]): AlertEvent => ({
  id, type: 'alert', state: 'opened', watch: 'w', severity: 3, detected_at: '2026-11-20T09:05:00Z', posts: 100,
  negative_share: 0.5, inauthentic: false, reasons: [], summary: 's', samples: samples.map(ref),
});
const alerts = [
  alert('alert:w:1', [pEarly, byAuthor(aEarly), keep[0]!, pLive]),
  alert('alert:w:2', [byAuthor(aLive), keep[1]!, byAuthor(aFuture)]),
];
const redacted = { 'alert:w:1': JSON.stringify([ref(keep[0]!)]), 'alert:w:2': JSON.stringify([ref(keep[1]!)]) };

const INGEST = 'ingest-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';

const req = (kind: 'post' | 'author', key: string): Erasure => {
  const i = key.indexOf(':');
  return { kind, platform: key.slice(0, i), id: key.slice(i + 1), requested_at: Date.now(), source: 'test', derived: false };
};

async function q<T>(store: Store, query: string): Promise<T[]> {
  return (await store.query({ query, format: 'JSONEachRow' })).json<T>();
}
const stored = async (s: Store, db: string) =>
  (await q<{ k: string }>(s, `SELECT concat(platform, ':', id) AS k FROM ${db}.posts FINAL ORDER BY k`)).map((r) => r.k);
const samplesOf = async (s: Store, db: string) =>
  Object.fromEntries((await q<{ id: string; s: string }>(s, `SELECT id, any(samples) AS s FROM ${db}.alerts GROUP BY id ORDER BY id`)).map((r) => [r.id, r.s]));

describe('erasure on the ClickHouse server', () => {
  it('removes erased posts and authors whenever the request comes, redacts alert samples, and a replay never brings them back', async () => {
    expect(new Set([...truth, ...erasedPosts]).size).toBe(truth.length + 3);
    const testStart = Date.now();
    const name = uniqueName('erasure');
    const config = testConfig(name, 'server', { logLevel: 'warn', ingest: { tokens: [INGEST] }, api: { adminTokens: [ADMIN] } });
    const db = config.clickhouse.database;
    const log = testLogger();
    const pipes: Pipeline[] = [];
    try {
      // Phase 1: batch 1 and the alerts reach Kafka; a post and an author are erased before any sink runs.
      const ingest = await startPipeline({ config, roles: ['ingest'], log, metrics: new Metrics(), http: true, group: `${name}-ingest` });
      pipes.push(ingest);
      await ingest.producer!.send(batch1);
      const producer = ingest.kafka.producer();
      await producer.connect();
      await producer.send({ topic: ingest.topics.alerts, messages: alerts.map((a) => ({ key: a.watch, value: encodeEvent(a) })) });
      await producer.disconnect();
      const eraser = new ErasureProducer(ingest.kafka, ingest.topics.erasures, new Metrics());
      await eraser.start();
      await eraser.send([req('post', postKey(pEarly)), req('author', aEarly)]);
      await eraser.close();

      const metrics = new Metrics();
      const sink = await startPipeline({ config, roles: ['process', 'sink'], log, metrics, http: false, group: `${name}-a` });
      pipes.push(sink);
      const s = sink.store!;
      const early = batch1.filter((p) => authorKey(p) === aEarly || postKey(p) === postKey(pEarly));
      const after1 = batch1.map(postKey).filter((k) => !early.map(postKey).includes(k)).sort();
      await waitFor(() => stored(s, db), (v) => v.length === after1.length);
      expect(await stored(s, db)).toEqual(after1);
      // Known before the first insert, so filtered, never written: exactly these rows.
      expect(await metrics.registry.getSingleMetricAsString('trendstream_component_discarded_events_total'))
        .toContain(`trendstream_component_discarded_events_total{component_kind="sink",component_id="sink-posts",reason="erased"} ${early.length}`);

      // Phase 2: rows already stored, erased by the CLI through a config file.
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'erase-')), 'config.json');
      writeFileSync(file, JSON.stringify({ kafka: { brokers: config.kafka.brokers, topicPrefix: config.kafka.topicPrefix }, logLevel: 'warn' }));
      await runErase({ posts: [postKey(pLive)], authors: [aLive], reason: 'ticket DSR-7: author asked', config: file });
      const live = batch1.filter((p) => authorKey(p) === aLive || postKey(p) === postKey(pLive)).map(postKey);
      const after2 = after1.filter((k) => !live.includes(k));
      await waitFor(() => stored(s, db), (v) => v.length === after2.length);
      expect(await stored(s, db)).toEqual(after2);

      // Phase 3: erased over HTTP before their posts reach Kafka; then batch 2 arrives over HTTP.
      const url = `http://127.0.0.1:${ingest.httpPort}`;
      const eraseBody = JSON.stringify({ posts: [ref(pFuture)], authors: [{ platform: aFuture.split(':')[0], author_id: aFuture.slice(aFuture.indexOf(':') + 1) }], reason: 'court order 2026/11' });
      // An ingest token may post but not erase; no token at all gets nothing.
      for (const [token, status] of [[INGEST, 403], [null, 401]] as const) {
        const denied = await fetch(`${url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: eraseBody });
        expect(denied.status).toBe(status);
      }
      const erase = await fetch(`${url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: eraseBody });
      expect([erase.status, await erase.json()]).toEqual([202, { accepted: 2 }]);
      const bad = await fetch(`${url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: '{"posts": [{"platform": "x"}]}' });
      expect([bad.status, (await bad.json()).message]).toEqual([400, 'posts.0.id: Invalid input: expected string, received undefined']);
      const unauthorised = await fetch(`${url}/v1/posts`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: batch2.map((p) => JSON.stringify(postToJson(p))).join('\n') });
      expect(unauthorised.status).toBe(401);
      const sent = await fetch(`${url}/v1/posts`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${INGEST}` }, body: batch2.map((p) => JSON.stringify(postToJson(p))).join('\n') });
      expect(sent.status).toBe(202);
      await waitFor(() => stored(s, db), (v) => v.length === truth.length);
      expect(await stored(s, db)).toEqual(truth);
      expect(await q(s, `SELECT platform, author_id FROM ${db}.posts WHERE concat(platform, ':', author_id) IN (${[...erasedAuthors].map((a) => `'${a}'`).join(', ')})`)).toEqual([]);
      await waitFor(() => samplesOf(s, db), (v) => JSON.stringify(v) === JSON.stringify(redacted));

      // Who asked, when and why: one row per request (none for the posts erased with their author), for the data team.
      const split = (k: string) => [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)];
      const audit = [
        ['cli', 'author', ...split(aLive), `cli:${userInfo().username}`, 'ticket DSR-7: author asked'],
        ['cli', 'post', ...split(postKey(pLive)), `cli:${userInfo().username}`, 'ticket DSR-7: author asked'],
        ['http', 'author', ...split(aFuture), `token:${createHash('sha256').update(ADMIN).digest('hex').slice(0, 8)}`, 'court order 2026/11'],
        ['http', 'post', ...split(postKey(pFuture)), `token:${createHash('sha256').update(ADMIN).digest('hex').slice(0, 8)}`, 'court order 2026/11'],
        ['test', 'author', ...split(aEarly), '', ''],
        ['test', 'post', ...split(postKey(pEarly)), '', ''],
      ];
      const requests = (d: string) => q<{ source: string; kind: string; platform: string; id: string; actor: string; reason: string; t: string }>(s,
        `SELECT source, kind, platform, id, actor, reason, toString(toUnixTimestamp(requested_at)) AS t FROM ${d}.erasure_requests FINAL ORDER BY source, kind`);
      await waitFor(() => requests(db), (v) => v.length >= audit.length);
      const rows = await requests(db);
      expect(rows.map((r) => [r.source, r.kind, r.platform, r.id, r.actor, r.reason])).toEqual(audit);
      for (const r of rows) expect(Number(r.t) * 1000).toBeGreaterThanOrEqual(Math.floor(testStart / 1000) * 1000);

      // Phase 4: replay every topic from the start with fresh sink groups into a new database.
      const replayConfig = { ...config, clickhouse: { ...config.clickhouse, database: `${db}_replay` } };
      const replay = await startPipeline({ config: replayConfig, roles: ['sink'], log, metrics: new Metrics(), http: false, group: `${name}-replay` });
      pipes.push(replay);
      const r = replay.store!;
      await waitFor(() => stored(r, `${db}_replay`), (v) => v.length >= truth.length);
      await waitFor(() => samplesOf(r, `${db}_replay`), (v) => Object.keys(v).length === 2);
      expect(await stored(r, `${db}_replay`)).toEqual(truth);
      expect(await samplesOf(r, `${db}_replay`)).toEqual(redacted);
      await waitFor(() => requests(`${db}_replay`), (v) => v.length >= audit.length);
      expect((await requests(`${db}_replay`)).map((x) => [x.source, x.kind, x.platform, x.id, x.actor, x.reason])).toEqual(audit);
      expect((await q<{ n: string }>(r, `SELECT toString(count()) AS n FROM ${db}_replay.posts`))[0]!.n).toBe(String(truth.length));
      expect(Number(/^trendstream_retention_last_success_timestamp_seconds (\S+)$/m.exec(await metrics.registry.metrics())?.[1])).toBeGreaterThan(0);
    } finally {
      for (const p of pipes.reverse()) await p.close();
    }
  });
});
