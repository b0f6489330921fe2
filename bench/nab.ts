// The real-data part of `npm run eval`: NAB realTweets series (tweets mentioning a ticker per
// 5 minutes, with labelled anomaly windows; data/nab) turned into a post stream, scored for
// `detect` and for a plain windowed-Gaussian reference computed here on the same stream.
// Pure and deterministic apart from reading the CSV files: the same seed gives the same posts.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../sim/generator.js';
import type { Post } from '../schemas/post.js';
import type { DetectionEvent } from '../schemas/events.js';
import { minuteOf, MINUTE } from '../processors/stream-time.js';
import { normaliseHashtag } from '../schemas/normalise.js';

const STEP = 5 * MINUTE;
const DAY = 86_400_000;

export interface NabSeries {
  ticker: string;
  /** The normalised hashtag the ticker's posts carry. */
  tag: string;
  /** Start of each 5-minute bucket (epoch ms, UTC) and the tweets counted in it. */
  times: number[];
  counts: number[];
  /** Labelled anomaly windows, [start, end] epoch ms. */
  windows: [number, number][];
}

const parseTime = (s: string): number => Date.parse(s.trim().slice(0, 19).replace(' ', 'T') + 'Z');

/** Reads every `Twitter_volume_<TICKER>.csv` of `dir` with its windows from `dir/windows.json`, sorted by ticker. */
export function loadNab(dir: string): NabSeries[] {
  const windows = JSON.parse(readFileSync(path.join(dir, 'windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const out: NabSeries[] = [];
  for (const f of readdirSync(dir).filter((n) => /^Twitter_volume_.+\.csv$/.test(n)).sort()) {
    const ticker = f.slice('Twitter_volume_'.length, -4);
    const times: number[] = [];
    const counts: number[] = [];
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n').slice(1)) {
      if (!line.trim()) continue;
      const [t, v] = line.split(',');
      times.push(parseTime(t!));
      counts.push(Number(v));
    }
    const w = Object.entries(windows).find(([k]) => path.basename(k) === f)?.[1] ?? [];
    out.push({ ticker, tag: normaliseHashtag(ticker), times, counts, windows: w.map(([a, b]) => [parseTime(a), parseTime(b)]) });
  }
  return out;
}

/** Days a series covers (its first bucket to the end of its last). */
export const seriesDays = (s: NabSeries): number => (s.times[s.times.length - 1]! + STEP - s.times[0]!) / DAY;

// ---------------------------------------------------------------------------------------
// Posts

/** Authors in the shared pool; each ticker draws its own Zipf ranking over it. */
export const NAB_AUTHORS = 250_000;
const ZIPF = 0.9;
const REFERENCE_TIME = Date.parse('2015-02-01T00:00:00Z');

const WORDS = ('stock shares price earnings call today market buy sell hold long short options calls puts chart breakout support resistance '
  + 'news report quarter revenue guidance analyst upgrade downgrade target dividend split volume rally drop dip bounce gap open close '
  + 'premarket afterhours watch think looks great bad huge nice wow really again still just more less new old big small iphone watch '
  + 'cloud ads users growth deal ceo launch event keynote product sales china europe fed rates tech bull bear trade portfolio position '
  + 'week month year morning tonight tomorrow finally why how what who love hate sure maybe never always soon later lol wtf').split(' ');
const OPENERS = ['', 'RT', 'Breaking:', 'Just in:', 'Hmm', 'So', 'Ok', 'Look at', 'Heads up:', 'Wow'];

/** Zipf cumulative weights over ranks 1..n (activity of the author with that rank). */
function zipfCdf(n: number, s: number): Float64Array {
  const c = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) { acc += (r + 1) ** -s; c[r] = acc; }
  for (let r = 0; r < n; r++) c[r]! /= acc;
  return c;
}

function draw(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
  return lo;
}

/** An author's fixed profile from its index: mostly established accounts, a few young or without followers. */
function author(i: number): Post['author'] {
  const r = mulberry32(i * 7919 + 17);
  const u = r();
  const age = u < 0.02 ? r() * 25 * DAY : 60 * DAY + r() * 8 * 365 * DAY;
  const followers = r() < 0.01 ? 0 : Math.floor(Math.exp(2 + 2 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())) + 1);
  return { id: `nab-u${i}`, handle: `@nabuser${i}`, followers: Math.min(followers, 50_000_000), created_at: REFERENCE_TIME - age };
}

/** One series as posts in event-time order: each counted tweet a post at a random instant of its 5 minutes. */
function* seriesPosts(s: NabSeries, seed: number, k: number, cdf: Float64Array): Generator<Post> {
  const rnd = mulberry32(seed * 1_000_003 + k * 97 + 1);
  // Each ticker ranks the pool its own way (a multiplier coprime to the pool size): different heavy hitters per ticker.
  const mult = [7919, 104_729, 15_485_863, 2_750_159, 86_028_121, 179_424_673][k % 6]!;
  const offset = Math.floor(rnd() * NAB_AUTHORS);
  let n = 0;
  for (let b = 0; b < s.times.length; b++) {
    const offsets: number[] = [];
    for (let i = 0; i < s.counts[b]!; i++) offsets.push(Math.floor(rnd() * STEP));
    offsets.sort((x, y) => x - y);
    for (const off of offsets) {
      const rank = draw(cdf, rnd());
      const idx = (rank * mult + offset) % NAB_AUTHORS;
      // Rebuilt per post from the index (pure): no cache of a million author objects.
      const a = author(idx);
      const words: string[] = [];
      const len = 5 + Math.floor(rnd() * 8);
      for (let w = 0; w < len; w++) words.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
      const at = Math.floor(rnd() * (len + 1));
      words.splice(at, 0, rnd() < 0.5 ? `#${s.ticker}` : `$${s.ticker} #${s.ticker}`);
      if (rnd() < 0.3) words.push(`${(rnd() * 10).toFixed(1)}%`);
      const opener = OPENERS[Math.floor(rnd() * OPENERS.length)]!;
      yield {
        id: `nab-${s.ticker}-${n++}`, platform: 'twitter', created_at: s.times[b]! + off, author: a,
        text: (opener ? opener + ' ' : '') + words.join(' '), lang: 'en', reply_to: null, reply_to_author: null, repost_of: null,
        hashtags: [s.tag], mentions: [], metrics: { likes: Math.floor(rnd() * 3), reposts: 0, replies: 0 },
      };
    }
  }
}

/** Every series' posts merged into one stream in event time (ties: the series order), lazily. */
export function* nabPosts(series: readonly NabSeries[], seed = 1): Generator<Post> {
  const cdf = zipfCdf(NAB_AUTHORS, ZIPF);
  const its = series.map((s, k) => seriesPosts(s, seed, k, cdf));
  const heads = its.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let k = 0; k < heads.length; k++) {
      const h = heads[k]!;
      if (!h.done && (best < 0 || h.value.created_at < (heads[best]!.value as Post).created_at)) best = k;
    }
    if (best < 0) return;
    yield heads[best]!.value as Post;
    heads[best] = its[best]!.next();
  }
}

// ---------------------------------------------------------------------------------------
// The windowed-Gaussian reference

export interface Episode { tag: string; start: number; inauthentic: boolean }

/**
 * Per tag, the mean distinct authors a minute over the last 5 minutes against the mean and
 * standard deviation (at least √mean) of the 60 minutes before them: an episode starts when
 * that mean is at least 5 and above mean + 4 sd, and lasts while it stays above mean + 1 sd.
 * Fed posts in event-time order; an episode's start is the end of the minute that started it.
 */
export class WindowedGaussian {
  private readonly tags = new Map<string, { counts: number[]; authors: Set<string>; on: boolean }>();
  private minute = -Infinity;
  readonly episodes: Episode[] = [];

  offer(p: Post): void {
    const m = minuteOf(p.created_at);
    if (m > this.minute) { this.closeUntil(m); this.minute = m; }
    for (const tag of p.hashtags) {
      let s = this.tags.get(tag);
      if (!s) { s = { counts: [], authors: new Set(), on: false }; this.tags.set(tag, s); }
      s.authors.add(p.author.id);
    }
  }

  finish(): void { this.closeUntil(this.minute + MINUTE); }

  /** Closes every minute before `until`, tags without posts counting 0. */
  private closeUntil(until: number): void {
    if (this.minute === -Infinity) return;
    for (let m = this.minute; m < until; m += MINUTE) {
      for (const [tag, s] of this.tags) {
        s.counts.push(s.authors.size);
        s.authors.clear();
        if (s.counts.length > 65) s.counts.shift();
        if (s.counts.length < 65) continue;
        let cur = 0;
        for (let i = 60; i < 65; i++) cur += s.counts[i]!;
        cur /= 5;
        let mean = 0;
        for (let i = 0; i < 60; i++) mean += s.counts[i]!;
        mean /= 60;
        let v = 0;
        for (let i = 0; i < 60; i++) v += (s.counts[i]! - mean) ** 2;
        const sd = Math.max(Math.sqrt(v / 60), Math.sqrt(mean));
        if (!s.on && cur >= 5 && cur > mean + 4 * sd) {
          s.on = true;
          this.episodes.push({ tag, start: m + MINUTE, inauthentic: false });
        } else if (s.on && !(cur > mean + sd)) s.on = false;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Scoring

export interface NabScore {
  ticker: string;
  days: number;
  windows: number;
  caught: number;
  episodes: number;
  outside: number;
  inauthentic: number;
}

/** Trend episodes (`started` events) as start times per tag. */
export function episodesOf(events: readonly DetectionEvent[]): Episode[] {
  return events.flatMap((e) => (e.type === 'trend' && e.state === 'started' ? [{ tag: e.hashtag, start: Date.parse(e.detected_at), inauthentic: e.inauthentic }] : []));
}

/** A window is caught when an episode of its ticker starts inside it; an episode starting outside all of them is a false positive. */
export function scoreNab(series: readonly NabSeries[], episodes: readonly Episode[]): NabScore[] {
  return series.map((s) => {
    const mine = episodes.filter((e) => e.tag === s.tag);
    const inside = (t: number, [a, b]: [number, number]) => t >= a && t <= b;
    return {
      ticker: s.ticker, days: seriesDays(s), windows: s.windows.length,
      caught: s.windows.filter((w) => mine.some((e) => inside(e.start, w))).length,
      episodes: mine.length,
      outside: mine.filter((e) => !s.windows.some((w) => inside(e.start, w))).length,
      inauthentic: mine.filter((e) => e.inauthentic).length,
    };
  });
}

/** The sum over series, with the rates the targets are stated in. */
export function totalNab(rows: readonly NabScore[]) {
  const sum = (f: (r: NabScore) => number) => rows.reduce((n, r) => n + f(r), 0);
  const windows = sum((r) => r.windows);
  const caught = sum((r) => r.caught);
  const episodes = sum((r) => r.episodes);
  const outside = sum((r) => r.outside);
  const days = sum((r) => r.days);
  return { windows, caught, recall: caught / windows, episodes, outside, days, outsidePerDay: outside / days, inauthenticShare: episodes ? sum((r) => r.inauthentic) / episodes : 0 };
}
