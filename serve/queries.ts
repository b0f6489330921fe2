// Every query the query API runs against ClickHouse, as functions taking the store and
// validated parameters and returning typed rows. ClickHouse 18.16 has no server-side
// parameters: strings enter SQL only through quote(), names through ident(), numbers through int().
import type { Store } from '../lib/clickhouse/client.js';
import { chTime, ident, quote } from '../lib/clickhouse/sql.js';

/** ClickHouse did not answer (or refused); the API answers 503. */
export class StoreUnavailableError extends Error {
  constructor(what: 'query' | 'insert', cause: unknown) {
    super(`ClickHouse ${what} failed: ${String((cause as Error)?.message ?? cause).split('\n')[0]!.slice(0, 300)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** The store and the database the API reads. */
export class ApiStore {
  private readonly db: string;
  constructor(readonly store: Store, database: string) { this.db = ident(database); }

  /** A table of the database, as SQL. */
  table(name: string): string { return `${this.db}.${ident(name)}`; }

  async rows<T>(query: string): Promise<T[]> {
    try {
      return await (await this.store.query({ query, format: 'JSONEachRow' })).json<T>();
    } catch (e) { throw new StoreUnavailableError('query', e); }
  }

  async one<T>(query: string): Promise<T | undefined> { return (await this.rows<T>(query))[0]; }
}

/** A number computed by the API (epoch seconds, a limit), checked to be an integer before it becomes SQL text. */
export function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer for SQL: ${n}`);
  return String(n);
}
const time = (seconds: number) => `toDateTime(${int(seconds)})`;
const list = (values: readonly string[]) => values.map(quote).join(', ');

/** The latest event of a trend ranks started < updated < ended within the same window end. */
const TREND_RANK = `multiIf(state = 'started', 0, state = 'updated', 1, 2)`;
/** Posts of a young account: no followers, or created less than 30 days before posting. */
const YOUNG = `(author_followers = 0 OR (toUnixTimestamp(author_created_at) > 0 AND toUnixTimestamp(created_at) - toUnixTimestamp(author_created_at) < 30 * 86400))`;

export type MinuteTable = 'hashtag_minute' | 'watch_minute';
/** Which rows of a minute table: one hashtag (hashtag_minute) or one watch (watch_minute); none means all. */
export type MinuteKey = { hashtag: string } | { watch: string };
const keyWhere = (k?: MinuteKey) => (!k ? '1' : 'hashtag' in k ? `hashtag = ${quote(k.hashtag)}` : `watch = ${quote(k.watch)}`);

/** Start of the newest decided minute in a minute table (epoch seconds), 0 when empty. */
export async function newestMinute(s: ApiStore, table: MinuteTable, key?: MinuteKey): Promise<number> {
  const r = await s.one<{ m: number }>(`SELECT toUnixTimestamp(max(minute)) AS m FROM ${s.table(table)} WHERE ${keyWhere(key)}`);
  return Number(r?.m ?? 0);
}

// --- trends ---------------------------------------------------------------------------

export interface TrendStateRow {
  hashtag: string; last_state: string; last_posts: string; last_authors: string; last_velocity: number; last_score: number;
  last_inauthentic: number; ws_ts: number; we_ts: number; started_ts: number; updated_ts: number;
}

/** The latest trend event of every hashtag whose trend has not ended, best score first (at most 1000). */
export function currentTrends(s: ApiStore): Promise<TrendStateRow[]> {
  const arg = (col: string) => `argMax(${col}, (window_end, ${TREND_RANK}))`;
  return s.rows<TrendStateRow>(`
    SELECT hashtag, last_state, last_posts, last_authors, last_velocity, last_score, last_inauthentic, ws_ts, we_ts, started_ts, updated_ts
    FROM (
      SELECT hashtag, ${arg('state')} AS last_state, ${arg('posts')} AS last_posts, ${arg('authors')} AS last_authors,
             ${arg('velocity')} AS last_velocity, ${arg('score')} AS last_score, ${arg('inauthentic')} AS last_inauthentic,
             toUnixTimestamp(${arg('window_start')}) AS ws_ts, toUnixTimestamp(max(window_end)) AS we_ts,
             toUnixTimestamp(maxIf(detected_at, state = 'started')) AS started_ts, toUnixTimestamp(max(detected_at)) AS updated_ts
      FROM ${s.table('trends')} FINAL GROUP BY hashtag
    ) WHERE last_state != 'ended' ORDER BY last_score DESC, hashtag LIMIT 1000`);
}

export interface TagMinuteRow { hashtag: string; m: number; posts: string; authors: string }
/** Minute counts of the given hashtags in [from, to] (inclusive: `to` is the newest decided minute). */
export function tagMinutes(s: ApiStore, tags: readonly string[], from: number, to: number): Promise<TagMinuteRow[]> {
  return s.rows<TagMinuteRow>(`
    SELECT hashtag, toUnixTimestamp(minute) AS m, posts, authors FROM ${s.table('hashtag_minute')} FINAL
    WHERE hashtag IN (${list(tags)}) AND minute >= ${time(from)} AND minute <= ${time(to)}`);
}

export interface TagVelocityRow { hashtag: string; we: number; velocity: number }
/** Velocity of every trend event of the given hashtags whose window ends in (from, to]. */
export function tagVelocities(s: ApiStore, tags: readonly string[], from: number, to: number): Promise<TagVelocityRow[]> {
  return s.rows<TagVelocityRow>(`
    SELECT hashtag, toUnixTimestamp(window_end) AS we, velocity FROM ${s.table('trends')} FINAL
    WHERE hashtag IN (${list(tags)}) AND window_end > ${time(from)} AND window_end <= ${time(to)}`);
}

export interface TrendEventRow {
  id: string; state: string; detected_ts: number; ws_ts: number; we_ts: number; posts: string; authors: string; velocity: number; score: number; inauthentic: number;
}
/** The newest 200 trend events of a hashtag, newest first. */
export function trendEvents(s: ApiStore, tag: string): Promise<TrendEventRow[]> {
  return s.rows<TrendEventRow>(`
    SELECT id, state, toUnixTimestamp(detected_at) AS detected_ts, toUnixTimestamp(window_start) AS ws_ts, toUnixTimestamp(window_end) AS we_ts,
           posts, authors, velocity, score, inauthentic
    FROM ${s.table('trends')} FINAL WHERE hashtag = ${quote(tag)} ORDER BY window_end DESC, ${TREND_RANK} DESC LIMIT 200`);
}

export interface TagSummaryRow { posts: string; authors: string; young_n: string; negative_n: string; toxic_n: string; sentiment_avg: number | null }
export interface TagAuthorRow { author_id: string; handle: string; followers: number; created_ts: number; young_posts: string; posts: string }
export interface TagSampleRow {
  platform: string; id: string; created_ts: number; author_id: string; author_handle: string; text: string; lang: string;
  likes: number; reposts: number; replies: number; sentiment: number; negative: number; toxic: number;
}
export interface TagContextRows {
  summary: TagSummaryRow | undefined;
  languages: { lang: string; posts: string }[];
  coTags: { tag: string; posts: string }[];
  authors: TagAuthorRow[];
  samples: TagSampleRow[];
}
/** What the posts with a hashtag in [from, to) say: counts, languages, co-occurring tags, top authors and the `samples` most shared posts. */
export async function tagContext(s: ApiStore, tag: string, from: number, to: number, samples: number): Promise<TagContextRows> {
  const tq = quote(tag);
  const posts = `${s.table('posts')} FINAL`;
  const where = `has(hashtags, ${tq}) AND created_at >= ${time(from)} AND created_at < ${time(to)}`;
  const [summary, languages, coTags, authors, sampled] = await Promise.all([
    s.one<TagSummaryRow>(`
      SELECT count() AS posts, uniqExact(author_id) AS authors, sum(${YOUNG}) AS young_n, sum(negative) AS negative_n, sum(toxic) AS toxic_n,
             avg(sentiment) AS sentiment_avg
      FROM ${posts} WHERE ${where}`),
    s.rows<{ lang: string; posts: string }>(`SELECT lang, count() AS posts FROM ${posts} WHERE ${where} GROUP BY lang ORDER BY posts DESC, lang LIMIT 10`),
    s.rows<{ tag: string; posts: string }>(`
      SELECT co AS tag, count() AS posts FROM ${posts} ARRAY JOIN hashtags AS co
      WHERE ${where} AND co != ${tq} GROUP BY co ORDER BY posts DESC, co LIMIT 10`),
    s.rows<TagAuthorRow>(`
      SELECT author_id, any(author_handle) AS handle, max(author_followers) AS followers, toUnixTimestamp(min(author_created_at)) AS created_ts,
             sum(${YOUNG}) AS young_posts, count() AS posts
      FROM ${posts} WHERE ${where} GROUP BY author_id ORDER BY posts DESC, author_id LIMIT 10`),
    s.rows<TagSampleRow>(`
      SELECT platform, id, toUnixTimestamp(created_at) AS created_ts, author_id, author_handle, text, lang, likes, reposts, replies, sentiment, negative, toxic
      FROM ${posts} WHERE ${where} ORDER BY likes + reposts DESC, created_at DESC, id LIMIT ${int(samples)}`),
  ]);
  return { summary, languages, coTags, authors, samples: sampled };
}

// --- series ---------------------------------------------------------------------------

export interface HashtagMinuteRow { m: number; posts: string; authors: string; young: string; negative: string; toxic: string }
export function hashtagSeries(s: ApiStore, tag: string, from: number, to: number): Promise<HashtagMinuteRow[]> {
  return s.rows<HashtagMinuteRow>(`
    SELECT toUnixTimestamp(minute) AS m, posts, authors, young, negative, toxic FROM ${s.table('hashtag_minute')} FINAL
    WHERE hashtag = ${quote(tag)} AND minute >= ${time(from)} AND minute < ${time(to)} ORDER BY minute`);
}

export interface HashtagEventRow { id: string; state: string; detected_ts: number; we_ts: number; velocity: number; inauthentic: number }
/** Trend events of a hashtag whose window ends in (from, to], oldest first. */
export function hashtagEvents(s: ApiStore, tag: string, from: number, to: number): Promise<HashtagEventRow[]> {
  return s.rows<HashtagEventRow>(`
    SELECT id, state, toUnixTimestamp(detected_at) AS detected_ts, toUnixTimestamp(window_end) AS we_ts, velocity, inauthentic FROM ${s.table('trends')} FINAL
    WHERE hashtag = ${quote(tag)} AND window_end > ${time(from)} AND window_end <= ${time(to)} ORDER BY window_end, ${TREND_RANK}`);
}

/** Whether a watch has any minute rows (it may have been removed from the list since). */
export async function watchKnown(s: ApiStore, watch: string): Promise<boolean> {
  const r = await s.one<{ n: string }>(`SELECT count() AS n FROM ${s.table('watch_minute')} WHERE watch = ${quote(watch)}`);
  return Number(r?.n ?? 0) > 0;
}

export interface WatchMinuteRow extends HashtagMinuteRow { pressure: string }
export function watchSeries(s: ApiStore, watch: string, from: number, to: number): Promise<WatchMinuteRow[]> {
  return s.rows<WatchMinuteRow>(`
    SELECT toUnixTimestamp(minute) AS m, posts, authors, young, negative, toxic, pressure FROM ${s.table('watch_minute')} FINAL
    WHERE watch = ${quote(watch)} AND minute >= ${time(from)} AND minute < ${time(to)} ORDER BY minute`);
}

export interface WatchAlertRow { id: string; state: string; severity: number; detected_ts: number }
/** Alert events of a watch detected in [from, to + 10 min): an alert decides a little after its minute. */
export function watchAlerts(s: ApiStore, watch: string, from: number, to: number): Promise<WatchAlertRow[]> {
  return s.rows<WatchAlertRow>(`
    SELECT id, state, severity, toUnixTimestamp(detected_at) AS detected_ts FROM ${s.table('alerts')} FINAL
    WHERE watch = ${quote(watch)} AND detected_at >= ${time(from)} AND detected_at < ${time(to + 600)} ORDER BY detected_at, id`);
}

// --- alerts ---------------------------------------------------------------------------

export interface AlertRow {
  id: string; state: string; watch: string; severity: number; detected_ts: number; posts: string;
  negative_share: number; inauthentic: number; reasons: string; summary: string; samples: string;
}
/** The newest 20 000 alert events, newest first. */
export function alertEvents(s: ApiStore): Promise<AlertRow[]> {
  return s.rows<AlertRow>(`
    SELECT id, state, watch, severity, toUnixTimestamp(detected_at) AS detected_ts, posts, negative_share, inauthentic, reasons, summary, samples
    FROM ${s.table('alerts')} FINAL ORDER BY detected_at DESC, id DESC LIMIT 20000`);
}

export interface FeedbackRow { alert_id: string; kind: string; verdict: string; note: string; actor: string; created_ts: number }
/** Acknowledgements and feedback given on the given alert events, oldest first. */
export async function alertFeedback(s: ApiStore, ids: readonly string[]): Promise<FeedbackRow[]> {
  if (!ids.length) return [];
  return s.rows<FeedbackRow>(`SELECT alert_id, kind, verdict, note, actor, toUnixTimestamp(created_at) AS created_ts FROM ${s.table('alert_feedback')}
    WHERE alert_id IN (${list(ids)}) ORDER BY created_at, alert_id`);
}

export interface SamplePostRow { platform: string; id: string; post_text: string; handle: string; post_lang: string; created_ts: number }
/** The posts with the given ids created in [from, to]: the time bound lets ClickHouse skip old partitions. */
export async function samplePosts(s: ApiStore, ids: readonly string[], from: number, to: number): Promise<SamplePostRow[]> {
  if (!ids.length) return [];
  return s.rows<SamplePostRow>(`
    SELECT platform, id, any(text) AS post_text, any(author_handle) AS handle, any(lang) AS post_lang, toUnixTimestamp(min(created_at)) AS created_ts
    FROM ${s.table('posts')} WHERE created_at >= ${time(from)} AND created_at <= ${time(to)} AND id IN (${list(ids)})
    GROUP BY platform, id`);
}

/** The watch of an alert event, or undefined when there is no such event. */
export async function alertWatch(s: ApiStore, id: string): Promise<string | undefined> {
  return (await s.one<{ watch: string }>(`SELECT watch FROM ${s.table('alerts')} WHERE id = ${quote(id)} LIMIT 1`))?.watch;
}

export interface FeedbackInsert { alert_id: string; watch: string; kind: 'ack' | 'feedback'; verdict: string; note: string; actor: string }
/** Stores an acknowledgement or feedback at `now` (epoch ms). */
export async function insertFeedback(s: ApiStore, row: FeedbackInsert, now: number): Promise<void> {
  try {
    await s.store.insert({ table: s.table('alert_feedback'), values: [{ ...row, created_at: chTime(now) }], format: 'JSONEachRow' });
  } catch (e) { throw new StoreUnavailableError('insert', e); }
}
