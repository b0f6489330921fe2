// Stage B's event-time core: merges partial aggregates into per-minute buckets,
// tracks the watermark as the minimum of the upstream sources' stream times minus the
// allowed lateness, and decides each minute, in order, once the watermark has passed it.
// Pure: the live stage B and `detect` drive it the same way and get the same decisions.
// A minute holds at most `maxTags` hashtag keys (issue 20: distinct keys come from outside):
// the ones kept are those with the smallest (hash, key), whatever order partials arrive in,
// and every other hashtag's counts merge into the minute's OVERFLOW_KEY, so totals still add up.
import { MINUTE } from './stream-time.js';
import { type Aggregate, emptyAggregate, mergeInto, tagKey } from '../schemas/counts.js';
import { hash32 } from '../schemas/sketch.js';
import { aggIn, aggOut, numIn, numOut } from './snapshot.js';

export interface WindowsSnapshot {
  open: [number, string[]][];
  sources: [number, number | string][];
  expected: number;
  decidedUpTo: number | string;
  latePosts: number;
}

/** A closed minute: every key's complete aggregate, sorted by key. */
export interface MinuteDecision {
  minute: number;
  /** The stream time at which the minute became decidable: minute end + allowed lateness. */
  decidedAt: number;
  aggregates: Aggregate[];
}

/** The hashtags beyond a minute's bound, counted as one (an empty tag, which no post can carry). */
export const OVERFLOW_KEY = tagKey('');
/**
 * Default bound on hashtag keys per open minute and stage B partition: far above real traffic
 * (the bench's 1,000,000 distinct tags an hour are about 17,000 a minute over all partitions).
 */
export const DEFAULT_MAX_TAGS = 50_000;

/** A tag key's rank for the bound: smaller ranks are kept. Total order, independent of arrival. */
interface Ranked { hash: number; key: string }
const above = (a: Ranked, b: Ranked): boolean => a.hash > b.hash || (a.hash === b.hash && a.key > b.key);

/** One open minute: its aggregates by key, and its tag keys in a max-heap by rank (the first to give way on top). */
class Minute {
  readonly aggs = new Map<string, Aggregate>();
  private readonly heap: Ranked[] = [];

  constructor(readonly minute: number) {}

  /** Merges `p` under its key, or under OVERFLOW_KEY when `max` tags of smaller rank hold the minute. */
  add(p: Aggregate, max: number): void {
    const cur = this.aggs.get(p.key);
    if (cur) { mergeInto(cur, p); return; }
    let key = p.key;
    if (key.startsWith('t:') && key !== OVERFLOW_KEY) {
      const r = { hash: hash32(key), key };
      if (this.heap.length < max) this.push(r);
      else if (max > 0 && above(this.heap[0]!, r)) {
        const out = this.heap[0]!;
        this.heap[0] = r;
        this.down();
        this.into(OVERFLOW_KEY, this.aggs.get(out.key)!);
        this.aggs.delete(out.key);
      } else key = OVERFLOW_KEY;
    }
    this.into(key, p);
  }

  private into(key: string, p: Aggregate): void {
    let a = this.aggs.get(key);
    if (!a) { a = emptyAggregate(key, this.minute); this.aggs.set(key, a); }
    mergeInto(a, p);
  }

  private push(r: Ranked): void {
    const h = this.heap;
    let i = h.push(r) - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!above(r, h[up]!)) break;
      h[i] = h[up]!; i = up;
    }
    h[i] = r;
  }

  private down(): void {
    const h = this.heap;
    const r = h[0]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= h.length) break;
      if (c + 1 < h.length && above(h[c + 1]!, h[c]!)) c++;
      if (!above(h[c]!, r)) break;
      h[i] = h[c]!; i = c;
    }
    h[i] = r;
  }
}

export class MinuteWindows {
  private readonly open = new Map<number, Minute>();
  private readonly sources = new Map<number, number>();
  private expected = 1;
  /** Minutes before this (epoch ms, a minute boundary) are decided; −Infinity before the first. */
  decidedUpTo = -Infinity;
  /** Partials that arrived after their minute was decided (counted, then dropped). */
  latePosts = 0;

  /** `maxTags`: hashtag keys held per open minute (the rest count under OVERFLOW_KEY). */
  constructor(readonly latenessMs: number, readonly maxTags = DEFAULT_MAX_TAGS) {}

  /** Merges a partial into its minute; returns false (and counts it) when that minute is already decided. */
  add(p: Aggregate): boolean {
    if (p.minute < this.decidedUpTo) { this.latePosts += p.posts; return false; }
    let m = this.open.get(p.minute);
    if (!m) { m = new Minute(p.minute); this.open.set(p.minute, m); }
    m.add(p, this.maxTags);
    return true;
  }

  /** Records that upstream `source` (one of `sources`) has seen everything up to `streamTime`. */
  progress(source: number, sources: number, streamTime: number): void {
    this.expected = sources;
    const prev = this.sources.get(source) ?? -Infinity;
    if (streamTime > prev) this.sources.set(source, streamTime);
  }

  /** The stream time all sources have reached (−Infinity until every source reported). */
  streamTime(): number {
    if (this.sources.size < this.expected) return -Infinity;
    let min = Infinity;
    for (const [src, t] of this.sources) if (src < this.expected && t < min) min = t;
    return min;
  }

  watermark(): number { return this.streamTime() - this.latenessMs; }

  /** Decides, in order, every minute whose end the watermark has passed (empty minutes included once data began). */
  decide(): MinuteDecision[] {
    const w = this.watermark();
    const out: MinuteDecision[] = [];
    let next = this.decidedUpTo;
    if (next === -Infinity) {
      if (this.open.size === 0) return out;
      next = Math.min(...this.open.keys());
    }
    while (next + MINUTE <= w) {
      const m = this.open.get(next);
      const aggregates = m ? [...m.aggs.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : [];
      this.open.delete(next);
      out.push({ minute: next, decidedAt: next + MINUTE + this.latenessMs, aggregates });
      next += MINUTE;
      this.decidedUpTo = next;
    }
    return out;
  }

  /** Every field, explicitly (open minutes and keys in insertion order): see processors/snapshot.ts. */
  snapshot(): WindowsSnapshot {
    return {
      open: [...this.open].map(([minute, m]) => [minute, [...m.aggs.values()].map(aggOut)]),
      sources: [...this.sources].map(([src, t]) => [src, numOut(t)]),
      expected: this.expected, decidedUpTo: numOut(this.decidedUpTo), latePosts: this.latePosts,
    };
  }

  static fromSnapshot(s: WindowsSnapshot, latenessMs: number, maxTags = DEFAULT_MAX_TAGS): MinuteWindows {
    const w = new MinuteWindows(latenessMs, maxTags);
    for (const [, aggs] of s.open) for (const x of aggs) w.add(aggIn(x));
    for (const [src, t] of s.sources) w.sources.set(src, numIn(t));
    w.expected = s.expected;
    w.decidedUpTo = numIn(s.decidedUpTo);
    w.latePosts = s.latePosts;
    return w;
  }

  /** Number of open (key, minute) buckets: for the memory gauge. */
  get openBuckets(): number { let n = 0; for (const m of this.open.values()) n += m.aggs.size; return n; }
}
