// Stage B's event-time core: merges partial aggregates into per-minute buckets,
// tracks the watermark as the minimum of the upstream sources' stream times minus the
// allowed lateness, and decides each minute, in order, once the watermark has passed it.
// Pure: the live stage B and `detect` drive it the same way and get the same decisions.
import { MINUTE } from './stream-time.js';
import { type Aggregate, emptyAggregate, mergeInto } from '../schemas/counts.js';
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

export class MinuteWindows {
  private readonly open = new Map<number, Map<string, Aggregate>>();
  private readonly sources = new Map<number, number>();
  private expected = 1;
  /** Minutes before this (epoch ms, a minute boundary) are decided; −Infinity before the first. */
  decidedUpTo = -Infinity;
  /** Partials that arrived after their minute was decided (counted, then dropped). */
  latePosts = 0;

  constructor(readonly latenessMs: number) {}

  /** Merges a partial into its minute; returns false (and counts it) when that minute is already decided. */
  add(p: Aggregate): boolean {
    if (p.minute < this.decidedUpTo) { this.latePosts += p.posts; return false; }
    let m = this.open.get(p.minute);
    if (!m) { m = new Map(); this.open.set(p.minute, m); }
    const cur = m.get(p.key);
    if (cur) mergeInto(cur, p);
    else { const a = emptyAggregate(p.key, p.minute); mergeInto(a, p); m.set(p.key, a); }
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
      const aggregates = m ? [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : [];
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
      open: [...this.open].map(([minute, m]) => [minute, [...m.values()].map(aggOut)]),
      sources: [...this.sources].map(([src, t]) => [src, numOut(t)]),
      expected: this.expected, decidedUpTo: numOut(this.decidedUpTo), latePosts: this.latePosts,
    };
  }

  static fromSnapshot(s: WindowsSnapshot, latenessMs: number): MinuteWindows {
    const w = new MinuteWindows(latenessMs);
    for (const [minute, aggs] of s.open) w.open.set(minute, new Map(aggs.map((x) => { const a = aggIn(x); return [a.key, a]; })));
    for (const [src, t] of s.sources) w.sources.set(src, numIn(t));
    w.expected = s.expected;
    w.decidedUpTo = numIn(s.decidedUpTo);
    w.latePosts = s.latePosts;
    return w;
  }

  /** Number of open (key, minute) buckets: for the memory gauge. */
  get openBuckets(): number { let n = 0; for (const m of this.open.values()) n += m.size; return n; }
}
