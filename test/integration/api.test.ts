// The query API against a known scenario on the ClickHouse server: an organic burst, a bot
// campaign, a short firestorm that resolves and a long one that stays open go through the
// whole pipeline; every endpoint must then agree with the generator's truth and with what
// `detect` decides offline. Also: clear 400s, 401/403 by scope, the watch list round-trip
// (PUT, file, external edit), quote() through a real server, and the CLI against the API.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { ApiUnavailableError, getJson, registerQueryCommands, runAlerts, runTop, runWatchesValidate } from '../../cli/query.js';
import { UsageError } from '../../cli/detect.js';
import { freePort } from '../../deploy/local/process.js';
import { generate } from '../../sim/generator.js';
import { registerIngest } from '../../ingest/http.js';
import { postKey, type Post } from '../../schemas/post.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline, type Pipeline } from '../../app/pipeline.js';
import { detectPosts, DEFAULT_LATENESS_MS } from '../../processors/detect.js';
import type { AlertEvent, TrendEvent } from '../../schemas/events.js';
import { minuteOf } from '../../processors/stream-time.js';
import { WatchMatcher, type Watch } from '../../schemas/watches.js';
import { registerApi } from '../../serve/api.js';
import { WatchStore } from '../../serve/watch-store.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { closingPosts, countTruth } from '../truth.js';
import { quote } from '../../lib/clickhouse/sql.js';

const START = Date.parse('2026-11-20T09:00:00Z');
const M = 60_000;
const READ = 'read-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const HOSTILE: string[] = JSON.parse(readFileSync(new URL('../fixtures/hostile-strings.json', import.meta.url), 'utf8'));

const watches: Watch[] = EVAL_WATCHES;
const posts: Post[] = [...generate({
  // 100 minutes: a trend ends after an hour without velocity, so #acmeair (minutes 11-15) has ended by the end and the
  // others, an hour later, still trend, with the Deutsche Bahn firestorm open.
  seed: 77, start: START, minutes: 100, postsPerMinute: 150, rhythm: false, disorderMs: 10_000, watches,
  events: [
    { kind: 'firestorm', watch: 'acme-air', at: START + 11 * M, peakPerMinute: 120, rampMinutes: 1, durationMinutes: 4 },
    { kind: 'burst', tag: 'Glatteis', at: START + 74 * M, peakPerMinute: 150, rampMinutes: 2, durationMinutes: 40, lang: 'de' },
    { kind: 'campaign', tag: 'WahlBetrug', at: START + 76 * M, perMinute: 100, durationMinutes: 40, accounts: 20 },
    { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 78 * M, peakPerMinute: 150, rampMinutes: 3, durationMinutes: 40, tag: 'Bahnchaos' },
  ],
})];
const all = [...posts, ...closingPosts(Math.max(...posts.map((p) => p.created_at)))];
const expected = [...detectPosts(all, { latenessMs: DEFAULT_LATENESS_MS, watches })];
const truth = countTruth(all);
const lastTagMinute = Math.max(...[...truth.tagMinutes.keys()].map((k) => Number(k.split('|')[1])));
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const tagCount = (tag: string, from: number, to: number) => {
  let n = 0;
  for (let m = from; m < to; m += M) n += truth.tagMinutes.get(`${tag}|${m}`) ?? 0;
  return n;
};
const RANK = { started: 0, updated: 1, ended: 2, opened: 0, escalated: 1, resolved: 2 } as const;

/** The last trend event per hashtag, by the minute it decided. */
function lastTrendState(): Map<string, TrendEvent> {
  const last = new Map<string, TrendEvent>();
  for (const e of expected.filter((x): x is TrendEvent => x.type === 'trend')) {
    const cur = last.get(e.hashtag);
    if (!cur || e.window_end > cur.window_end || (e.window_end === cur.window_end && RANK[e.state] > RANK[cur.state])) last.set(e.hashtag, e);
  }
  return last;
}

describe('query API on a known scenario', () => {
  const name = uniqueName('api');
  const config = testConfig(name, 'server', { kafka: { postsPartitions: 3, countsPartitions: 2 } });
  const db = config.clickhouse.database;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'api-watches-'));
  const watchFile = path.join(dir, 'watches.json');
  let store: WatchStore;
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let base = '';
  const call = async (url: string, init: { method?: string; token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) => {
    const token = init.token === undefined ? READ : init.token;
    const res = await fetch(base + url, {
      method: init.method ?? 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const sql = async <T>(query: string) => (await (await pipeline.store!.query({ query, format: 'JSONEachRow' })).json<T>());

  beforeAll(async () => {
    store = new WatchStore({ file: watchFile, watches, pollMs: 200, log: testLogger() });
    pipeline = await startPipeline({ config, roles: ['ingest', 'process', 'sink'], log: testLogger(), metrics: new Metrics(), watches: () => store.get(), http: false });
    // As in a worker: ingest (whose JSON parser hands bodies over as bytes) and the API on one app.
    app = Fastify({ logger: false });
    registerIngest(app, pipeline.producer!, new Metrics(), config.ingest);
    registerApi(app, { store: pipeline.store!, database: db, watches: store, tokens: { read: [READ], admin: [ADMIN] }, log: testLogger() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (let i = 0; i < all.length; i += 2000) await pipeline.producer!.send(all.slice(i, i + 2000));
    const nTrends = expected.filter((e) => e.type === 'trend').length;
    const nAlerts = expected.filter((e) => e.type === 'alert').length;
    await waitFor(async () => (await sql<{ t: string; a: string; m: string; p: string }>(
      `SELECT (SELECT count() FROM ${db}.trends FINAL) AS t, (SELECT count() FROM ${db}.alerts FINAL) AS a,
              (SELECT count() FROM ${db}.hashtag_minute FINAL) AS m, (SELECT count() FROM (SELECT platform, id FROM ${db}.posts GROUP BY platform, id)) AS p`))[0]!,
    (r) => Number(r.t) >= nTrends && Number(r.a) >= nAlerts && Number(r.m) >= truth.tagMinutes.size && Number(r.p) >= truth.posts, 150_000, 1000);
  });

  afterAll(async () => {
    await app?.close();
    await pipeline?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists exactly the hashtags trending at the end, with their latest detection and window counts', async () => {
    const want = [...lastTrendState().values()].filter((e) => e.state !== 'ended');
    expect(want.map((e) => e.hashtag)).toEqual(expect.arrayContaining(['glatteis', 'wahlbetrug', 'bahnchaos']));
    expect(lastTrendState().get('acmeair')?.state).toBe('ended');
    const r = await call('/v1/trends?window=60m&limit=100');
    expect(r.status).toBe(200);
    expect(r.body.as_of).toBe(iso(lastTagMinute + M));
    expect(r.body.trends.map((t: { hashtag: string }) => t.hashtag).sort()).toEqual(want.map((e) => e.hashtag).sort());
    for (const e of want) {
      const t = r.body.trends.find((x: { hashtag: string }) => x.hashtag === e.hashtag);
      expect(t).toMatchObject({ state: e.state, velocity: e.velocity, score: e.score, inauthentic: e.inauthentic,
        detection: { window_start: e.window_start, window_end: e.window_end, posts: e.posts, authors: e.authors } });
      expect(t.started_at).toBe(expected.filter((x) => x.type === 'trend' && x.hashtag === e.hashtag && x.state === 'started').at(-1)!.detected_at);
      expect(t.window.posts).toBe(tagCount(e.hashtag, lastTagMinute - 59 * M, lastTagMinute + M));
      expect(t.spark.posts).toHaveLength(60);
      expect(t.spark.posts.reduce((a: number, b: number) => a + b, 0)).toBe(t.window.posts);
    }
    expect(r.body.trends.find((t: { hashtag: string }) => t.hashtag === 'wahlbetrug').inauthentic).toBe(true);
    expect(r.body.trends.find((t: { hashtag: string }) => t.hashtag === 'glatteis').inauthentic).toBe(false);
    // Most posts in the window first; a smaller window counts fewer posts and honours the limit.
    const counts = r.body.trends.map((t: { window: { posts: number } }) => t.window.posts);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const five = await call('/v1/trends?window=5m&limit=1');
    const last5 = (tag: string) => tagCount(tag, lastTagMinute - 4 * M, lastTagMinute + M);
    const top5 = want.map((e) => e.hashtag).sort((a, b) => last5(b) - last5(a))[0]!;
    expect(five.body.trends).toHaveLength(1);
    expect(five.body.trends[0]).toMatchObject({ hashtag: top5, window: { posts: last5(top5) } });
  });

  it('gives a hashtag series that equals the generator counts minute by minute', async () => {
    const to = lastTagMinute + 5 * M;
    for (const tag of ['glatteis', 'bahnchaos', 'wahlbetrug']) {
      const r = await call(`/v1/hashtags/${tag === 'glatteis' ? '%23Glatteis' : tag}/series?from=${iso(START)}&to=${encodeURIComponent(iso(to))}`);
      expect(r.status).toBe(200);
      expect(r.body.hashtag).toBe(tag);
      expect(r.body.points[0].minute).toBe(iso(START));
      for (const p of r.body.points) expect(p.posts).toBe(truth.tagMinutes.get(`${tag}|${Date.parse(p.minute)}`) ?? 0);
      expect(r.body.total_posts).toBe(tagCount(tag, START, to));
      expect(r.body.total_posts).toBeGreaterThan(500);
      const started = expected.find((e) => e.type === 'trend' && e.hashtag === tag && e.state === 'started')!;
      expect(r.body.events[0]).toMatchObject({ id: started.id, state: 'started', detected_at: started.detected_at });
    }
    // Default range: the hour up to the tag's newest decided minute.
    const d = await call('/v1/hashtags/glatteis/series');
    expect(d.body.points).toHaveLength(60);
    expect(d.body.points.at(-1).minute).toBe(iso(lastTagMinute));
  });

  it('gives a watch series equal to the posts matching the watch, with its alert events', async () => {
    const matcher = new WatchMatcher(watches);
    const perMinute = new Map<number, number>();
    const seen = new Set<string>();
    for (const p of all) {
      if (seen.has(postKey(p))) continue;
      seen.add(postKey(p));
      if (matcher.match(p).watches.includes('deutsche-bahn')) perMinute.set(minuteOf(p.created_at), (perMinute.get(minuteOf(p.created_at)) ?? 0) + 1);
    }
    const r = await call(`/v1/watches/deutsche-bahn/series?from=${iso(START)}&to=${iso(lastTagMinute + M)}`);
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('Deutsche Bahn');
    for (const p of r.body.points) expect(p.posts).toBe(perMinute.get(Date.parse(p.minute)) ?? 0);
    expect(r.body.points.some((p: { pressure: number }) => p.pressure > 0)).toBe(true);
    expect(r.body.events.map((e: { id: string }) => e.id)).toEqual(expected.filter((e) => e.type === 'alert' && e.watch === 'deutsche-bahn').map((e) => e.id));
    expect((await call('/v1/watches/no-such-watch/series')).status).toBe(404);
  });

  it('explains a trend: sample posts, co-occurring tags, languages and the authors behind it', async () => {
    const r = await call('/v1/trends/Glatteis?window=15m&samples=5');
    expect(r.status).toBe(200);
    const to = Date.parse(r.body.to);
    const from = Date.parse(r.body.from);
    expect(to - from).toBe(15 * M);
    const inRange = new Map<string, Post>();
    for (const p of all) if (p.hashtags.includes('glatteis') && p.created_at >= from && p.created_at < to) inRange.set(postKey(p), p);
    expect(r.body.posts).toBe(inRange.size);
    expect(r.body.authors).toBe(new Set([...inRange.values()].map((p) => p.author.id)).size);
    expect(r.body.languages.reduce((n: number, l: { posts: number }) => n + l.posts, 0)).toBe(inRange.size);
    expect(r.body.languages[0].lang).toBe('de');
    expect(r.body.co_hashtags.map((c: { hashtag: string }) => c.hashtag)).not.toContain('glatteis');
    for (const c of r.body.co_hashtags) expect(c.posts).toBe([...inRange.values()].filter((p) => p.hashtags.includes(c.hashtag)).length);
    expect(r.body.authors_top.length).toBeGreaterThan(0);
    expect(r.body.samples).toHaveLength(5);
    for (const s of r.body.samples) expect(inRange.get(`${s.platform}:${s.id}`)?.text).toBe(s.text);
    expect(r.body.trend).toMatchObject({ trending: true, inauthentic: false });
    // The bot campaign shows its few accounts behind many posts.
    const bots = await call('/v1/trends/wahlbetrug');
    expect(bots.body.trend.inauthentic).toBe(true);
    expect(bots.body.authors_top[0].posts).toBeGreaterThan(10);
    expect((await call('/v1/trends/nosuchtagever')).status).toBe(404);
  });

  it('shows the open firestorm as one episode with parsed reasons and samples, and the resolved one in history', async () => {
    const db_ = expected.filter((e): e is AlertEvent => e.type === 'alert' && e.watch === 'deutsche-bahn');
    expect(db_.map((e) => e.state)).not.toContain('resolved');
    const open = await call('/v1/alerts?state=open');
    expect(open.status).toBe(200);
    expect(open.body.alerts).toHaveLength(1);
    const a = open.body.alerts[0];
    const last = db_.at(-1)!;
    expect(a).toMatchObject({
      id: db_[0]!.id, watch: 'deutsche-bahn', watch_name: 'Deutsche Bahn', state: 'open', severity: last.severity,
      max_severity: Math.max(...db_.map((e) => e.severity)), opened_at: db_[0]!.detected_at, updated_at: last.detected_at,
      resolved_at: null, posts: last.posts, negative_share: last.negative_share, inauthentic: last.inauthentic, summary: last.summary,
      reasons: last.reasons, acknowledged: null, feedback: [],
    });
    expect(a.reasons.map((x: { code: string }) => x.code)).toEqual(expect.arrayContaining(['volume', 'negative_share']));
    expect(a.events.map((e: { id: string }) => e.id)).toEqual(db_.map((e) => e.id));
    expect(a.samples.map((s: { id: string }) => s.id)).toEqual(last.samples.map((s) => s.id));
    for (const s of a.samples) expect(s.text).toBe(all.find((p) => p.id === s.id && p.platform === s.platform)!.text);

    const hist = await call('/v1/alerts?state=all&limit=10');
    expect(hist.body.alerts.map((x: { watch: string; state: string }) => `${x.watch}:${x.state}`)).toEqual(['deutsche-bahn:open', 'acme-air:resolved']);
    const acme = expected.filter((e): e is AlertEvent => e.type === 'alert' && e.watch === 'acme-air');
    expect(hist.body.alerts[1]).toMatchObject({ id: acme[0]!.id, state: 'resolved', resolved_at: acme.at(-1)!.detected_at, severity: acme.at(-2)!.severity });
    expect((await call('/v1/alerts?state=all&limit=1')).body.alerts).toHaveLength(1);
  });

  it('stores acknowledgements and feedback in alert_feedback and shows them on the episode', async () => {
    const id = (await call('/v1/alerts')).body.alerts[0].id as string;
    const ack = await call(`/v1/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', token: ADMIN, body: { note: 'Pressestelle informiert' } });
    expect(ack.status).toBe(200);
    const fb = await call(`/v1/alerts/${encodeURIComponent(id)}/feedback`, { method: 'POST', token: ADMIN, body: { verdict: 'useful', note: "it's real: 'quotes' \\ and all" } });
    expect(fb.status).toBe(200);
    expect(fb.body).toMatchObject({ alert_id: id, watch: 'deutsche-bahn', kind: 'feedback', verdict: 'useful' });
    const rows = await sql<{ kind: string; verdict: string; note: string; watch: string }>(`SELECT kind, verdict, note, watch FROM ${db}.alert_feedback WHERE alert_id = ${quote(id)} ORDER BY kind`);
    expect(rows).toEqual([{ kind: 'ack', verdict: '', note: 'Pressestelle informiert', watch: 'deutsche-bahn' },
      { kind: 'feedback', verdict: 'useful', note: "it's real: 'quotes' \\ and all", watch: 'deutsche-bahn' }]);
    const a = (await call('/v1/alerts')).body.alerts[0];
    expect(a.acknowledged).toMatchObject({ note: 'Pressestelle informiert' });
    expect(a.feedback).toEqual([expect.objectContaining({ verdict: 'useful' })]);
    // Any event id of the episode is accepted; unknown ids are 404.
    const other = expected.find((e) => e.type === 'alert' && e.state === 'resolved')!.id;
    expect((await call(`/v1/alerts/${encodeURIComponent(other)}/feedback`, { method: 'POST', token: ADMIN, body: { verdict: 'false_alarm' } })).status).toBe(200);
    expect((await call('/v1/alerts?state=all')).body.alerts[1].feedback[0].verdict).toBe('false_alarm');
    expect((await call('/v1/alerts/alert:telekom:2026-11-20T09:30:00Z:opened/ack', { method: 'POST', token: ADMIN })).status).toBe(404);
  });

  it('answers bad parameters with a clear 400 naming the field', async () => {
    const bad: [string, RegExp, { method?: string; body?: unknown }?][] = [
      ['/v1/trends?window=2h', /window must be one of 5m, 15m, 60m/],
      ['/v1/trends?limit=0', /limit must be an integer from 1 to 100/],
      ['/v1/trends?limit=abc', /limit must be an integer/],
      ['/v1/trends?limit=1000000000000', /limit must be an integer/],
      ['/v1/trends?limit=1&limit=2', /query.limit/],
      ['/v1/trends?colour=red', /query.colour: unknown field/],
      ['/v1/alerts?state=closed', /state must be open or all/],
      ['/v1/trends/%27%20OR%201%3D1%20--', /tag must be a hashtag/],
      ['/v1/hashtags/%23/series', /tag must be a hashtag/],
      ['/v1/hashtags/glatteis/series?from=yesterday', /from must be an ISO 8601 time/],
      ['/v1/hashtags/glatteis/series?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z', /from must be before to/],
      ['/v1/hashtags/glatteis/series?from=2026-11-01T00:00:00Z&to=2026-11-20T00:00:00Z', /at most 7 days/],
      ['/v1/watches/Not%20A%20Slug/series', /lowercase slug/],
      ['/v1/trends/glatteis?samples=51', /samples must be an integer from 1 to 50/],
      ['/v1/alerts/not-an-alert/ack', /id must be an alert id/, { method: 'POST' }],
      [`/v1/alerts/${encodeURIComponent(expected.find((e) => e.type === 'alert')!.id)}/feedback`, /verdict must be useful or false_alarm/, { method: 'POST', body: { verdict: 'meh' } }],
      [`/v1/alerts/${encodeURIComponent(expected.find((e) => e.type === 'alert')!.id)}/feedback`, /body.mood: unknown field/, { method: 'POST', body: { verdict: 'useful', mood: 'x' } }],
      [`/v1/alerts/${encodeURIComponent(expected.find((e) => e.type === 'alert')!.id)}/feedback`, /not valid JSON|JSON/, { method: 'POST', body: '{"verdict":' }],
    ];
    for (const [url, message, init] of bad) {
      const r = await call(url, { token: init?.method ? ADMIN : READ, ...init });
      expect({ url, status: r.status, error: r.body.error }).toEqual({ url, status: 400, error: 'bad_request' });
      expect(r.body.message).toMatch(message);
    }
  });

  it('requires a token: 401 without or with a wrong one, 403 for a read token on admin routes', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef', '']) {
      const r = await call('/v1/trends', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
      expect(r.body.error).toBe('unauthorized');
    }
    expect((await call('/v1/trends', { token: null, headers: { authorization: `Basic ${Buffer.from(`x:${READ}`).toString('base64')}` } })).status).toBe(401);
    expect((await call('/v1/trends', { token: ADMIN })).status).toBe(200);
    expect((await call('/v1/watches', { method: 'PUT', token: READ, body: watches })).status).toBe(403);
    expect((await call('/v1/watches', { method: 'PUT', token: null, body: watches })).status).toBe(401);
    const id = encodeURIComponent(expected.find((e) => e.type === 'alert')!.id);
    const forbidden = await call(`/v1/alerts/${id}/ack`, { method: 'POST', token: READ });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('forbidden');
    // Without any token configured nothing is open; with --insecure-no-auth (dev mode) everything is, admin routes too.
    const closed = Fastify({ logger: false });
    registerApi(closed, { store: pipeline.store!, database: db, watches: new WatchStore({ watches }), tokens: { read: [], admin: [] } });
    expect((await closed.inject({ url: '/v1/alerts' })).statusCode).toBe(401);
    await closed.close();
    const dev = Fastify({ logger: false });
    const devWatches = new WatchStore({ watches });
    registerApi(dev, { store: pipeline.store!, database: db, watches: devWatches, tokens: { read: [], admin: [], open: true } });
    expect((await dev.inject({ url: '/v1/alerts' })).statusCode).toBe(200);
    expect((await dev.inject({ method: 'PUT', url: '/v1/watches', payload: watches.slice(0, 1) })).json().watches).toHaveLength(1);
    await dev.close();
    // The OpenAPI document is public and describes every route.
    const doc = await call('/v1/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths).sort()).toEqual(['/v1/alerts', '/v1/alerts/{id}/ack', '/v1/alerts/{id}/feedback', '/v1/hashtags/{tag}/series',
      '/v1/openapi.json', '/v1/trends', '/v1/trends/{tag}', '/v1/watches', '/v1/watches/{id}/series']);
    expect(doc.body.components.schemas.Watch.properties.id.pattern).toBeDefined();
  });

  it('round-trips the watch list through PUT, the file and an external edit', async () => {
    const next = [...watches.slice(0, 2), { id: 'acme-rail', name: 'Acme Rail', keywords: ['acme rail'] }];
    const put = await call('/v1/watches', { method: 'PUT', token: ADMIN, body: next });
    expect(put.status).toBe(200);
    expect(put.body.watches[2]).toEqual({ id: 'acme-rail', name: 'Acme Rail', handles: [], keywords: ['acme rail'], hashtags: [], min_severity: 3, sensitivity: 1, channels: [] });
    expect((await call('/v1/watches')).body.watches).toEqual(put.body.watches);
    expect(JSON.parse(readFileSync(watchFile, 'utf8'))).toEqual(put.body.watches);
    expect(store.get()).toEqual(put.body.watches);
    const same = store.get();
    expect(store.get()).toBe(same);

    const invalid = await call('/v1/watches', { method: 'PUT', token: ADMIN, body: [{ id: 'Bad Id', name: '' }, next[2], next[2]] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe('invalid_watches');
    expect(invalid.body.issues.map((i: { path: string }) => i.path)).toEqual(['0.id', '0.name', '2.id']);
    expect(invalid.body.issues[2].message).toMatch(/duplicate watch id "acme-rail"/);
    expect(store.get()).toBe(same);
    expect((await call('/v1/watches', { method: 'PUT', token: ADMIN, body: { watches: next } })).status).toBe(200);

    writeFileSync(watchFile, JSON.stringify([{ id: 'edited', name: 'Edited by hand' }]));
    const edited = await waitFor(() => call('/v1/watches'), (r) => r.body.watches[0]?.id === 'edited', 10_000, 100);
    expect(edited.body.watches).toHaveLength(1);
    writeFileSync(watchFile, JSON.stringify([{ id: 'BROKEN' }]));
    const broken = await waitFor(() => call('/v1/watches'), (r) => r.body.file_error !== null, 10_000, 100);
    expect(broken.body.watches[0].id).toBe('edited');
    expect(broken.body.file_error).toMatch(/\[0\.id\]/);
    expect((await call('/v1/watches', { method: 'PUT', token: ADMIN, body: watches })).body.watches).toEqual(watches);
  });

  it('escapes hostile strings with quote() so that a real server returns them unchanged', async () => {
    const probe = `${db}.quote_probe`;
    await pipeline.store!.command({ query: `CREATE TABLE ${probe} (i UInt32, v String) ENGINE = Memory` });
    // Strings travel as UTF-8: a lone surrogate arrives as U+FFFD (and JSON input rejects it).
    const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
    await pipeline.store!.insert({ table: probe, values: HOSTILE.map((v, i) => ({ i, v: wellFormed(v) })), format: 'JSONEachRow' });
    const echoed = await sql<{ i: number; v: string; n: string }>(HOSTILE.map((s, i) => `SELECT ${i} AS i, ${quote(s)} AS v, length(${quote(s)}) AS n`).join(' UNION ALL '));
    expect(echoed.sort((a, b) => a.i - b.i).map((r) => r.v)).toEqual(HOSTILE.map(wellFormed));
    for (const r of echoed) expect(Number(r.n)).toBe(Buffer.byteLength(HOSTILE[r.i]!, 'utf8'));
    for (const s of HOSTILE) {
      const hit = await sql<{ i: number }>(`SELECT i FROM ${probe} WHERE v = ${quote(s)} ORDER BY i`);
      expect({ s, hit: hit.map((h) => h.i) }).toEqual({ s, hit: HOSTILE.flatMap((x, j) => (wellFormed(x) === wellFormed(s) ? [j] : [])) });
    }
  });

  it('serves the CLI: top and alerts print tables, bad tokens exit 1, an unreachable API exits 2', async () => {
    let out = '';
    const sink = { write: (s: string) => { out += s; } };
    const top = await runTop({ url: base, token: READ, window: '60m', limit: 10 }, sink);
    expect(top.trends.length).toBeGreaterThan(0);
    expect(out).toMatch(/#glatteis\s+\d+/);
    expect(out).toMatch(/#wahlbetrug .*inauthentic/);
    out = '';
    await runAlerts({ url: base, token: READ, limit: 10 }, sink);
    expect(out).toMatch(/Open alerts \(1\):\n {2}Deutsche Bahn \(deutsche-bahn\) · severity \d/);
    expect(out).toMatch(/Recently resolved \(1\):\n {2}Acme Air/);
    await expect(getJson({ url: base, token: 'wrong-token-0123456789abcdef' }, '/v1/trends')).rejects.toBeInstanceOf(UsageError);
    await expect(getJson({ url: base }, '/v1/trends?window=9m')).rejects.toBeInstanceOf(UsageError);
    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(getJson({ url: closed }, '/v1/trends')).rejects.toThrow(ApiUnavailableError);
    await expect(getJson({ url: closed }, '/v1/trends')).rejects.toThrow(/cannot reach the trendstream API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);

    const file = path.join(dir, 'check.json');
    writeFileSync(file, JSON.stringify(watches));
    let err = '';
    const errSink = { write: (s: string) => { err += s; } };
    expect(runWatchesValidate(file, sink, errSink)).toBe(0);
    writeFileSync(file, JSON.stringify([{ id: 'x', name: 'X', handels: [] }, { id: 'Y' }]));
    expect(runWatchesValidate(file, sink, errSink)).toBe(1);
    expect(err).toMatch(/\[0\.handels\] unknown field/);
    expect(err).toMatch(/\[1\.id\] must be a lowercase slug/);
    expect(err).toMatch(/\[1\.name\]/);
    expect(runWatchesValidate(path.join(dir, 'missing.json'), sink, errSink)).toBe(1);

    const program = new Command('trendstream').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    registerQueryCommands(program);
    await expect(program.parseAsync(['top', '--window', '2h'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    await expect(program.parseAsync(['alerts', '--limit', '0'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    await expect(program.parseAsync(['top', '--url', 'not a url'], { from: 'user' })).rejects.toBeInstanceOf(UsageError);
    await expect(program.parseAsync(['alerts', '--url', 'localhost:8080'], { from: 'user' })).rejects.toBeInstanceOf(UsageError);
  });
});
