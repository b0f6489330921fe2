// The contract of the query API: every route with its path parameters, query, body, scope
// and responses, declared once in zod. Validation, the handlers' types and the OpenAPI
// document at /v1/openapi.json are all derived from these declarations.
import { z } from 'zod';
import { normaliseHashtag } from '../schemas/normalise.js';
import { WatchListSchema, WatchSchema } from '../schemas/watches.js';

/** Who may call a route: anyone, a read token, or an admin token. */
export type Scope = 'public' | 'read' | 'admin';

// --- parameters -------------------------------------------------------------------------

/** A query parameter holding an integer: digits only (no sign, exponent or spaces), then the range. */
const intParam = (name: string, min: number, max: number, dflt: number, what: string) => {
  const message = `${name} must be an integer from ${min} to ${max}`;
  return z.string().regex(/^\d{1,9}$/, message).default(String(dflt)).transform(Number).pipe(z.number().int().min(min, message).max(max, message))
    .describe(`${what}: an integer from ${min} to ${max}`);
};

export const WINDOWS = { '5m': 5, '15m': 15, '60m': 60 } as const;
const windowParam = (dflt: keyof typeof WINDOWS) => z.enum(['5m', '15m', '60m'], { error: 'window must be one of 5m, 15m, 60m' }).default(dflt)
  .describe('window of stream time, ending at the newest decided minute');

const isoTime = (name: string) => z.string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/, `${name} must be an ISO 8601 time with offset, like 2026-11-27T10:00:00Z`)
  .transform((s, ctx) => {
    const ms = Date.parse(s);
    if (!Number.isFinite(ms)) { ctx.addIssue({ code: 'custom', message: `${name} is not a valid time` }); return z.NEVER; }
    return ms;
  });

export const TagParams = z.object({
  tag: z.string().min(1).max(200, 'tag must be at most 200 characters').transform((t, ctx) => {
    const n = normaliseHashtag(t);
    if (!n) { ctx.addIssue({ code: 'custom', message: 'tag must be a hashtag: letters, digits and _ with at least one letter, like Bahnchaos' }); return z.NEVER; }
    return n;
  }).describe('hashtag, with or without #, any case (normalised as in docs/contracts.md §2)'),
}).strict();
export const WatchParams = z.object({ id: WatchSchema.shape.id.describe('watch id') }).strict();
/** An alert event id: `alert:<watch>:<minute>:<state>`. */
export const ALERT_ID = /^alert:([a-z0-9][a-z0-9_-]{0,63}):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ):(opened|escalated|resolved)$/;
export const AlertParams = z.object({
  id: z.string().max(200).regex(ALERT_ID, 'id must be an alert id like alert:deutsche-bahn:2026-11-27T10:24:00Z:opened')
    .describe('alert event id, e.g. alert:deutsche-bahn:2026-11-27T10:24:00Z:opened; any event of an episode stands for it'),
}).strict();

export const TrendsQuery = z.object({ window: windowParam('15m'), limit: intParam('limit', 1, 100, 20, 'most trends returned') }).strict();
export const TrendQuery = z.object({ window: windowParam('60m'), samples: intParam('samples', 1, 50, 10, 'sample posts returned') }).strict();
export const AlertsQuery = z.object({
  state: z.enum(['open', 'all'], { error: 'state must be open or all' }).default('open').describe('open: episodes not resolved; all: also resolved ones'),
  limit: intParam('limit', 1, 200, 20, 'most episodes returned, most recently opened first'),
}).strict();
export const MAX_RANGE_MINUTES = 7 * 24 * 60;
export const SeriesQuery = z.object({
  from: isoTime('from').optional().describe('ISO 8601 start (default: an hour before `to`)'),
  to: isoTime('to').optional().describe('ISO 8601 end, exclusive (default: after the newest decided minute)'),
}).strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.from === undefined || q.to === undefined || q.to - q.from <= MAX_RANGE_MINUTES * 60_000, { message: 'from..to may span at most 7 days', path: ['to'] });
export type SeriesRange = z.output<typeof SeriesQuery>;

const note = z.string().max(2000, 'note must be at most 2000 characters').optional();
export const FeedbackBody = z.object({
  verdict: z.enum(['useful', 'false_alarm'], { error: 'verdict must be useful or false_alarm' }),
  note,
}).strict().meta({ id: 'Feedback' });
export const AckBody = z.object({ note }).strict().meta({ id: 'Ack' });
const Watch = WatchSchema.meta({ id: 'Watch' });
const WatchList = WatchListSchema.meta({ id: 'WatchList' });
/** PUT /v1/watches: the list, bare or as {"watches": [...]}. Documented here; WatchStore.put validates it. */
export const WatchesBody = z.union([z.array(Watch), z.object({ watches: z.array(Watch) }).strict()]);

// --- responses --------------------------------------------------------------------------

const time = z.string().describe('ISO 8601 UTC, whole seconds');
const count = z.number().int().min(0);
const flag = z.boolean();

export const ErrorBody = z.object({
  error: z.string().describe('stable code: bad_request, invalid_watches, unauthorized, forbidden, not_found, store_unavailable, …'),
  message: z.string().describe('what is wrong and how to fix it'),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('each invalid field, like query.limit'),
}).meta({ id: 'Error' });

const Trend = z.object({
  hashtag: z.string(), state: z.string(), started_at: time.nullable(), updated_at: time,
  inauthentic: flag, velocity: z.number(), score: z.number(),
  detection: z.object({ window_start: time, window_end: time, posts: count, authors: count }),
  window: z.object({ posts: count, peak_authors_per_minute: count }),
  spark: z.object({ from: time, step_seconds: count, posts: z.array(count), velocity: z.array(z.number().nullable()) }),
});
export const TrendsResponse = z.object({ window: z.enum(['5m', '15m', '60m']), as_of: time.nullable(), trends: z.array(Trend) });

const TrendEvent = z.object({
  id: z.string(), state: z.string(), detected_at: time, window_start: time, window_end: time,
  posts: count, authors: count, velocity: z.number(), score: z.number(), inauthentic: flag,
});
export const TrendContextResponse = z.object({
  hashtag: z.string(), from: time, to: time,
  trend: z.object({ state: z.string(), trending: flag, inauthentic: flag, velocity: z.number(), score: z.number(), updated_at: time }).nullable(),
  posts: count, authors: count, young_share: z.number(), negative_share: z.number(), toxic_share: z.number(), sentiment_avg: z.number(),
  languages: z.array(z.object({ lang: z.string(), posts: count })),
  co_hashtags: z.array(z.object({ hashtag: z.string(), posts: count })),
  authors_top: z.array(z.object({
    author_id: z.string(), handle: z.string().nullable(), followers: count, posts: count, account_created_at: time.nullable(), young: flag,
  })),
  samples: z.array(z.object({
    platform: z.string(), id: z.string(), created_at: time, author_id: z.string(), author_handle: z.string().nullable(), text: z.string(), lang: z.string(),
    likes: count, reposts: count, replies: count, sentiment: z.number(), negative: flag, toxic: flag,
  })),
  events: z.array(TrendEvent),
});

const seriesFrame = { from: time, to: time, step_seconds: count, decided_until: time.nullable(), total_posts: count };
const minutePoint = { minute: time, posts: count, authors: count, young: count, negative: count, toxic: count };
export const HashtagSeriesResponse = z.object({
  hashtag: z.string(), ...seriesFrame,
  points: z.array(z.object(minutePoint)),
  events: z.array(z.object({ id: z.string(), state: z.string(), detected_at: time, window_end: time, velocity: z.number(), inauthentic: flag })),
});
export const WatchSeriesResponse = z.object({
  watch: z.string(), name: z.string().nullable(), ...seriesFrame,
  points: z.array(z.object({ ...minutePoint, pressure: count.describe('posts addressing the watch\'s handles') })),
  events: z.array(z.object({ id: z.string(), state: z.string(), severity: z.number(), detected_at: time })),
});

export const AlertEpisode = z.object({
  id: z.string().describe('id of the event that opened the episode'), watch: z.string(), watch_name: z.string().nullable(),
  state: z.enum(['open', 'resolved']), severity: z.number(), max_severity: z.number(),
  opened_at: time, updated_at: time, resolved_at: time.nullable(),
  posts: count, negative_share: z.number(), inauthentic: flag, summary: z.string(),
  reasons: z.array(z.object({ code: z.string(), value: z.number(), baseline: z.number() })),
  samples: z.array(z.object({
    platform: z.string(), id: z.string(), text: z.string().optional(), author_handle: z.string().optional(), lang: z.string().optional(), created_at: time.optional(),
  })),
  events: z.array(z.object({ id: z.string(), state: z.string(), severity: z.number(), detected_at: time, summary: z.string() })),
  acknowledged: z.object({ at: time, actor: z.string(), note: z.string() }).nullable(),
  feedback: z.array(z.object({ verdict: z.string(), note: z.string(), at: time, actor: z.string() })),
}).meta({ id: 'AlertEpisode' });
export type AlertEpisode = z.output<typeof AlertEpisode>;
export const AlertsResponse = z.object({ state: z.enum(['open', 'all']), alerts: z.array(AlertEpisode) });

export const FeedbackResponse = z.object({
  alert_id: z.string(), watch: z.string(), kind: z.enum(['ack', 'feedback']), verdict: z.string().nullable(), note: z.string(), actor: z.string(), at: time,
});
export const WatchesResponse = z.object({
  watches: WatchList, file_error: z.string().nullable().describe('why the last edit of the watches file was not applied, or null'),
});
export const WatchesPutResponse = z.object({ watches: WatchList });

// --- routes -----------------------------------------------------------------------------

const ERRORS = {
  400: 'invalid parameter or body; `issues` names each field', 401: 'missing or wrong bearer token', 403: 'read token on an admin route',
  404: 'not found', 503: 'ClickHouse not answering',
} as const;
const errors = <C extends keyof typeof ERRORS>(...codes: C[]) =>
  Object.fromEntries(codes.map((c) => [c, ErrorBody.describe(ERRORS[c])])) as Record<C, typeof ErrorBody>;
const ok = <S extends z.ZodType>(s: S, description: string) => s.describe(description);
const route = <M extends 'GET' | 'POST' | 'PUT', U extends string, S extends object>(method: M, url: U, scope: Scope, schema: S) =>
  ({ method, url, config: { scope }, schema });

/** Every route of the query API. */
export const ROUTES = {
  openapi: route('GET', '/v1/openapi.json', 'public', { summary: 'This document (OpenAPI 3.1)', security: [] }),
  trends: route('GET', '/v1/trends', 'read', {
    summary: 'Hashtags trending now (latest state started/updated), with counts over the window and a posts-per-minute sparkline of the last hour',
    querystring: TrendsQuery,
    response: { 200: ok(TrendsResponse, 'current trends, most posts in the window first'), ...errors(400, 401, 503) },
  }),
  trend: route('GET', '/v1/trends/:tag', 'read', {
    summary: 'Context of a hashtag: sample posts, co-occurring hashtags, languages, authors behind it, trend events',
    params: TagParams, querystring: TrendQuery,
    response: { 200: ok(TrendContextResponse, 'hashtag context over the window ending at its newest post'), ...errors(400, 401, 404, 503) },
  }),
  hashtagSeries: route('GET', '/v1/hashtags/:tag/series', 'read', {
    summary: 'Minute series of a hashtag (posts, distinct authors, young, negative, toxic) and its trend events',
    params: TagParams, querystring: SeriesQuery,
    response: { 200: ok(HashtagSeriesResponse, 'one point per decided minute in [from, to)'), ...errors(400, 401, 503) },
  }),
  watchSeries: route('GET', '/v1/watches/:id/series', 'read', {
    summary: 'Minute series of a watch (with pressure: posts addressing its handles) and its alert events',
    params: WatchParams, querystring: SeriesQuery,
    response: { 200: ok(WatchSeriesResponse, 'one point per decided minute in [from, to)'), ...errors(400, 401, 404, 503) },
  }),
  alerts: route('GET', '/v1/alerts', 'read', {
    summary: 'Alert episodes (opened → escalated → resolved) with reasons, samples, acknowledgement and feedback',
    querystring: AlertsQuery,
    response: { 200: ok(AlertsResponse, 'alert episodes'), ...errors(400, 401, 503) },
  }),
  ack: route('POST', '/v1/alerts/:id/ack', 'admin', {
    summary: 'Acknowledge an alert (admin); the body is optional',
    params: AlertParams, body: AckBody,
    response: { 200: ok(FeedbackResponse, 'the stored acknowledgement'), ...errors(400, 401, 403, 404, 503) },
  }),
  feedback: route('POST', '/v1/alerts/:id/feedback', 'admin', {
    summary: 'Say whether an alert was useful or a false alarm (admin); stored in ClickHouse table alert_feedback for tuning',
    params: AlertParams, body: FeedbackBody,
    response: { 200: ok(FeedbackResponse, 'the stored feedback'), ...errors(400, 401, 403, 404, 503) },
  }),
  watches: route('GET', '/v1/watches', 'read', {
    summary: 'The watch list in force',
    response: { 200: ok(WatchesResponse, 'watches'), ...errors(401) },
  }),
  putWatches: route('PUT', '/v1/watches', 'admin', {
    summary: 'Replace the watch list (admin); validated, applied without restart and written to the watches file',
    body: WatchesBody,
    response: { 200: ok(WatchesPutResponse, 'the new list with defaults filled in'), ...errors(400, 401, 403) },
  }),
};
