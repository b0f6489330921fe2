// The route handlers of the query API: validated input in (serve/routes.ts), queries run
// (serve/queries.ts), the response shaped (serve/shape.ts). No HTTP here beyond ApiError,
// the status and message a handler answers with when it cannot answer 200.
import type { z } from 'zod';
import { isoSeconds } from '../schemas/events.js';
import type { Logger } from '../lib/log.js';
import * as q from './queries.js';
import type { ApiStore, FeedbackInsert } from './queries.js';
import type { AckBody, AlertParams, AlertsQuery, FeedbackBody, SeriesRange, TagParams, TrendQuery, TrendsQuery, WatchParams } from './routes.js';
import { MAX_RANGE_MINUTES, WINDOWS } from './routes.js';
import * as shape from './shape.js';
import { iso, MIN } from './shape.js';
import type { FieldError, WatchStore } from './watch-store.js';

/** An answer other than 200, with a stable `error` code and a message saying what to fix. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly issues?: FieldError[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
  }
}

/** A 400 naming one field, as the validation of declared parameters would. */
const badField = (path: string, message: string) => new ApiError(400, 'bad_request', `${path}: ${message}`, [{ path, message }]);

export interface HandlerContext { db: ApiStore; watches: WatchStore; log?: Logger }
type In<S extends z.ZodType> = z.output<S>;

/** The handlers, bound to the store and the live watch list. */
export function handlers({ db, watches, log }: HandlerContext) {
  /** Resolves from/to (epoch seconds, whole minutes): by default the hour up to the newest decided minute. */
  const range = async (r: SeriesRange, table: q.MinuteTable, key: q.MinuteKey) => {
    const newest = await q.newestMinute(db, table);
    let to = r.to !== undefined ? Math.ceil(r.to / 60_000) * MIN : 0;
    if (!to) {
      const own = await q.newestMinute(db, table, key);
      to = ((r.from !== undefined ? Math.max(own, newest) : own || newest) || Math.floor(Date.now() / 60_000) * MIN) + MIN;
    }
    const from = r.from !== undefined ? Math.floor(r.from / 60_000) * MIN : to - 60 * MIN;
    // The query schema checks given times; these catch a default meeting a given one.
    if (from >= to) throw badField('query.from', 'from must be before to');
    if (to - from > MAX_RANGE_MINUTES * MIN) throw badField('query.to', 'from..to may span at most 7 days');
    return { from, to, decidedUntil: newest ? newest + MIN : 0 };
  };

  /** Stores an acknowledgement or feedback on the episode of alert event `id` (404 when there is none). */
  const record = async (id: string, row: Omit<FeedbackInsert, 'alert_id' | 'watch'>) => {
    const watch = await q.alertWatch(db, id);
    if (!watch) throw new ApiError(404, 'not_found', `no alert with id ${id}: GET /v1/alerts?state=all lists them`);
    const now = Date.now();
    await q.insertFeedback(db, { alert_id: id, watch, ...row }, now);
    return { alert_id: id, watch, kind: row.kind, verdict: row.verdict || null, note: row.note, actor: row.actor, at: isoSeconds(now) };
  };

  return {
    async trends(p: In<typeof TrendsQuery>) {
      const T = await q.newestMinute(db, 'hashtag_minute');
      if (T === 0) return { window: p.window, as_of: null, trends: [] };
      const current = await q.currentTrends(db);
      if (current.length === 0) return { window: p.window, as_of: iso(T + MIN), trends: [] };
      const tags = current.map((r) => r.hashtag);
      const sparkFrom = T - 59 * MIN;
      const [minutes, velocities] = await Promise.all([q.tagMinutes(db, tags, sparkFrom, T), q.tagVelocities(db, tags, sparkFrom, T + MIN)]);
      return { window: p.window, as_of: iso(T + MIN), trends: shape.trendList(current, minutes, velocities, T, WINDOWS[p.window], p.limit) };
    },

    async trend({ tag }: In<typeof TagParams>, p: In<typeof TrendQuery>) {
      // The window ends with the tag's newest decided minute: hashtag_minute is ordered by (hashtag, minute), posts by time.
      const [newest, events] = await Promise.all([q.newestMinute(db, 'hashtag_minute', { hashtag: tag }), q.trendEvents(db, tag)]);
      if (newest === 0 && events.length === 0) throw new ApiError(404, 'not_found', `no posts or trend events for #${tag}`);
      const to = (newest || events[0]!.we_ts - MIN) + MIN;
      const from = to - WINDOWS[p.window] * MIN;
      return shape.trendContext(tag, from, to, events, await q.tagContext(db, tag, from, to, p.samples));
    },

    async hashtagSeries({ tag }: In<typeof TagParams>, p: SeriesRange) {
      const { from, to, decidedUntil } = await range(p, 'hashtag_minute', { hashtag: tag });
      const [rows, events] = await Promise.all([q.hashtagSeries(db, tag, from, to), q.hashtagEvents(db, tag, from, to)]);
      const points = shape.fillMinutes(rows, ['posts', 'authors', 'young', 'negative', 'toxic'], from, to, decidedUntil);
      return { hashtag: tag, ...shape.seriesFrame(from, to, decidedUntil, points), points, events: shape.hashtagSeriesEvents(events) };
    },

    async watchSeries({ id }: In<typeof WatchParams>, p: SeriesRange) {
      const watch = watches.get().find((w) => w.id === id);
      if (!watch && !(await q.watchKnown(db, id))) throw new ApiError(404, 'not_found', `no watch "${id}": GET /v1/watches lists them`);
      const { from, to, decidedUntil } = await range(p, 'watch_minute', { watch: id });
      const [rows, alerts] = await Promise.all([q.watchSeries(db, id, from, to), q.watchAlerts(db, id, from, to)]);
      const points = shape.fillMinutes(rows, ['posts', 'authors', 'young', 'negative', 'toxic', 'pressure'], from, to, decidedUntil);
      return { watch: id, name: watch?.name ?? null, ...shape.seriesFrame(from, to, decidedUntil, points), points, events: shape.watchSeriesEvents(alerts) };
    },

    async alerts(p: In<typeof AlertsQuery>) {
      const picked = shape.pickEpisodes(shape.episodes(await q.alertEvents(db)), p.state, p.limit);
      const span = shape.sampleSpan(picked);
      const [feedback, posts] = await Promise.all([
        q.alertFeedback(db, picked.flatMap((e) => e.ids)),
        q.samplePosts(db, [...new Set(picked.flatMap((e) => e.episode.samples.map((s) => s.id)))], span.from, span.to),
      ]);
      return { state: p.state, alerts: shape.alertEpisodes(picked, feedback, posts, watches.get()) };
    },

    ack: ({ id }: In<typeof AlertParams>, body: In<typeof AckBody>, actor: string) =>
      record(id, { kind: 'ack', verdict: '', note: body.note ?? '', actor }),

    feedback: ({ id }: In<typeof AlertParams>, body: In<typeof FeedbackBody>, actor: string) =>
      record(id, { kind: 'feedback', verdict: body.verdict, note: body.note ?? '', actor }),

    watches: () => ({ watches: watches.get(), file_error: watches.lastError }),

    /** Replaces the list; WatchStore.put validates it (400 invalid_watches naming each field, as for the file). */
    putWatches(body: unknown) {
      const list = body && typeof body === 'object' && !Array.isArray(body) && 'watches' in body ? (body as { watches: unknown }).watches : body;
      if (list === undefined || list === null) throw new ApiError(400, 'bad_request', 'body: send the watch list as a JSON array (or {"watches": [...]})');
      const replaced = watches.put(list);
      log?.info({ watches: replaced.length }, 'watch list replaced through the API');
      return { watches: replaced };
    },
  };
}
