// Stage A's pure core: enrich each post (language, sentiment, toxicity,
// watches) and pre-aggregate per (key, minute) into mergeable Aggregates, where key is
// `t:<hashtag>` or `w:<watch id>`. Merging is order-independent, so the live pipeline with
// any batching and partitioning builds exactly the minute aggregates `detect` builds.
import { ALL_KEY, byText, bySample, emptyAggregate, SAMPLES, tagKey, TEXT_SAMPLE, watchKey, type Aggregate, type Sample } from '../schemas/counts.js';
import type { EnrichedPost } from '../schemas/enriched.js';
import type { Post } from '../schemas/post.js';
import { hash32 } from '../schemas/sketch.js';
import type { WatchMatcher } from '../schemas/watches.js';
import { minuteOf } from './stream-time.js';
import { analyseText } from './text/sentiment.js';
import { simhash } from './text/simhash.js';

const YOUNG_MS = 30 * 86_400_000;

export interface Enriched extends EnrichedPost {
  mentioned: string[];
  /** Hashes computed once per post, whatever number of keys it counts for. */
  authorHash: number;
  idHash: number;
  young: boolean;
  simhash?: number;
}

/** Adds language and text scores and the matching watches to a post. */
export function enrich(post: Post, matcher: WatchMatcher | null): Enriched {
  const { lang, scores } = analyseText(post.text, post.lang);
  const m = matcher ? matcher.match(post) : { watches: [], mentioned: [] };
  const young = (post.author.created_at !== null && post.created_at - post.author.created_at < YOUNG_MS) || post.author.followers === 0;
  return { post, lang, scores, watches: m.watches, mentioned: m.mentioned, authorHash: hash32(post.author.id), idHash: hash32(`${post.platform}:${post.id}`), young };
}

/** Adds one enriched post to an aggregate. */
function addPost(a: Aggregate, e: Enriched, mentioned: boolean): void {
  const p = e.post;
  a.posts++;
  a.authors.add(e.authorHash);
  if (e.young) a.young++;
  if (e.scores.negative) a.negative++;
  if (e.scores.positive) a.positive++;
  if (e.scores.toxic) a.toxic++;
  a.sentiment_milli += Math.round(e.scores.sentiment * 1000);
  a.arousal_milli += Math.round(e.scores.arousal * 1000);
  if (mentioned) a.pressure++;
  const idHash = e.idHash;
  if (a.texts.length < TEXT_SAMPLE || idHash < a.texts[a.texts.length - 1]!.id_hash) {
    insertBounded(a.texts, { id_hash: idHash, simhash: (e.simhash ??= simhash(p.text)) }, byText, TEXT_SAMPLE);
  }
  const s: Sample = { platform: p.platform, id: p.id, score: 1 + p.metrics.likes + 2 * p.metrics.reposts + p.metrics.replies, negative: e.scores.negative };
  if (a.samples.length < SAMPLES || bySample(s, a.samples[a.samples.length - 1]!) < 0) insertBounded(a.samples, s, bySample, SAMPLES);
}

/** Inserts `x` into the sorted `list` at its place (stable), keeping at most `max` entries. */
function insertBounded<T>(list: T[], x: T, cmp: (a: T, b: T) => number, max: number): void {
  let i = list.length;
  while (i > 0 && cmp(x, list[i - 1]!) < 0) i--;
  if (i >= max) return;
  list.splice(i, 0, x);
  if (list.length > max) list.length = max;
}

/** One minute's aggregates in a builder, by tag and by watch id (no key string built per post). */
interface MinuteAggs { all: Aggregate; tags: Map<string, Aggregate>; watches: Map<string, Aggregate> }

/** Pre-aggregates a batch of enriched posts into one Aggregate per (key, minute). */
export class AggregateBuilder {
  private readonly minutes = new Map<number, MinuteAggs>();

  add(e: Enriched): void {
    const minute = minuteOf(e.post.created_at);
    let m = this.minutes.get(minute);
    if (!m) { m = { all: emptyAggregate(ALL_KEY, minute), tags: new Map(), watches: new Map() }; this.minutes.set(minute, m); }
    // The whole stream's volume: detectors measure each key against it, so the daily rhythm cancels out.
    m.all.posts++;
    m.all.authors.add(e.authorHash);
    for (const tag of e.post.hashtags) addPost(aggregateIn(m.tags, tag, tagKey, minute), e, false);
    for (const w of e.watches) addPost(aggregateIn(m.watches, w, watchKey, minute), e, e.mentioned.includes(w));
  }

  /** The aggregates built so far, sorted by key then minute, and a fresh start. */
  drain(): Aggregate[] {
    const out: Aggregate[] = [];
    for (const m of this.minutes.values()) out.push(m.all, ...m.tags.values(), ...m.watches.values());
    this.minutes.clear();
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.minute - b.minute));
  }
}

function aggregateIn(map: Map<string, Aggregate>, name: string, key: (name: string) => string, minute: number): Aggregate {
  let a = map.get(name);
  if (!a) { a = emptyAggregate(key(name), minute); map.set(name, a); }
  return a;
}
