// Trend detection: per hashtag, distinct authors over a short window against the tag's baseline
// share of the rest of the stream (the daily rhythm cancels out; a big tag does not feed its own
// expectation), quarter-hour day and week profiles for tags with rhythms of their own, and a
// significance that adds the tag's learnt spread (SigniTrend's EWM variance) to counting noise,
// so real volume's everyday spikes are not news. Bounded memory: detailed state for at most
// `capacity` tags; the long tail lives in a decayed Count-Min sketch.
// Pure: driven by MinuteDecisions, identically by stage B and `detect`.
import { isoSeconds, round, type TrendEvent } from '../schemas/events.js';
import { poissonLog10Tail } from './poisson.js';
import { authenticity, distinctAuthors } from './signals.js';
import { MINUTE } from './stream-time.js';
import { type MinuteDecision, OVERFLOW_KEY } from './windows.js';
import { ALL_KEY, type Aggregate } from '../schemas/counts.js';
import { bytesOut, f32In, f64In, i32In, minutesIn, minutesOut, type MinuteEntrySnap } from './snapshot.js';

export interface TrendConfig {
  /** Minutes of stream the detector only learns from before the first trend may start. */
  warmupMinutes: number;
  /** Minutes over which the current rate is measured. */
  windowMinutes: number;
  /** Distinct authors needed in the window. */
  minAuthors: number;
  /** Observed / expected distinct authors needed to start. */
  minVelocity: number;
  /** Significance needed to start: z over Poisson noise, overdispersion and the tag's learnt spread. */
  minScore: number;
  /** And the Poisson tail probability must be below 10^-minLog10P (many tags are tested every minute). */
  minLog10P: number;
  /** Relative extra variance of real counts beyond Poisson: tames high-volume tags. */
  overdispersion: number;
  /** A trend ends after this many minutes below `endVelocity`. */
  endVelocity: number;
  endMinutes: number;
  /** Half-life of the baseline share, in minutes. */
  halfLifeMinutes: number;
  /** Half-life of the share's variance, in minutes (longer: a tag's spikiness is a lasting trait). */
  varianceHalfLifeMinutes: number;
  /** Smallest baseline share of the stream's posts a tag is assumed to have. */
  floorShare: number;
  /** Tags with detailed state (memory bound). */
  capacity: number;
  /** Minutes between `updated` events of a running trend. */
  updateEveryMinutes: number;
  /** Offset of the local time zone from UTC in minutes, for the day and week profiles (Europe/Berlin in winter: 60). */
  tzOffsetMinutes: number;
  /** Multiplies the thresholds down (>1 is more sensitive). */
  sensitivity: number;
  /**
   * The sustained path, for tags already busy: a rise too small for `minVelocity` counts when
   * both halves of the last `2 × windowMinutes` are at least `sustainedVelocity` times the
   * expectation, the expectation is at least `sustainedMinExpected` authors, and the rise is
   * `sustainedScore` deviations over counting noise and the tag's learnt spread.
   */
  sustainedVelocity: number;
  sustainedMinExpected: number;
  sustainedScore: number;
  /** Minutes of stream before the sustained path may fire: a level shift needs a level. */
  sustainedWarmupMinutes: number;
}

export const DEFAULT_TRENDS: TrendConfig = {
  warmupMinutes: 10, windowMinutes: 5, minAuthors: 12, minVelocity: 3, minScore: 7, minLog10P: 8, overdispersion: 0.15,
  endVelocity: 1.5, endMinutes: 60, halfLifeMinutes: 1440, varianceHalfLifeMinutes: 4320, floorShare: 2e-4, capacity: 10_000,
  updateEveryMinutes: 5, tzOffsetMinutes: 60, sensitivity: 1,
  sustainedVelocity: 1.4, sustainedMinExpected: 30, sustainedScore: 6, sustainedWarmupMinutes: 60,
};

const HISTORY = 15;

/** A decayed Count-Min sketch of per-minute shares: the prior baseline of tags without detailed state. */
class DecayedCountMin {
  private readonly rows: Float64Array[];
  private scale = 1;
  constructor(private readonly width = 1 << 15, depth = 4, private readonly decay = 0.99) {
    this.rows = Array.from({ length: depth }, () => new Float64Array(width));
  }
  private idx(key: string, row: number): number {
    let h = 0x811c9dc5 ^ (row * 0x9e3779b1);
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    return (h >>> 0) % this.width;
  }
  /** Advances time by one minute (forward decay: new values weigh more instead of old ones being scaled). */
  tick(): void {
    this.scale /= this.decay;
    if (this.scale > 1e100) {
      for (const r of this.rows) for (let i = 0; i < r.length; i++) r[i]! /= this.scale;
      this.scale = 1;
    }
  }
  add(key: string, v: number): void {
    for (let r = 0; r < this.rows.length; r++) this.rows[r]![this.idx(key, r)]! += v * this.scale;
  }
  /** The decayed sum as an EWMA level (an over-estimate, never an under-estimate). */
  level(key: string): number {
    let min = Infinity;
    for (let r = 0; r < this.rows.length; r++) min = Math.min(min, this.rows[r]![this.idx(key, r)]!);
    return (min / this.scale) * (1 - this.decay);
  }
  snapshot(): { rows: string[]; scale: number } { return { rows: this.rows.map(bytesOut), scale: this.scale }; }
  /** Overwrites this sketch's counters with a snapshot's (same width, depth and decay: they come from the config). */
  load(s: { rows: string[]; scale: number }): void {
    s.rows.forEach((r, i) => { this.rows[i]!.set(f64In(r)); });
    this.scale = s.scale;
  }
}

const QUARTER = 15 * MINUTE;
const DAY_Q = 96;
const WEEK_Q = 7 * 96;

/**
 * A tag's own rhythm: its mean share per quarter hour of the day and of the week, each
 * learnt once a quarter hour is complete, so a slot seen yesterday (or last week) is expected.
 * Allocated at the first quarter whose mean reaches the floor share: a lower slot can never
 * raise an expectation, so the long tail of small tags carries no profile at all.
 */
interface Profile { day: Float32Array; dayAt: Int32Array; week: Float32Array; weekAt: Int32Array }
/** The quarter hour being learnt. */
interface Quarter { q: number; sum: number; n: number }

function newProfile(): Profile {
  return { day: new Float32Array(DAY_Q), dayAt: new Int32Array(DAY_Q).fill(-1), week: new Float32Array(WEEK_Q), weekAt: new Int32Array(WEEK_Q).fill(-1) };
}

/** Folds the finished quarter hour into the day and week profiles (recent days weigh half). */
function closeQuarter(s: { profile: Profile | null; quarter: Quarter }, floor: number): void {
  const { q, sum, n } = s.quarter;
  if (q < 0 || n === 0) return;
  const mean = sum / n;
  if (!s.profile && mean < floor) return;
  const p = (s.profile ??= newProfile());
  for (const [prof, at, i] of [[p.day, p.dayAt, q % DAY_Q], [p.week, p.weekAt, q % WEEK_Q]] as const) {
    prof[i] = at[i] === -1 ? mean : (prof[i]! + mean) / 2;
    at[i] = q;
  }
}

/**
 * The share a profile expects at quarter hour `q` from earlier days (and weeks) only: the most
 * of that slot and its neighbours (slots drift a little). Today's own minutes never count.
 */
function profileShare(p: Profile | null, q: number): number {
  if (!p) return 0;
  let best = 0;
  for (const [prof, at, len] of [[p.day, p.dayAt, DAY_Q], [p.week, p.weekAt, WEEK_Q]] as const) {
    for (const d of [-1, 0, 1]) {
      const i = (((q + d) % len) + len) % len;
      if (at[i]! >= 0 && at[i]! <= q + d - len + 1 && prof[i]! > best) best = prof[i]!;
    }
  }
  return best;
}

/** One minute of a tag: the rest of the stream's posts and the tag's aggregate (authors sketch, posts, young posts, text signatures). */
interface Minute { minute: number; total: number; agg: Aggregate | null }

interface TagState {
  tag: string;
  /** Per-minute history, newest last. */
  minutes: Minute[];
  level: number;
  /** EWM variance of the per-minute share (SigniTrend): the tag's own variability beyond counting noise. */
  variance: number;
  observed: number;
  /** Quarter-hour profiles over earlier days and weeks (allocated once a quarter reaches the floor share). */
  profile: Profile | null;
  quarter: Quarter;
  weight: number;
  trending: null | { since: number; calm: number; lastUpdate: number; inauthentic: boolean; windowStart: number };
}

interface TagSnapshot {
  tag: string; minutes: MinuteEntrySnap[]; level: number; variance: number; observed: number;
  profile: { day: string; dayAt: string; week: string; weekAt: string } | null;
  quarter: Quarter; weight: number; trending: TagState['trending'];
}
export interface TrendSnapshot {
  tags: TagSnapshot[]; prior: { rows: string[]; scale: number }; decided: number; totals: number[]; evicted: boolean;
}

/** A tag's state, field by field (a field added to TagState must be added here and in tagIn; the round-trip test fails otherwise). */
function tagOut(s: TagState): TagSnapshot {
  const p = s.profile;
  return {
    tag: s.tag, minutes: minutesOut(s.minutes), level: s.level, variance: s.variance, observed: s.observed,
    profile: p && { day: bytesOut(p.day), dayAt: bytesOut(p.dayAt), week: bytesOut(p.week), weekAt: bytesOut(p.weekAt) },
    quarter: { q: s.quarter.q, sum: s.quarter.sum, n: s.quarter.n }, weight: s.weight,
    trending: s.trending && { since: s.trending.since, calm: s.trending.calm, lastUpdate: s.trending.lastUpdate, inauthentic: s.trending.inauthentic, windowStart: s.trending.windowStart },
  };
}

function tagIn(s: TagSnapshot): TagState {
  const p = s.profile;
  return {
    tag: s.tag, minutes: minutesIn(s.minutes), level: s.level, variance: s.variance, observed: s.observed,
    profile: p && { day: f32In(p.day), dayAt: i32In(p.dayAt), week: f32In(p.week), weekAt: i32In(p.weekAt) },
    quarter: { q: s.quarter.q, sum: s.quarter.sum, n: s.quarter.n }, weight: s.weight,
    trending: s.trending && { since: s.trending.since, calm: s.trending.calm, lastUpdate: s.trending.lastUpdate, inauthentic: s.trending.inauthentic, windowStart: s.trending.windowStart },
  };
}

export class TrendDetector {
  private readonly tags = new Map<string, TagState>();
  private readonly prior: DecayedCountMin;
  private readonly alpha: number;
  private readonly alphaVar: number;
  private decided = 0;
  private readonly totals: number[] = [];
  /** Set once a tag was evicted: from then on a (re)admitted tag starts from the sketch's prior. */
  private evicted = false;

  constructor(private readonly c: TrendConfig = DEFAULT_TRENDS) {
    this.alpha = 1 - 2 ** (-1 / c.halfLifeMinutes);
    this.alphaVar = 1 - 2 ** (-1 / c.varianceHalfLifeMinutes);
    this.prior = new DecayedCountMin(1 << 15, 4, 1 - this.alpha);
  }

  /** Decides one minute: updates every tracked tag and returns the trend events, sorted by hashtag. */
  onMinute(d: MinuteDecision): TrendEvent[] {
    const total = d.aggregates.find((a) => a.key === ALL_KEY)?.posts ?? 0;
    this.totals.push(total);
    if (this.totals.length > HISTORY) this.totals.shift();
    this.decided++;
    this.prior.tick();
    const seen = new Set<string>();
    for (const a of d.aggregates) {
      if (!a.key.startsWith('t:') || a.key === OVERFLOW_KEY) continue;
      const tag = a.key.slice(2);
      seen.add(tag);
      if (total > 0) this.prior.add(tag, a.authors.estimate() / total);
      let s = this.tags.get(tag);
      if (!s) {
        if (a.authors.estimate() < 2 && this.tags.size >= this.c.capacity) continue;
        s = this.admit(tag);
      }
      // Measured against the rest of the stream: a tag that is much of the stream must not raise its own expectation.
      s.minutes.push({ minute: d.minute, total: Math.max(0, total - a.posts), agg: a });
    }
    const events: TrendEvent[] = [];
    for (const s of this.tags.values()) {
      if (!seen.has(s.tag)) s.minutes.push({ minute: d.minute, total, agg: null });
      // The minute that just left the scoring window joins the baseline: a window never scores against itself.
      const left = s.minutes[s.minutes.length - 1 - this.c.windowMinutes];
      if (left) this.learn(s, left);
      // The spread learns a minute only once it has left every window that scores: a rise that
      // lasts must not widen the tag's spread before the sustained path has seen it.
      if (s.minutes.length > HISTORY) this.learnSpread(s, s.minutes.shift()!);
      const e = this.score(s, d);
      if (e) events.push(e);
    }
    if (this.tags.size > this.c.capacity * 1.1) this.evict();
    return events.sort((a, b) => (a.hashtag < b.hashtag ? -1 : a.hashtag > b.hashtag ? 1 : 0));
  }

  /** The top `k` tags by distinct authors over the window, trending or not. */
  top(k: number): { hashtag: string; authors: number; trending: boolean }[] {
    return [...this.tags.values()]
      .map((s) => ({ hashtag: s.tag, authors: this.windowAuthors(s, this.c.windowMinutes), trending: s.trending !== null }))
      .sort((a, b) => b.authors - a.authors || (a.hashtag < b.hashtag ? -1 : 1)).slice(0, k);
  }

  get tracked(): number { return this.tags.size; }

  /** Everything the detector learnt, tags in insertion order (eviction breaks ties by it). Config is not state: it comes from the options. */
  snapshot(): TrendSnapshot {
    return { tags: [...this.tags.values()].map(tagOut), prior: this.prior.snapshot(), decided: this.decided, totals: [...this.totals], evicted: this.evicted };
  }

  static fromSnapshot(s: TrendSnapshot, c: TrendConfig = DEFAULT_TRENDS): TrendDetector {
    const d = new TrendDetector(c);
    for (const t of s.tags) d.tags.set(t.tag, tagIn(t));
    d.prior.load(s.prior);
    d.decided = s.decided;
    d.totals.push(...s.totals);
    d.evicted = s.evicted;
    return d;
  }

  private admit(tag: string): TagState {
    const s: TagState = {
      // Before any eviction every tag was tracked from its first post: its level starts at 0, whatever the
      // sketch's collisions say, so that partitioned stage B instances decide exactly like one `detect`.
      tag, minutes: [], level: this.evicted ? this.prior.level(tag) : 0, variance: 0, observed: 0, profile: null, quarter: { q: -1, sum: 0, n: 0 }, weight: 0, trending: null,
    };
    this.tags.set(tag, s);
    return s;
  }

  /**
   * Folds a minute that left the oldest scoring window into the variance, trending minutes included,
   * with a long memory: a tag whose real volume spikes often keeps a wide spread, so its everyday
   * spikes stop looking like news.
   */
  private learnSpread(s: TagState, m: Minute): void {
    if (m.total <= 0) return;
    const av = Math.max(this.alphaVar, 1 / Math.max(1, this.decided - HISTORY));
    const dev = (m.agg?.authors.estimate() ?? 0) / m.total - s.level;
    s.variance = (1 - av) * (s.variance + av * dev * dev);
  }

  /** Folds a minute that left the window into the level (unless the tag trends) and the profiles. */
  private learn(s: TagState, m: Minute): void {
    if (m.total <= 0) return;
    const share = (m.agg?.authors.estimate() ?? 0) / m.total;
    s.weight = s.weight * (1 - this.alpha) + (m.agg?.authors.estimate() ?? 0);
    const a = Math.max(this.alpha, 1 / Math.max(1, this.decided - this.c.windowMinutes));
    const dev = share - s.level;
    if (!s.trending) {
      s.observed++;
      // A bias-corrected EWMA over the stream's minutes (a tag's absence counts as zero share): the plain
      // mean until the stream is a half-life old, so the baseline never rests on a few first minutes.
      s.level += a * dev;
    }
    // Profiles learn recurring rhythms, trending minutes included: next week's #tatort is no news.
    const q = Math.floor((m.minute + this.c.tzOffsetMinutes * MINUTE) / QUARTER);
    if (q !== s.quarter.q) { closeQuarter(s, this.c.floorShare); s.quarter = { q, sum: 0, n: 0 }; }
    s.quarter.sum += share;
    s.quarter.n++;
  }

  private windowAuthors(s: TagState, w: number, skip = 0): number {
    const ms = s.minutes.slice(Math.max(0, s.minutes.length - w - skip), s.minutes.length - skip);
    return distinctAuthors(ms.map((m) => m.agg).filter((a): a is Aggregate => a !== null));
  }

  /** Expected distinct authors over the last `w` minutes from the baseline share (and the tag's rhythm) and the stream's volume. */
  private expected(s: TagState, w: number): number {
    const base = Math.max(s.level, this.c.floorShare);
    let e = 0;
    for (const m of s.minutes.slice(-w)) {
      const q = Math.floor((m.minute + this.c.tzOffsetMinutes * MINUTE) / QUARTER);
      e += Math.max(base, profileShare(s.profile, q)) * m.total;
    }
    return e;
  }

  /**
   * The standard deviation of the window's count beyond counting noise, from the tag's learnt share
   * variance less its Poisson part, taken as fully correlated over the window (real deviations persist).
   */
  private excess(s: TagState, w: number): number {
    if (s.variance <= 0) return 0;
    let sd = 0;
    for (let i = Math.max(0, s.minutes.length - w); i < s.minutes.length; i++) {
      const r = s.minutes[i]!.total;
      if (r > 0) sd += Math.sqrt(Math.max(0, s.variance - s.level / r)) * r;
    }
    return sd;
  }

  private score(s: TagState, d: MinuteDecision): TrendEvent | null {
    const w = this.c.windowMinutes;
    const t = s.trending;
    const sens = this.c.sensitivity;
    // Most tracked tags are quiet most minutes: without enough posts in the window no trend can start.
    if (!t) {
      if (this.decided <= this.c.warmupMinutes) return null;
      let posts = 0;
      for (let i = Math.max(0, s.minutes.length - w); i < s.minutes.length; i++) posts += s.minutes[i]!.agg?.posts ?? 0;
      if (posts < this.c.minAuthors / sens) return null;
    }
    const expected = Math.max(this.expected(s, w), 0.5);
    if (!t) {
      // Distinct authors never exceed posts (the sketch's estimate by far less than 25 %): skip the merge when even
      // the posts fall short of the velocity a start needs.
      let posts = 0;
      for (let i = Math.max(0, s.minutes.length - w); i < s.minutes.length; i++) posts += s.minutes[i]!.agg?.posts ?? 0;
      if (1.25 * posts < (this.c.minVelocity / sens) * expected) return this.sustained(s, d, posts, expected);
    }
    const observed = this.windowAuthors(s, w);
    const velocity = observed / expected;
    const sigma = Math.sqrt(expected + (this.c.overdispersion * expected) ** 2 + this.excess(s, w) ** 2);
    const z = (observed - expected) / sigma;
    if (!t) {
      if (observed >= this.c.minAuthors / sens && velocity >= this.c.minVelocity / sens && z >= this.c.minScore / sens
        && observed >= 1.2 * this.windowAuthors(s, w, w) // accelerating
        && -poissonLog10Tail(observed, expected) >= this.c.minLog10P / sens) {
        const windowStart = d.minute - (w - 1) * MINUTE;
        s.trending = { since: d.minute, calm: 0, lastUpdate: d.minute, inauthentic: this.inauthentic(s), windowStart };
        return this.event(s, d, 'started', observed, velocity, z);
      }
      return this.sustained(s, d, NaN, expected);
    }
    // Calm: back near the baseline, or too few people left to make a trend at all (on a tag whose
    // baseline is tiny, one stray post is "twice the expected" and would otherwise keep it trending).
    if (velocity < this.c.endVelocity || observed < this.c.minAuthors / sens) t.calm++;
    else t.calm = 0;
    if (t.calm >= this.c.endMinutes) {
      const e = this.event(s, d, 'ended', observed, velocity, z);
      s.trending = null;
      return e;
    }
    if (d.minute - t.lastUpdate >= this.c.updateEveryMinutes * MINUTE) {
      t.lastUpdate = d.minute;
      t.inauthentic = t.inauthentic || this.inauthentic(s);
      return this.event(s, d, 'updated', observed, velocity, z);
    }
    return null;
  }

  /**
   * The sustained path: a busy tag whose level has risen by less than `minVelocity` but has stayed
   * up for two windows. Both windows must be up (a short spike fills only one, or is in the tag's
   * learnt spread), and the rise over both must stand out from counting noise and that spread; the
   * overdispersion allowance of the fast path is left out, as it is what persistence over many
   * minutes of a big count rules out. `recentPosts` is NaN when not yet counted.
   */
  private sustained(s: TagState, d: MinuteDecision, recentPosts: number, recentExpected: number): TrendEvent | null {
    const w = this.c.windowMinutes;
    const sens = this.c.sensitivity;
    const need = this.c.sustainedVelocity / sens;
    if (this.decided <= this.c.sustainedWarmupMinutes || s.minutes.length < 2 * w) return null;
    if (1.25 * recentPosts < need * recentExpected) return null;
    const expected = this.expected(s, 2 * w);
    if (expected < this.c.sustainedMinExpected / sens) return null;
    const recent = this.windowAuthors(s, w);
    if (recent < this.c.minAuthors / sens || recent < need * recentExpected) return null;
    if (this.windowAuthors(s, w, w) < need * (expected - recentExpected)) return null;
    const observed = this.windowAuthors(s, 2 * w);
    const z = (observed - expected) / Math.sqrt(expected + this.excess(s, 2 * w) ** 2);
    if (z < this.c.sustainedScore / sens) return null;
    const windowStart = d.minute - (2 * w - 1) * MINUTE;
    s.trending = { since: d.minute, calm: 0, lastUpdate: d.minute, inauthentic: this.inauthentic(s), windowStart };
    return this.event(s, d, 'started', observed, observed / expected, z);
  }

  private inauthentic(s: TagState): boolean {
    return authenticity(s.minutes.slice(-5).map((m) => m.agg).filter((a): a is Aggregate => a !== null)).inauthentic;
  }

  private event(s: TagState, d: MinuteDecision, state: TrendEvent['state'], authors: number, velocity: number, z: number): TrendEvent {
    const t = s.trending!;
    const windowEnd = d.minute + MINUTE;
    const windowStart = state === 'started' ? t.windowStart : Math.max(t.windowStart, windowEnd - HISTORY * MINUTE);
    const posts = s.minutes.filter((m) => m.minute >= windowStart && m.agg).reduce((n, m) => n + m.agg!.posts, 0);
    const end = isoSeconds(windowEnd);
    return {
      id: state === 'started' ? `trend:${s.tag}:${end}` : `trend:${s.tag}:${end}:${state}`,
      type: 'trend', state, hashtag: s.tag, detected_at: isoSeconds(d.decidedAt),
      window_start: isoSeconds(windowStart), window_end: end, posts, authors,
      velocity: round(velocity), score: round(z), inauthentic: t.inauthentic,
    };
  }

  /** Drops the tags with the least decayed activity down to capacity (never a trending one). */
  private evict(): void {
    const candidates = [...this.tags.values()].filter((s) => !s.trending).sort((a, b) => a.weight - b.weight);
    for (const s of candidates.slice(0, this.tags.size - this.c.capacity)) this.tags.delete(s.tag);
    this.evicted = true;
  }
}
