// Ground truth from generated posts: what ClickHouse must hold once the pipeline caught up.
import { postKey, type Post } from '../schemas/post.js';
import { minuteOf } from '../processors/stream-time.js';

/** Distinct posts and per-(hashtag, minute) post counts, duplicates counted once. */
export function countTruth(posts: Iterable<Post>): { posts: number; tagMinutes: Map<string, number> } {
  const seen = new Set<string>();
  const tagMinutes = new Map<string, number>();
  for (const p of posts) {
    const k = postKey(p);
    if (seen.has(k)) continue;
    seen.add(k);
    const m = minuteOf(p.created_at);
    for (const t of p.hashtags) tagMinutes.set(`${t}|${m}`, (tagMinutes.get(`${t}|${m}`) ?? 0) + 1);
  }
  return { posts: seen.size, tagMinutes };
}

/**
 * Posts that advance every posts partition's stream time by `aheadMs` past `after`, so that
 * every minute up to `after` gets decided. They carry no hashtag and match no watch.
 */
export function closingPosts(after: number, count = 60, aheadMs = 4 * 60_000): Post[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `closer-${after}-${i}`, platform: 'generic', created_at: after + aheadMs + i, text: 'closing the window',
    author: { id: `closer-${i}`, handle: null, followers: 10, created_at: null }, lang: 'en',
    reply_to: null, reply_to_author: null, repost_of: null, hashtags: [], mentions: [], metrics: { likes: 0, reposts: 0, replies: 0 },
  }));
}
