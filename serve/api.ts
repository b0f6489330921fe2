// The query API (issue 7) over ClickHouse: current trends and their context, alerts as
// episodes with acknowledgements and feedback, minute series, and the watch list. Serves the
// dashboard, the `top`/`alerts` CLI and data teams' scripts; the OpenAPI document is at
// /v1/openapi.json. Values enter SQL only through quote() and validated integers (ClickHouse
// 18.16 has no server-side parameters), identifiers only through ident().
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../lib/log.js';
import { isoSeconds, type Reason } from '../schemas/events.js';
import { normaliseHashtag } from '../schemas/normalise.js';
import { WatchListSchema, WatchSchema } from '../schemas/watches.js';
import type { Store } from '../lib/clickhouse/client.js';
import { fieldErrors, WatchListError, type FieldError, type WatchStore } from './watch-store.js';
import { ident, quote, chTime } from '../lib/clickhouse/sql.js';

/** Settings of the query API: the `api` section of the config schema (app/config.ts maps env vars onto it). */
export const ApiConfigSchema = z.object({
  readTokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([])
    .describe('Bearer tokens that may read the query API and dashboard data (env TRENDSTREAM_API_READ_TOKENS, comma-separated); with no read and no admin tokens everything is open (dev mode)'),
  adminTokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([])
    .describe('Bearer tokens that may also change watches and acknowledge alerts or give feedback (env TRENDSTREAM_API_ADMIN_TOKENS, comma-separated)'),
  watchesFile: z.string().min(1).optional()
    .describe('JSON file holding the watch list, re-read when edited and rewritten by PUT /v1/watches (env TRENDSTREAM_WATCHES_FILE)'),
}).strict();
export type ApiConfig = z.output<typeof ApiConfigSchema>;

export interface ApiOptions {
  store: Store;
  database: string;
  watches: WatchStore;
  tokens: { read: string[]; admin: string[] };
  log?: Logger;
}

// ---------------------------------------------------------------------------------------
// Errors and validation

/** An answer other than 200, with a stable `error` code and a message saying what to fix. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly issues?: FieldError[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'query' | 'path' | 'body'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issues = fieldErrors(r.error).map((i) => ({ path: i.path ? `${where}.${i.path}` : where, message: i.message }));
  throw new ApiError(400, 'bad_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

const intParam = (name: string, min: number, max: number, dflt: number) => z.string()
  .regex(/^\d{1,9}$/, `${name} must be an integer from ${min} to ${max}`)
  .transform(Number)
  .pipe(z.number().int().min(min, `${name} must be an integer from ${min} to ${max}`).max(max, `${name} must be an integer from ${min} to ${max}`))
  .optional().transform((v) => v ?? dflt);

const WINDOWS = { '5m': 5, '15m': 15, '60m': 60 } as const;
const windowParam = (dflt: keyof typeof WINDOWS) => z.enum(['5m', '15m', '60m'], { error: 'window must be one of 5m, 15m, 60m' }).default(dflt);

const isoTime = (name: string) => z.string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/, `${name} must be an ISO 8601 time with offset, like 2026-11-27T10:00:00Z`)
  .transform((s, ctx) => {
    const ms = Date.parse(s);
    if (!Number.isFinite(ms)) { ctx.addIssue({ code: 'custom', message: `${name} is not a valid time` }); return z.NEVER; }
    return ms;
  });

const TagParam = z.object({
  tag: z.string().min(1).max(200, 'tag must be at most 200 characters').transform((t, ctx) => {
    const n = normaliseHashtag(t);
    if (!n) { ctx.addIssue({ code: 'custom', message: 'tag must be a hashtag: letters, digits and _ with at least one letter, like Bahnchaos' }); return z.NEVER; }
    return n;
  }),
}).strict();
const WatchParam = z.object({ id: WatchSchema.shape.id }).strict();
const ALERT_ID = /^alert:([a-z0-9][a-z0-9_-]{0,63}):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ):(opened|escalated|resolved)$/;
const AlertParam = z.object({ id: z.string().max(200).regex(ALERT_ID, 'id must be an alert id like alert:deutsche-bahn:2026-11-27T10:24:00Z:opened') }).strict();

export const TrendsQuery = z.object({ window: windowParam('15m'), limit: intParam('limit', 1, 100, 20) }).strict();
export const TrendQuery = z.object({ window: windowParam('60m'), samples: intParam('samples', 1, 50, 10) }).strict();
export const AlertsQuery = z.object({
  state: z.enum(['open', 'all'], { error: 'state must be open or all' }).default('open'),
  limit: intParam('limit', 1, 200, 20),
}).strict();
const MAX_RANGE_MINUTES = 7 * 24 * 60;
export const SeriesQuery = z.object({ from: isoTime('from').optional(), to: isoTime('to').optional() }).strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.from === undefined || q.to === undefined || q.to - q.from <= MAX_RANGE_MINUTES * 60_000, { message: 'from..to may span at most 7 days', path: ['to'] });
export const FeedbackBody = z.object({
  verdict: z.enum(['useful', 'false_alarm'], { error: 'verdict must be useful or false_alarm' }),
  note: z.string().max(2000, 'note must be at most 2000 characters').optional(),
}).strict();
export const AckBody = z.object({ note: z.string().max(2000, 'note must be at most 2000 characters').optional() }).strict();

// ---------------------------------------------------------------------------------------
// Auth

type Scope = 'public' | 'read' | 'admin';
declare module 'fastify' {
  interface FastifyContextConfig { scope?: Scope }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The scope a bearer token grants: 'admin', 'read', or null when missing or wrong. Compares
 * fixed-length digests in constant time against every configured token, whichever matches.
 */
export function tokenScope(header: string | undefined, read: readonly Buffer[], admin: readonly Buffer[]): 'admin' | 'read' | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const presented = digest(m?.[1] ?? '');
  let isAdmin = false;
  let isRead = false;
  for (const t of admin) isAdmin = timingSafeEqual(presented, t) || isAdmin;
  for (const t of read) isRead = timingSafeEqual(presented, t) || isRead;
  if (!m) return null;
  return isAdmin ? 'admin' : isRead ? 'read' : null;
}

// ---------------------------------------------------------------------------------------
// Rows

interface TrendStateRow {
  hashtag: string; last_state: string; last_posts: string; last_authors: string; last_velocity: number; last_score: number;
  last_inauthentic: number; ws_ts: number; we_ts: number; started_ts: number; updated_ts: number;
}
interface AlertRow {
  id: string; state: string; watch: string; severity: number; detected_ts: number; posts: string;
  negative_share: number; inauthentic: number; reasons: string; summary: string; samples: string;
}
interface FeedbackRow { alert_id: string; kind: string; verdict: string; note: string; actor: string; created_ts: number }

const iso = (seconds: number): string => isoSeconds(seconds * 1000);
const num = (v: string | number): number => Number(v);
const MIN = 60;
const TREND_RANK = `multiIf(state = 'started', 0, state = 'updated', 1, 2)`;
const ALERT_RANK: Record<string, number> = { opened: 0, escalated: 1, resolved: 2 };

function parseJson<T>(s: string, fallback: T): T {
  try { return JSON.parse(s) as T; } catch { return fallback; }
}

/** The minute an alert event decided (from its deterministic id), else its detection time. */
function alertMinute(r: AlertRow): number {
  const m = ALERT_ID.exec(r.id);
  return m ? Date.parse(m[2]!) / 1000 : r.detected_ts;
}

export interface AlertEpisode {
  id: string;
  watch: string;
  watch_name: string | null;
  state: 'open' | 'resolved';
  severity: number;
  max_severity: number;
  opened_at: string;
  updated_at: string;
  resolved_at: string | null;
  posts: number;
  negative_share: number;
  inauthentic: boolean;
  summary: string;
  reasons: Reason[];
  samples: { platform: string; id: string; text?: string; author_handle?: string; lang?: string; created_at?: string }[];
  events: { id: string; state: string; severity: number; detected_at: string; summary: string }[];
  acknowledged: { at: string; actor: string; note: string } | null;
  feedback: { verdict: string; note: string; at: string; actor: string }[];
}

/** Groups alert events into episodes (opened → escalated… → resolved) per watch, oldest first. */
export function episodes(rows: readonly AlertRow[]): { episode: Omit<AlertEpisode, 'watch_name' | 'acknowledged' | 'feedback'>; ids: string[] }[] {
  const sorted = [...rows].sort((a, b) => (a.watch < b.watch ? -1 : a.watch > b.watch ? 1 : 0)
    || alertMinute(a) - alertMinute(b) || (ALERT_RANK[a.state] ?? 9) - (ALERT_RANK[b.state] ?? 9) || (a.id < b.id ? -1 : 1));
  const out: { episode: Omit<AlertEpisode, 'watch_name' | 'acknowledged' | 'feedback'>; ids: string[] }[] = [];
  let cur: (typeof out)[number] | null = null;
  for (const r of sorted) {
    if (!cur || cur.episode.watch !== r.watch || r.state === 'opened' || cur.episode.state === 'resolved') {
      cur = {
        episode: {
          id: r.id, watch: r.watch, state: 'open', severity: r.severity, max_severity: r.severity,
          opened_at: iso(r.detected_ts), updated_at: iso(r.detected_ts), resolved_at: null,
          posts: 0, negative_share: 0, inauthentic: false, summary: '', reasons: [], samples: [], events: [],
        },
        ids: [],
      };
      out.push(cur);
    }
    const e = cur.episode;
    cur.ids.push(r.id);
    e.events.push({ id: r.id, state: r.state, severity: r.severity, detected_at: iso(r.detected_ts), summary: r.summary });
    e.updated_at = iso(r.detected_ts);
    e.max_severity = Math.max(e.max_severity, r.severity);
    e.inauthentic = e.inauthentic || r.inauthentic === 1;
    if (r.state === 'resolved') {
      e.state = 'resolved';
      e.resolved_at = iso(r.detected_ts);
      continue; // the resolving event describes the calm, not the storm: keep the last open picture
    }
    e.severity = r.severity;
    e.posts = num(r.posts);
    e.negative_share = r.negative_share;
    e.summary = r.summary;
    e.reasons = parseJson<Reason[]>(r.reasons, []);
    e.samples = parseJson<{ platform: string; id: string }[]>(r.samples, []).map((s) => ({ platform: String(s.platform), id: String(s.id) }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Routes

/**
 * Registers /v1/* on `app` as an encapsulated plugin (its own auth hook and error handler;
 * the ingest and ops routes are untouched). Call before `app.listen`/`ready`. Reads the
 * store on every request; `watches` is the live list the pipeline reads too.
 */
export function registerApi(app: FastifyInstance, o: ApiOptions): void {
  const db = ident(o.database);
  const t = (table: string) => `${db}.${ident(table)}`;
  const read = o.tokens.read.map(digest);
  const admin = o.tokens.admin.map(digest);
  const open = read.length === 0 && admin.length === 0;

  const rows = async <T>(query: string): Promise<T[]> => {
    try {
      return await (await o.store.query({ query, format: 'JSONEachRow' })).json<T>();
    } catch (e) {
      throw new ApiError(503, 'store_unavailable', `ClickHouse query failed: ${String((e as Error).message).split('\n')[0]!.slice(0, 300)}`, undefined, { cause: e });
    }
  };
  const one = async <T>(query: string): Promise<T | undefined> => (await rows<T>(query))[0];
  /** Start of the newest decided minute in a minute table (epoch seconds), 0 when empty. */
  const newestMinute = async (table: 'hashtag_minute' | 'watch_minute', where = '1'): Promise<number> =>
    num((await one<{ m: number }>(`SELECT toUnixTimestamp(max(minute)) AS m FROM ${t(table)} WHERE ${where}`))?.m ?? 0);
  const actorOf = (req: FastifyRequest): string => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return m ? `token:${digest(m[1]!).toString('hex').slice(0, 8)}` : 'open';
  };
  /** A JSON request body, whether a parser already ran (object) or the ingest parser handed over bytes. */
  const jsonBody = (req: FastifyRequest): unknown => {
    const b = req.body;
    if (b === undefined || b === null) return undefined;
    if (Buffer.isBuffer(b) || typeof b === 'string') {
      const s = b.toString();
      if (!s.trim()) return undefined;
      try { return JSON.parse(s); } catch (e) { throw new ApiError(400, 'bad_request', `body is not valid JSON: ${(e as Error).message}`); }
    }
    return b;
  };

  app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      const scope = req.routeOptions.config.scope ?? 'read';
      reply.header('cache-control', 'no-store');
      if (scope === 'public' || open) return;
      const granted = tokenScope(req.headers.authorization, read, admin);
      if (!granted) {
        reply.code(401).header('www-authenticate', 'Bearer');
        return reply.send({ error: 'unauthorized', message: 'missing or wrong bearer token: send Authorization: Bearer <token>' });
      }
      if (scope === 'admin' && granted !== 'admin') {
        reply.code(403);
        return reply.send({ error: 'forbidden', message: 'this token may only read; changing watches and alerts needs an admin token' });
      }
    });

    api.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply: FastifyReply) => {
      if (err instanceof ApiError) {
        if (err.status >= 500) o.log?.warn({ err, url: req.url }, 'query API request failed');
        return reply.code(err.status).send({ error: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) });
      }
      if (err instanceof WatchListError) return reply.code(400).send({ error: err.code, message: err.message, issues: err.errors });
      const status = err.statusCode ?? 500;
      if (status >= 500) {
        o.log?.error({ err, url: req.url }, 'query API request failed');
        return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
      }
      return reply.code(status).send({ error: status === 413 ? 'too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request', message: err.message });
    });

    api.get('/v1/openapi.json', { config: { scope: 'public' } }, async () => openApiDocument());

    // --- trends -----------------------------------------------------------------------
    api.get('/v1/trends', async (req) => {
      const q = parse(TrendsQuery, req.query, 'query');
      const T = await newestMinute('hashtag_minute');
      if (T === 0) return { window: q.window, as_of: null, trends: [] };
      const w = WINDOWS[q.window];
      const arg = (col: string) => `argMax(${col}, (window_end, ${TREND_RANK}))`;
      const current = await rows<TrendStateRow>(`
        SELECT hashtag, last_state, last_posts, last_authors, last_velocity, last_score, last_inauthentic, ws_ts, we_ts, started_ts, updated_ts
        FROM (
          SELECT hashtag, ${arg('state')} AS last_state, ${arg('posts')} AS last_posts, ${arg('authors')} AS last_authors,
                 ${arg('velocity')} AS last_velocity, ${arg('score')} AS last_score, ${arg('inauthentic')} AS last_inauthentic,
                 toUnixTimestamp(${arg('window_start')}) AS ws_ts, toUnixTimestamp(max(window_end)) AS we_ts,
                 toUnixTimestamp(maxIf(detected_at, state = 'started')) AS started_ts, toUnixTimestamp(max(detected_at)) AS updated_ts
          FROM ${t('trends')} FINAL GROUP BY hashtag
        ) WHERE last_state != 'ended' ORDER BY last_score DESC, hashtag LIMIT 1000`);
      if (current.length === 0) return { window: q.window, as_of: iso(T + MIN), trends: [] };
      const tags = current.map((r) => quote(r.hashtag)).join(', ');
      const sparkFrom = T - 59 * MIN;
      const [minutes, velocities] = await Promise.all([
        rows<{ hashtag: string; m: number; posts: string; authors: string }>(`
          SELECT hashtag, toUnixTimestamp(minute) AS m, posts, authors FROM ${t('hashtag_minute')} FINAL
          WHERE hashtag IN (${tags}) AND minute >= toDateTime(${sparkFrom}) AND minute <= toDateTime(${T})`),
        rows<{ hashtag: string; we: number; velocity: number }>(`
          SELECT hashtag, toUnixTimestamp(window_end) AS we, velocity FROM ${t('trends')} FINAL
          WHERE hashtag IN (${tags}) AND window_end > toDateTime(${sparkFrom}) AND window_end <= toDateTime(${T + MIN})`),
      ]);
      const spark = new Map(current.map((r) => [r.hashtag, { posts: new Array<number>(60).fill(0), velocity: new Array<number | null>(60).fill(null), peakAuthors: 0, windowPosts: 0 }]));
      for (const r of minutes) {
        const s = spark.get(r.hashtag);
        const i = (r.m - sparkFrom) / MIN;
        if (!s || i < 0 || i >= 60) continue;
        s.posts[i] = num(r.posts);
        if (r.m > T - w * MIN) { s.windowPosts += num(r.posts); s.peakAuthors = Math.max(s.peakAuthors, num(r.authors)); }
      }
      for (const r of velocities) {
        const s = spark.get(r.hashtag);
        const i = (r.we - MIN - sparkFrom) / MIN;
        if (s && i >= 0 && i < 60) s.velocity[i] = r.velocity;
      }
      const trends = current.map((r) => {
        const s = spark.get(r.hashtag)!;
        return {
          hashtag: r.hashtag, state: r.last_state,
          started_at: r.started_ts > 0 ? iso(r.started_ts) : null, updated_at: iso(r.updated_ts),
          inauthentic: r.last_inauthentic === 1, velocity: r.last_velocity, score: r.last_score,
          detection: { window_start: iso(r.ws_ts), window_end: iso(r.we_ts), posts: num(r.last_posts), authors: num(r.last_authors) },
          window: { posts: s.windowPosts, peak_authors_per_minute: s.peakAuthors },
          spark: { from: iso(sparkFrom), step_seconds: MIN, posts: s.posts, velocity: s.velocity },
        };
      }).sort((a, b) => b.window.posts - a.window.posts || b.score - a.score || (a.hashtag < b.hashtag ? -1 : 1)).slice(0, q.limit);
      return { window: q.window, as_of: iso(T + MIN), trends };
    });

    api.get('/v1/trends/:tag', async (req) => {
      const { tag } = parse(TagParam, req.params, 'path');
      const q = parse(TrendQuery, req.query, 'query');
      const tq = quote(tag);
      // The window ends with the tag's newest decided minute: hashtag_minute is ordered by (hashtag, minute), posts by time.
      const [newest, events] = await Promise.all([
        newestMinute('hashtag_minute', `hashtag = ${tq}`),
        rows<{ id: string; state: string; detected_ts: number; ws_ts: number; we_ts: number; posts: string; authors: string; velocity: number; score: number; inauthentic: number }>(`
          SELECT id, state, toUnixTimestamp(detected_at) AS detected_ts, toUnixTimestamp(window_start) AS ws_ts, toUnixTimestamp(window_end) AS we_ts,
                 posts, authors, velocity, score, inauthentic
          FROM ${t('trends')} FINAL WHERE hashtag = ${tq} ORDER BY window_end DESC, ${TREND_RANK} DESC LIMIT 200`),
      ]);
      if (newest === 0 && events.length === 0) throw new ApiError(404, 'not_found', `no posts or trend events for #${tag}`);
      const to = (newest || events[0]!.we_ts - MIN) + MIN;
      const from = to - WINDOWS[q.window] * MIN;
      const where = `has(hashtags, ${tq}) AND created_at >= toDateTime(${from}) AND created_at < toDateTime(${to})`;
      const young = `(author_followers = 0 OR (toUnixTimestamp(author_created_at) > 0 AND toUnixTimestamp(created_at) - toUnixTimestamp(author_created_at) < 30 * 86400))`;
      const [summary, langs, coTags, authors, samples] = await Promise.all([
        one<{ posts: string; authors: string; young_n: string; negative_n: string; toxic_n: string; sentiment_avg: number | null }>(`
          SELECT count() AS posts, uniqExact(author_id) AS authors, sum(${young}) AS young_n, sum(negative) AS negative_n, sum(toxic) AS toxic_n,
                 avg(sentiment) AS sentiment_avg
          FROM ${t('posts')} FINAL WHERE ${where}`),
        rows<{ lang: string; posts: string }>(`SELECT lang, count() AS posts FROM ${t('posts')} FINAL WHERE ${where} GROUP BY lang ORDER BY posts DESC, lang LIMIT 10`),
        rows<{ tag: string; posts: string }>(`
          SELECT co AS tag, count() AS posts FROM ${t('posts')} FINAL ARRAY JOIN hashtags AS co
          WHERE ${where} AND co != ${tq} GROUP BY co ORDER BY posts DESC, co LIMIT 10`),
        rows<{ author_id: string; handle: string; followers: number; created_ts: number; young_posts: string; posts: string }>(`
          SELECT author_id, any(author_handle) AS handle, max(author_followers) AS followers, toUnixTimestamp(min(author_created_at)) AS created_ts,
                 sum(${young}) AS young_posts, count() AS posts
          FROM ${t('posts')} FINAL WHERE ${where} GROUP BY author_id ORDER BY posts DESC, author_id LIMIT 10`),
        rows<{ platform: string; id: string; created_ts: number; author_id: string; author_handle: string; text: string; lang: string;
          likes: number; reposts: number; replies: number; sentiment: number; negative: number; toxic: number }>(`
          SELECT platform, id, toUnixTimestamp(created_at) AS created_ts, author_id, author_handle, text, lang, likes, reposts, replies, sentiment, negative, toxic
          FROM ${t('posts')} FINAL WHERE ${where} ORDER BY likes + reposts DESC, created_at DESC, id LIMIT ${q.samples}`),
      ]);
      const posts = num(summary?.posts ?? 0);
      const share = (x: string | undefined) => (posts ? num(x ?? 0) / posts : 0);
      const latest = events[0];
      return {
        hashtag: tag, from: iso(from), to: iso(to),
        trend: latest ? { state: latest.state, trending: latest.state !== 'ended', inauthentic: latest.inauthentic === 1, velocity: latest.velocity, score: latest.score, updated_at: iso(latest.detected_ts) } : null,
        posts, authors: num(summary?.authors ?? 0),
        young_share: share(summary?.young_n), negative_share: share(summary?.negative_n), toxic_share: share(summary?.toxic_n),
        sentiment_avg: posts ? Number(summary?.sentiment_avg ?? 0) : 0,
        languages: langs.map((r) => ({ lang: r.lang, posts: num(r.posts) })),
        co_hashtags: coTags.map((r) => ({ hashtag: r.tag, posts: num(r.posts) })),
        authors_top: authors.map((r) => ({
          author_id: r.author_id, handle: r.handle || null, followers: num(r.followers), posts: num(r.posts),
          account_created_at: r.created_ts > 0 ? iso(r.created_ts) : null, young: num(r.young_posts) > 0,
        })),
        samples: samples.map((r) => ({
          platform: r.platform, id: r.id, created_at: iso(r.created_ts), author_id: r.author_id, author_handle: r.author_handle || null,
          text: r.text, lang: r.lang, likes: num(r.likes), reposts: num(r.reposts), replies: num(r.replies),
          sentiment: r.sentiment, negative: r.negative === 1, toxic: r.toxic === 1,
        })),
        events: [...events].reverse().map((e) => ({
          id: e.id, state: e.state, detected_at: iso(e.detected_ts), window_start: iso(e.ws_ts), window_end: iso(e.we_ts),
          posts: num(e.posts), authors: num(e.authors), velocity: e.velocity, score: e.score, inauthentic: e.inauthentic === 1,
        })),
      };
    });

    // --- series -----------------------------------------------------------------------
    /** Resolves from/to (epoch seconds, whole minutes): default the last hour up to the newest decided minute. */
    const range = async (q: z.output<typeof SeriesQuery>, table: 'hashtag_minute' | 'watch_minute', where: string) => {
      const newest = await newestMinute(table);
      let to = q.to !== undefined ? Math.ceil(q.to / 60_000) * MIN : 0;
      if (!to) {
        const own = await newestMinute(table, where);
        to = ((q.from !== undefined ? Math.max(own, newest) : own || newest) || Math.floor(Date.now() / 60_000) * MIN) + MIN;
      }
      const from = q.from !== undefined ? Math.floor(q.from / 60_000) * MIN : to - 60 * MIN;
      if (from >= to) throw new ApiError(400, 'bad_request', 'query.from: from must be before to', [{ path: 'query.from', message: 'from must be before to' }]);
      if (to - from > MAX_RANGE_MINUTES * MIN) throw new ApiError(400, 'bad_request', 'query.to: from..to may span at most 7 days', [{ path: 'query.to', message: 'from..to may span at most 7 days' }]);
      return { from, to, decidedUntil: newest ? newest + MIN : 0 };
    };
    /** Minute points from `from` to `to`, zero where a decided minute has no row; undecided minutes are left out. */
    const fill = <R extends { m: number }>(got: R[], from: number, to: number, decidedUntil: number, zero: Omit<R, 'm'>) => {
      const byMinute = new Map(got.map((r) => [r.m, r]));
      const out: ({ minute: string } & Omit<R, 'm'>)[] = [];
      for (let m = from; m < Math.min(to, Math.max(decidedUntil, from)); m += MIN) {
        const { m: _m, ...rest } = byMinute.get(m) ?? { m, ...zero };
        out.push({ minute: iso(m), ...(rest as Omit<R, 'm'>) });
      }
      return out;
    };

    api.get('/v1/hashtags/:tag/series', async (req) => {
      const { tag } = parse(TagParam, req.params, 'path');
      const q = parse(SeriesQuery, req.query, 'query');
      const tq = quote(tag);
      const { from, to, decidedUntil } = await range(q, 'hashtag_minute', `hashtag = ${tq}`);
      const [got, events] = await Promise.all([
        rows<{ m: number; posts: string; authors: string; young: string; negative: string; toxic: string }>(`
          SELECT toUnixTimestamp(minute) AS m, posts, authors, young, negative, toxic FROM ${t('hashtag_minute')} FINAL
          WHERE hashtag = ${tq} AND minute >= toDateTime(${from}) AND minute < toDateTime(${to}) ORDER BY minute`),
        rows<{ id: string; state: string; detected_ts: number; we_ts: number; velocity: number; inauthentic: number }>(`
          SELECT id, state, toUnixTimestamp(detected_at) AS detected_ts, toUnixTimestamp(window_end) AS we_ts, velocity, inauthentic FROM ${t('trends')} FINAL
          WHERE hashtag = ${tq} AND window_end > toDateTime(${from}) AND window_end <= toDateTime(${to}) ORDER BY window_end, ${TREND_RANK}`),
      ]);
      const numeric = got.map((r) => ({ m: r.m, posts: num(r.posts), authors: num(r.authors), young: num(r.young), negative: num(r.negative), toxic: num(r.toxic) }));
      const points = fill(numeric, from, to, decidedUntil, { posts: 0, authors: 0, young: 0, negative: 0, toxic: 0 });
      return {
        hashtag: tag, from: iso(from), to: iso(to), step_seconds: MIN, decided_until: decidedUntil ? iso(decidedUntil) : null,
        total_posts: points.reduce((n, p) => n + p.posts, 0), points,
        events: events.map((e) => ({ id: e.id, state: e.state, detected_at: iso(e.detected_ts), window_end: iso(e.we_ts), velocity: e.velocity, inauthentic: e.inauthentic === 1 })),
      };
    });

    api.get('/v1/watches/:id/series', async (req) => {
      const { id } = parse(WatchParam, req.params, 'path');
      const q = parse(SeriesQuery, req.query, 'query');
      const wq = quote(id);
      const watch = o.watches.get().find((w) => w.id === id);
      if (!watch) {
        const known = await one<{ n: string }>(`SELECT count() AS n FROM ${t('watch_minute')} WHERE watch = ${wq}`);
        if (num(known?.n ?? 0) === 0) throw new ApiError(404, 'not_found', `no watch "${id}": GET /v1/watches lists them`);
      }
      const { from, to, decidedUntil } = await range(q, 'watch_minute', `watch = ${wq}`);
      const [got, alerts] = await Promise.all([
        rows<{ m: number; posts: string; authors: string; young: string; negative: string; toxic: string; pressure: string }>(`
          SELECT toUnixTimestamp(minute) AS m, posts, authors, young, negative, toxic, pressure FROM ${t('watch_minute')} FINAL
          WHERE watch = ${wq} AND minute >= toDateTime(${from}) AND minute < toDateTime(${to}) ORDER BY minute`),
        rows<{ id: string; state: string; severity: number; detected_ts: number }>(`
          SELECT id, state, severity, toUnixTimestamp(detected_at) AS detected_ts FROM ${t('alerts')} FINAL
          WHERE watch = ${wq} AND detected_at >= toDateTime(${from}) AND detected_at < toDateTime(${to} + 600) ORDER BY detected_at, id`),
      ]);
      const numeric = got.map((r) => ({ m: r.m, posts: num(r.posts), authors: num(r.authors), young: num(r.young), negative: num(r.negative), toxic: num(r.toxic), pressure: num(r.pressure) }));
      const points = fill(numeric, from, to, decidedUntil, { posts: 0, authors: 0, young: 0, negative: 0, toxic: 0, pressure: 0 });
      return {
        watch: id, name: watch?.name ?? null, from: iso(from), to: iso(to), step_seconds: MIN, decided_until: decidedUntil ? iso(decidedUntil) : null,
        total_posts: points.reduce((n, p) => n + p.posts, 0), points,
        events: alerts.map((a) => ({ id: a.id, state: a.state, severity: a.severity, detected_at: iso(a.detected_ts) })),
      };
    });

    // --- alerts -----------------------------------------------------------------------
    api.get('/v1/alerts', async (req) => {
      const q = parse(AlertsQuery, req.query, 'query');
      const events = await rows<AlertRow>(`
        SELECT id, state, watch, severity, toUnixTimestamp(detected_at) AS detected_ts, posts, negative_share, inauthentic, reasons, summary, samples
        FROM ${t('alerts')} FINAL ORDER BY detected_at DESC, id DESC LIMIT 20000`);
      const all = episodes(events);
      const picked = all.filter((e) => q.state === 'all' || e.episode.state === 'open')
        .sort((a, b) => (a.episode.opened_at < b.episode.opened_at ? 1 : a.episode.opened_at > b.episode.opened_at ? -1 : a.episode.id < b.episode.id ? 1 : -1))
        .slice(0, q.limit);
      const ids = picked.flatMap((p) => p.ids);
      const sampleIds = [...new Set(picked.flatMap((p) => p.episode.samples.map((s) => s.id)))];
      // Samples come from the minutes just before their event: a time bound lets ClickHouse skip old partitions.
      const sampleFrom = Math.min(...picked.map((p) => Date.parse(p.episode.opened_at) / 1000)) - 3600;
      const sampleTo = Math.max(...picked.map((p) => Date.parse(p.episode.updated_at) / 1000)) + 3600;
      const [feedback, posts] = await Promise.all([
        ids.length ? rows<FeedbackRow>(`SELECT alert_id, kind, verdict, note, actor, toUnixTimestamp(created_at) AS created_ts FROM ${t('alert_feedback')}
          WHERE alert_id IN (${ids.map(quote).join(', ')}) ORDER BY created_at, alert_id`) : [],
        sampleIds.length ? rows<{ platform: string; id: string; post_text: string; handle: string; post_lang: string; created_ts: number }>(`
          SELECT platform, id, any(text) AS post_text, any(author_handle) AS handle, any(lang) AS post_lang, toUnixTimestamp(min(created_at)) AS created_ts
          FROM ${t('posts')} WHERE created_at >= toDateTime(${sampleFrom}) AND created_at <= toDateTime(${sampleTo}) AND id IN (${sampleIds.map(quote).join(', ')})
          GROUP BY platform, id`) : [],
      ]);
      const postByKey = new Map(posts.map((p) => [`${p.platform}\n${p.id}`, p]));
      const names = new Map(o.watches.get().map((w) => [w.id, w.name]));
      const alerts: AlertEpisode[] = picked.map(({ episode, ids: own }) => {
        const mine = feedback.filter((f) => own.includes(f.alert_id));
        const ack = mine.filter((f) => f.kind === 'ack').at(-1);
        return {
          ...episode,
          watch_name: names.get(episode.watch) ?? null,
          samples: episode.samples.map((s) => {
            const p = postByKey.get(`${s.platform}\n${s.id}`);
            return p ? { ...s, text: p.post_text, author_handle: p.handle, lang: p.post_lang, created_at: iso(p.created_ts) } : s;
          }),
          acknowledged: ack ? { at: iso(ack.created_ts), actor: ack.actor, note: ack.note } : null,
          feedback: mine.filter((f) => f.kind === 'feedback').map((f) => ({ verdict: f.verdict, note: f.note, at: iso(f.created_ts), actor: f.actor })),
        };
      });
      return { state: q.state, alerts };
    });

    const alertFor = async (id: string) => {
      const found = await one<{ watch: string }>(`SELECT watch FROM ${t('alerts')} WHERE id = ${quote(id)} LIMIT 1`);
      if (!found) throw new ApiError(404, 'not_found', `no alert with id ${id}: GET /v1/alerts?state=all lists them`);
      return found.watch;
    };
    const record = async (row: Omit<FeedbackRow, 'created_ts'> & { watch: string }) => {
      const now = Date.now();
      try {
        await o.store.insert({ table: t('alert_feedback'), values: [{ ...row, created_at: chTime(now) }], format: 'JSONEachRow' });
      } catch (e) {
        throw new ApiError(503, 'store_unavailable', `ClickHouse insert failed: ${String((e as Error).message).split('\n')[0]!.slice(0, 300)}`, undefined, { cause: e });
      }
      return { alert_id: row.alert_id, watch: row.watch, kind: row.kind, verdict: row.verdict || null, note: row.note, actor: row.actor, at: isoSeconds(now) };
    };

    api.post('/v1/alerts/:id/ack', { config: { scope: 'admin' } }, async (req) => {
      const { id } = parse(AlertParam, req.params, 'path');
      const body = parse(AckBody, jsonBody(req), 'body');
      const watch = await alertFor(id);
      return record({ alert_id: id, watch, kind: 'ack', verdict: '', note: body.note ?? '', actor: actorOf(req) });
    });

    api.post('/v1/alerts/:id/feedback', { config: { scope: 'admin' } }, async (req) => {
      const { id } = parse(AlertParam, req.params, 'path');
      const body = parse(FeedbackBody, jsonBody(req), 'body');
      const watch = await alertFor(id);
      return record({ alert_id: id, watch, kind: 'feedback', verdict: body.verdict, note: body.note ?? '', actor: actorOf(req) });
    });

    // --- watches ----------------------------------------------------------------------
    api.get('/v1/watches', async () => ({ watches: o.watches.get(), file_error: o.watches.lastError }));

    api.put('/v1/watches', { config: { scope: 'admin' } }, async (req) => {
      const body = jsonBody(req);
      const list = body && typeof body === 'object' && !Array.isArray(body) && 'watches' in body ? (body as { watches: unknown }).watches : body;
      if (list === undefined) throw new ApiError(400, 'bad_request', 'body: send the watch list as a JSON array (or {"watches": [...]})');
      const watches = o.watches.put(list);
      o.log?.info({ watches: watches.length }, 'watch list replaced through the API');
      return { watches };
    });
  });
}

// ---------------------------------------------------------------------------------------
// OpenAPI

let doc: Record<string, unknown> | null = null;

/** The OpenAPI 3.1 document of the query API; bodies and watches from the zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  if (doc) return doc;
  const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
    const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  };
  const err = { $ref: '#/components/schemas/Error' };
  const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), {
    description: ({ 400: 'invalid parameter or body; `issues` names each field', 401: 'missing or wrong bearer token', 403: 'read token on an admin route',
      404: 'not found', 503: 'ClickHouse not answering' } as Record<number, string>)[c] ?? 'error',
    content: { 'application/json': { schema: err } },
  }]));
  const qp = (name: string, description: string, s: Record<string, unknown>) => ({ name, in: 'query', required: false, description, schema: s });
  const pp = (name: string, description: string, s: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'path', required: true, description, schema: s });
  const ok = (description: string, s: Record<string, unknown> = { type: 'object' }) => ({ 200: { description, content: { 'application/json': { schema: s } } } });
  const windowP = (d: string) => qp('window', 'window of stream time, ending at the newest decided minute', { type: 'string', enum: ['5m', '15m', '60m'], default: d });
  const series = [qp('from', 'ISO 8601 start (default: an hour before `to`)', { type: 'string', format: 'date-time' }),
    qp('to', 'ISO 8601 end, exclusive (default: after the newest decided minute)', { type: 'string', format: 'date-time' })];
  const read = [{ bearer: [] }];
  const tag = pp('tag', 'hashtag, with or without #, any case (normalised as in CONTRACTS §2)');
  const alertId = pp('id', 'alert event id, e.g. alert:deutsche-bahn:2026-11-27T10:24:00Z:opened', { type: 'string', pattern: ALERT_ID.source });
  doc = {
    openapi: '3.1.0',
    info: { title: 'trendstream query API', version: '1', description: 'Trends, alerts, minute series and watches from ClickHouse. Bearer tokens: read scope for GET, admin scope for changes; with no tokens configured everything is open. Times are ISO 8601 UTC.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' },
          issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
        Watch: schema(WatchSchema),
        WatchInput: schema(WatchSchema, 'input'),
        WatchList: schema(WatchListSchema),
        Feedback: schema(FeedbackBody, 'input'),
        Ack: schema(AckBody, 'input'),
      },
    },
    security: read,
    paths: {
      '/v1/trends': { get: { summary: 'Hashtags trending now (latest state started/updated), with counts over the window and a posts-per-minute sparkline of the last hour',
        parameters: [windowP('15m'), qp('limit', 'most trends returned', { type: 'integer', minimum: 1, maximum: 100, default: 20 })],
        responses: { ...ok('current trends, most posts in the window first'), ...errors(400, 401, 503) } } },
      '/v1/trends/{tag}': { get: { summary: 'Context of a hashtag: sample posts, co-occurring hashtags, languages, authors behind it, trend events',
        parameters: [tag, windowP('60m'), qp('samples', 'sample posts returned', { type: 'integer', minimum: 1, maximum: 50, default: 10 })],
        responses: { ...ok('hashtag context over the window ending at its newest post'), ...errors(400, 401, 404, 503) } } },
      '/v1/hashtags/{tag}/series': { get: { summary: 'Minute series of a hashtag (posts, distinct authors, young, negative, toxic) and its trend events',
        parameters: [tag, ...series], responses: { ...ok('one point per decided minute in [from, to)'), ...errors(400, 401, 503) } } },
      '/v1/watches/{id}/series': { get: { summary: 'Minute series of a watch (with pressure: posts addressing its handles) and its alert events',
        parameters: [pp('id', 'watch id'), ...series], responses: { ...ok('one point per decided minute in [from, to)'), ...errors(400, 401, 404, 503) } } },
      '/v1/alerts': { get: { summary: 'Alert episodes (opened → escalated → resolved) with reasons, samples, acknowledgement and feedback',
        parameters: [qp('state', 'open: episodes not resolved; all: also resolved ones', { type: 'string', enum: ['open', 'all'], default: 'open' }),
          qp('limit', 'most episodes returned, most recently opened first', { type: 'integer', minimum: 1, maximum: 200, default: 20 })],
        responses: { ...ok('alert episodes'), ...errors(400, 401, 503) } } },
      '/v1/alerts/{id}/ack': { post: { summary: 'Acknowledge an alert (admin)', parameters: [alertId],
        requestBody: { required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/Ack' } } } },
        responses: { ...ok('the stored acknowledgement'), ...errors(400, 401, 403, 404, 503) } } },
      '/v1/alerts/{id}/feedback': { post: { summary: 'Say whether an alert was useful or a false alarm (admin); stored in ClickHouse table alert_feedback for tuning', parameters: [alertId],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Feedback' } } } },
        responses: { ...ok('the stored feedback'), ...errors(400, 401, 403, 404, 503) } } },
      '/v1/watches': {
        get: { summary: 'The watch list in force', responses: { ...ok('watches', { type: 'object', properties: { watches: { $ref: '#/components/schemas/WatchList' } } }), ...errors(401) } },
        put: { summary: 'Replace the watch list (admin); validated, applied without restart and written to the watches file',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/WatchInput' } } } } },
          responses: { ...ok('the new list with defaults filled in', { type: 'object', properties: { watches: { $ref: '#/components/schemas/WatchList' } } }), ...errors(400, 401, 403) } },
      },
      '/v1/openapi.json': { get: { summary: 'This document', security: [], responses: ok('OpenAPI 3.1') } },
    },
  };
  return doc;
}
