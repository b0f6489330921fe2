// Response shaping of the query API: pure functions from the rows of serve/queries.ts to the
// response bodies declared in serve/routes.ts (times as ISO 8601, counts as numbers, alert
// events grouped into episodes, minute series with their gaps filled).
import { isoSeconds, type Reason, round } from '../schemas/events.js';
import type { Watch } from '../schemas/watches.js';
import type {
  AlertRow, FeedbackRow, HashtagEventRow, SamplePostRow, TagContextRows, TagMinuteRow, TagVelocityRow, TrendEventRow, TrendStateRow, WatchAlertRow,
} from './queries.js';
import { ALERT_ID, type AlertEpisode } from './routes.js';

/** Seconds in a minute: every time below is in epoch seconds, on whole minutes. */
export const MIN = 60;
export const iso = (seconds: number): string => isoSeconds(seconds * 1000);
const num = (v: string | number): number => Number(v);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// --- trends -----------------------------------------------------------------------------

/**
 * The current trends with their counts over the last `windowMinutes` up to minute `T` (the newest
 * decided one) and a sparkline of the hour up to it; most posts in the window first, at most `limit`.
 */
export function trendList(current: readonly TrendStateRow[], minutes: readonly TagMinuteRow[], velocities: readonly TagVelocityRow[],
  T: number, windowMinutes: number, limit: number) {
  const sparkFrom = T - 59 * MIN;
  const spark = new Map(current.map((r) => [r.hashtag, { posts: new Array<number>(60).fill(0), velocity: new Array<number | null>(60).fill(null), peakAuthors: 0, windowPosts: 0 }]));
  for (const r of minutes) {
    const s = spark.get(r.hashtag);
    const i = (r.m - sparkFrom) / MIN;
    if (!s || i < 0 || i >= 60) continue;
    s.posts[i] = num(r.posts);
    if (r.m > T - windowMinutes * MIN) { s.windowPosts += num(r.posts); s.peakAuthors = Math.max(s.peakAuthors, num(r.authors)); }
  }
  for (const r of velocities) {
    const s = spark.get(r.hashtag);
    const i = (r.we - MIN - sparkFrom) / MIN;
    if (s && i >= 0 && i < 60) s.velocity[i] = r.velocity;
  }
  return current.map((r) => {
    const s = spark.get(r.hashtag)!;
    return {
      hashtag: r.hashtag, state: r.last_state,
      started_at: r.started_ts > 0 ? iso(r.started_ts) : null, updated_at: iso(r.updated_ts),
      inauthentic: r.last_inauthentic === 1, velocity: round(r.last_velocity), score: round(r.last_score),
      detection: { window_start: iso(r.ws_ts), window_end: iso(r.we_ts), posts: num(r.last_posts), authors: num(r.last_authors) },
      window: { posts: s.windowPosts, peak_authors_per_minute: s.peakAuthors },
      spark: { from: iso(sparkFrom), step_seconds: MIN, posts: s.posts, velocity: s.velocity },
    };
  }).sort((a, b) => b.window.posts - a.window.posts || b.score - a.score || byText(a.hashtag, b.hashtag)).slice(0, limit);
}

/** The context of hashtag `tag` over [from, to); `events` newest first, as trendEvents returns them. */
export function trendContext(tag: string, from: number, to: number, events: readonly TrendEventRow[], c: TagContextRows) {
  const posts = num(c.summary?.posts ?? 0);
  const share = (x: string | undefined) => (posts ? num(x ?? 0) / posts : 0);
  const latest = events[0];
  return {
    hashtag: tag, from: iso(from), to: iso(to),
    trend: latest ? { state: latest.state, trending: latest.state !== 'ended', inauthentic: latest.inauthentic === 1, velocity: round(latest.velocity), score: round(latest.score), updated_at: iso(latest.detected_ts) } : null,
    posts, authors: num(c.summary?.authors ?? 0),
    young_share: share(c.summary?.young_n), negative_share: share(c.summary?.negative_n), toxic_share: share(c.summary?.toxic_n),
    sentiment_avg: posts ? Number(c.summary?.sentiment_avg ?? 0) : 0,
    languages: c.languages.map((r) => ({ lang: r.lang, posts: num(r.posts) })),
    co_hashtags: c.coTags.map((r) => ({ hashtag: r.tag, posts: num(r.posts) })),
    authors_top: c.authors.map((r) => ({
      author_id: r.author_id, handle: r.handle || null, followers: num(r.followers), posts: num(r.posts),
      account_created_at: r.created_ts > 0 ? iso(r.created_ts) : null, young: num(r.young_posts) > 0,
    })),
    samples: c.samples.map((r) => ({
      platform: r.platform, id: r.id, created_at: iso(r.created_ts), author_id: r.author_id, author_handle: r.author_handle || null,
      text: r.text, lang: r.lang, likes: num(r.likes), reposts: num(r.reposts), replies: num(r.replies),
      sentiment: r.sentiment, negative: r.negative === 1, toxic: r.toxic === 1,
    })),
    events: [...events].reverse().map((e) => ({
      id: e.id, state: e.state, detected_at: iso(e.detected_ts), window_start: iso(e.ws_ts), window_end: iso(e.we_ts),
      posts: num(e.posts), authors: num(e.authors), velocity: round(e.velocity), score: round(e.score), inauthentic: e.inauthentic === 1,
    })),
  };
}

// --- series -----------------------------------------------------------------------------

type Counts<R> = { [K in Exclude<keyof R, 'm'>]: number };

/**
 * One point per minute in [from, to) up to `decidedUntil` (undecided minutes are left out), with
 * every column of `rows` as a number and zero where a decided minute has no row.
 */
export function fillMinutes<R extends { m: number }>(rows: readonly R[], columns: readonly Exclude<keyof R, 'm'>[], from: number, to: number, decidedUntil: number) {
  const byMinute = new Map(rows.map((r) => [r.m, r]));
  const out: ({ minute: string } & Counts<R>)[] = [];
  for (let m = from; m < Math.min(to, Math.max(decidedUntil, from)); m += MIN) {
    const r = byMinute.get(m);
    const point = { minute: iso(m) } as { minute: string } & Counts<R>;
    for (const c of columns) (point as Record<string, unknown>)[c as string] = r ? num(r[c] as string | number) : 0;
    out.push(point);
  }
  return out;
}

/** The frame of a minute series: its range, step, how far minutes are decided and the posts in it. */
export function seriesFrame(from: number, to: number, decidedUntil: number, points: readonly { posts: number }[]) {
  return { from: iso(from), to: iso(to), step_seconds: MIN, decided_until: decidedUntil ? iso(decidedUntil) : null, total_posts: points.reduce((n, p) => n + p.posts, 0) };
}

export const hashtagSeriesEvents = (events: readonly HashtagEventRow[]) =>
  events.map((e) => ({ id: e.id, state: e.state, detected_at: iso(e.detected_ts), window_end: iso(e.we_ts), velocity: e.velocity, inauthentic: e.inauthentic === 1 }));
export const watchSeriesEvents = (alerts: readonly WatchAlertRow[]) =>
  alerts.map((a) => ({ id: a.id, state: a.state, severity: a.severity, detected_at: iso(a.detected_ts) }));

// --- alerts -----------------------------------------------------------------------------

const ALERT_RANK: Record<string, number> = { opened: 0, escalated: 1, resolved: 2 };

function parseJson<T>(s: string, fallback: T): T {
  try { return JSON.parse(s) as T; } catch { return fallback; }
}

/** The minute an alert event decided (from its deterministic id), else its detection time. */
function alertMinute(r: AlertRow): number {
  const m = ALERT_ID.exec(r.id);
  return m ? Date.parse(m[2]!) / 1000 : r.detected_ts;
}

type Episode = Omit<AlertEpisode, 'watch_name' | 'acknowledged' | 'feedback'>;

/** Groups alert events into episodes (opened → escalated… → resolved) per watch, oldest first, with the ids of their events. */
export function episodes(rows: readonly AlertRow[]): { episode: Episode; ids: string[] }[] {
  const sorted = [...rows].sort((a, b) => byText(a.watch, b.watch)
    || alertMinute(a) - alertMinute(b) || (ALERT_RANK[a.state] ?? 9) - (ALERT_RANK[b.state] ?? 9) || (a.id < b.id ? -1 : 1));
  const out: { episode: Episode; ids: string[] }[] = [];
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

/** The episodes in `state`, most recently opened first, at most `limit`. */
export function pickEpisodes(all: ReturnType<typeof episodes>, state: 'open' | 'all', limit: number) {
  return all.filter((e) => state === 'all' || e.episode.state === 'open')
    .sort((a, b) => -byText(a.episode.opened_at, b.episode.opened_at) || (a.episode.id < b.episode.id ? 1 : -1))
    .slice(0, limit);
}

/** The span of stream time (epoch seconds) the samples of `picked` were posted in: an hour around their episodes. */
export function sampleSpan(picked: ReturnType<typeof episodes>): { from: number; to: number } {
  return {
    from: Math.min(...picked.map((p) => Date.parse(p.episode.opened_at) / 1000)) - 3600,
    to: Math.max(...picked.map((p) => Date.parse(p.episode.updated_at) / 1000)) + 3600,
  };
}

/** Episodes completed with their watch's name, sample posts' text, acknowledgement and feedback. */
export function alertEpisodes(picked: ReturnType<typeof episodes>, feedback: readonly FeedbackRow[], posts: readonly SamplePostRow[], watches: readonly Watch[]): AlertEpisode[] {
  const postByKey = new Map(posts.map((p) => [`${p.platform}\n${p.id}`, p]));
  const names = new Map(watches.map((w) => [w.id, w.name]));
  return picked.map(({ episode, ids }) => {
    const mine = feedback.filter((f) => ids.includes(f.alert_id));
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
}
