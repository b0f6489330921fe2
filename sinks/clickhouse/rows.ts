// Row mappers from topic records to ClickHouse table rows (JSONEachRow). Pure.
import { chTime } from '../../lib/clickhouse/sql.js';
import type { EnrichedPost } from '../../schemas/enriched.js';
import { type DetectionEvent, type ImpersonationEvent, impersonationAlert } from '../../schemas/events.js';
import type { PostRecord } from '../../schemas/post.js';
import type { Aggregate } from '../../schemas/counts.js';

export function postRow(e: EnrichedPost & { post: PostRecord }): Record<string, unknown> {
  const p = e.post;
  return {
    platform: p.platform, id: p.id,
    created_at: chTime(p.created_at), created_at_ms: ((p.created_at % 1000) + 1000) % 1000,
    author_id: p.author.id, author_handle: p.author.handle ?? '', author_followers: p.author.followers ?? 0,
    author_created_at: chTime(p.author.created_at ?? 0),
    text: p.text, lang: e.lang, reply_to: p.reply_to ?? '', reply_to_author: p.reply_to_author ?? '', repost_of: p.repost_of ?? '',
    hashtags: p.hashtags, mentions: p.mentions, watches: e.watches,
    likes: p.metrics.likes, reposts: p.metrics.reposts, replies: p.metrics.replies,
    sentiment: e.scores.sentiment, negative: e.scores.negative ? 1 : 0, positive: e.scores.positive ? 1 : 0,
    toxic: e.scores.toxic ? 1 : 0, toxicity: e.scores.toxicity, arousal: e.scores.arousal,
    ingested_at: chTime(p.ingested_at),
  };
}

/** A complete minute aggregate as a `hashtag_minute` or `watch_minute` row, with its table. */
export function minuteRow(a: Aggregate): { table: 'hashtag_minute' | 'watch_minute'; row: Record<string, unknown> } {
  const common = {
    minute: chTime(a.minute), posts: a.posts, authors: a.authors.estimate(), authors_exact: a.authors.exact ? 1 : 0,
    young: a.young, negative: a.negative, positive: a.positive, toxic: a.toxic,
    sentiment_avg: a.posts ? a.sentiment_milli / 1000 / a.posts : 0,
  };
  if (a.key.startsWith('t:')) return { table: 'hashtag_minute', row: { hashtag: a.key.slice(2), ...common } };
  return { table: 'watch_minute', row: { watch: a.key.slice(2), ...common, pressure: a.pressure } };
}

/** A detection event as a `trends` or `alerts` row. Times arrive as ISO strings (best_effort parsing). */
export function eventRow(e: DetectionEvent | ImpersonationEvent): { table: 'trends' | 'alerts'; row: Record<string, unknown> } {
  const t = (iso: string) => chTime(Date.parse(iso));
  // Stored beside the firestorm alerts (dashboard, API): the summary names account and imitated handle, samples the post.
  if (e.type === 'impersonation') e = impersonationAlert(e);
  if (e.type === 'trend') {
    return { table: 'trends', row: { id: e.id, state: e.state, hashtag: e.hashtag, detected_at: t(e.detected_at), window_start: t(e.window_start), window_end: t(e.window_end),
      posts: e.posts, authors: e.authors, velocity: e.velocity, score: e.score, inauthentic: e.inauthentic ? 1 : 0 } };
  }
  return { table: 'alerts', row: { id: e.id, state: e.state, watch: e.watch, severity: e.severity, detected_at: t(e.detected_at), posts: e.posts,
    negative_share: e.negative_share, inauthentic: e.inauthentic ? 1 : 0, reasons: JSON.stringify(e.reasons), summary: e.summary, samples: JSON.stringify(e.samples) } };
}
