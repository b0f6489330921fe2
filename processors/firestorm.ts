// Shitstorm (firestorm) detection per watch (issue 4), in event time: volume against the
// watch's own baseline share of the stream, negative share against its baseline, toxicity,
// authors not seen before (firestorm crowds are ad hoc) and pressure on the target's
// handles, mapped to a severity of 1–6; an alert lifecycle with hysteresis and explained
// reasons. Baselines (issue 18) are empirical-Bayes posteriors (baseline.ts) that learn only
// from minutes normal by the watch's own measure, so neither a watch's first posts nor a
// storm defines its normal. Pure: driven by MinuteDecisions, identically by stage B and `detect`.
import { isoSeconds, round, SEVERITY_TEXT, type AlertEvent, type Reason } from '../schemas/events.js';
import { RateBaseline, ShareBaseline, type RateSnapshot, type ShareSnapshot } from './baseline.js';
import { bytesOut, minutesIn, minutesOut, u32In, type MinuteEntrySnap } from './snapshot.js';
import { authenticity, distinctAuthors } from './signals.js';
import { MINUTE } from './stream-time.js';
import type { Watch } from '../schemas/watches.js';
import type { MinuteDecision } from './windows.js';
import { ALL_KEY, type Aggregate, type Sample } from '../schemas/counts.js';

export interface FirestormConfig {
  /** Minutes the current activity is measured over. */
  windowMinutes: number;
  /** Minutes over which the crowd behind a storm (distinct hostile authors) is counted for its severity. */
  crowdMinutes: number;
  /** Volume (times the watch's normal) from which a storm needs only 60 % of the people per severity. */
  relativeVolume: number;
  /** Minutes of stream before any alert may open. */
  warmupMinutes: number;
  /** Stream minutes after which a baseline's evidence weighs half. */
  halfLifeMinutes: number;
  /** Smallest baseline share of the stream assumed for a watch. */
  floorShare: number;
  /** Consecutive calm minutes (severity below the opening level − 1) before an alert resolves. */
  resolveMinutes: number;
  /** The prior's negative share: what a watch's normal is taken to be before its posts say otherwise. */
  priorNegativeShare: number;
  /** How many posts the prior of each share weighs: it gives way once a watch has several times this many. */
  priorPosts: number;
  /** Most posts of evidence a share baseline keeps: a busy watch's older minutes are scaled down beyond it. */
  maxEvidencePosts: number;
  /** A minute above its baseline by more than this many predictive standard deviations in negative or toxic posts is not learnt; in authors, it is learnt only up to that bound. */
  normalZ: number;
  /** Authors of evidence before the volume test applies: until then the watch's level is too unknown to call a minute abnormal. */
  volumeTestAuthors: number;
}

export const DEFAULT_FIRESTORM: FirestormConfig = {
  windowMinutes: 3, crowdMinutes: 5, relativeVolume: 12, warmupMinutes: 10, halfLifeMinutes: 240, floorShare: 2e-4, resolveMinutes: 20, priorNegativeShare: 0.25,
  priorPosts: 10, maxEvidencePosts: 2000, normalZ: 3, volumeTestAuthors: 10,
};

/** Authors seen recently, as two rotating Bloom filters (today's and yesterday's). */
class SeenAuthors {
  private cur = new Uint32Array(1 << 15);
  private prev = new Uint32Array(1 << 15);
  private added = 0;
  private static bits(h: number): number[] {
    const mask = (1 << 20) - 1;
    return [h & mask, (h >>> 12 ^ Math.imul(h, 0x9e3779b1) >>> 8) & mask, (Math.imul(h, 0x85ebca6b) >>> 11) & mask];
  }
  add(h: number): void {
    for (const b of SeenAuthors.bits(h)) this.cur[b >>> 5]! |= 1 << (b & 31);
    if (++this.added > 200_000) { this.prev = this.cur; this.cur = new Uint32Array(1 << 15); this.added = 0; }
  }
  has(h: number): boolean {
    return SeenAuthors.bits(h).every((b) => (this.cur[b >>> 5]! | this.prev[b >>> 5]!) & (1 << (b & 31)));
  }
  snapshot(): SeenSnapshot { return { cur: bytesOut(this.cur), prev: bytesOut(this.prev), added: this.added }; }
  static fromSnapshot(s: SeenSnapshot): SeenAuthors {
    const x = new SeenAuthors();
    x.cur = u32In(s.cur);
    x.prev = u32In(s.prev);
    x.added = s.added;
    return x;
  }
}
interface SeenSnapshot { cur: string; prev: string; added: number }

interface WatchState {
  minutes: { minute: number; total: number; agg: Aggregate | null }[];
  /** The watch's distinct authors per post of the whole stream. */
  level: RateBaseline;
  negative: ShareBaseline;
  toxic: ShareBaseline;
  pressure: ShareBaseline;
  seen: SeenAuthors;
  alert: null | { severity: number; opened: number; calm: number; inauthentic: boolean };
}

interface WatchSnapshot {
  minutes: MinuteEntrySnap[]; level: RateSnapshot; negative: ShareSnapshot; toxic: ShareSnapshot; pressure: ShareSnapshot;
  seen: SeenSnapshot; alert: WatchState['alert'];
}
export interface FirestormSnapshot { watches: [string, WatchSnapshot][]; decided: number }

/** A watch's state, field by field (a field added to WatchState must be added here and in watchIn; the round-trip test fails otherwise). */
function watchOut(s: WatchState): WatchSnapshot {
  const a = s.alert;
  return {
    minutes: minutesOut(s.minutes), level: s.level.snapshot(), negative: s.negative.snapshot(), toxic: s.toxic.snapshot(), pressure: s.pressure.snapshot(),
    seen: s.seen.snapshot(), alert: a && { severity: a.severity, opened: a.opened, calm: a.calm, inauthentic: a.inauthentic },
  };
}

function watchIn(s: WatchSnapshot): WatchState {
  const a = s.alert;
  return {
    minutes: minutesIn(s.minutes), level: RateBaseline.fromSnapshot(s.level), negative: ShareBaseline.fromSnapshot(s.negative),
    toxic: ShareBaseline.fromSnapshot(s.toxic), pressure: ShareBaseline.fromSnapshot(s.pressure), seen: SeenAuthors.fromSnapshot(s.seen),
    alert: a && { severity: a.severity, opened: a.opened, calm: a.calm, inauthentic: a.inauthentic },
  };
}

interface Features {
  posts: number; authors: number; volume: number; negativeShare: number; toxicShare: number;
  newShare: number; pressureShare: number; severity: number; score: number;
}

const bySample = (a: Sample, b: Sample): number =>
  Number(b.negative) - Number(a.negative) || b.score - a.score || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class FirestormDetector {
  private readonly state = new Map<string, WatchState>();
  private readonly decay: number;
  private decided = 0;

  constructor(private readonly watches: () => readonly Watch[], private readonly c: FirestormConfig = DEFAULT_FIRESTORM) {
    this.decay = 2 ** (-1 / c.halfLifeMinutes);
  }

  /** A watch's current baselines (undefined before its first post): for tests and explanations. */
  baseline(watch: string): { level: number; negative: number; toxic: number; pressure: number; posts: number } | undefined {
    const s = this.state.get(watch);
    return s && { level: s.level.mean, negative: s.negative.mean, toxic: s.toxic.mean, pressure: s.pressure.mean, posts: s.negative.posts };
  }

  /** Every watch's state in insertion order; config and the watch list are not state. */
  snapshot(): FirestormSnapshot {
    return { watches: [...this.state].map(([id, s]) => [id, watchOut(s)]), decided: this.decided };
  }

  static fromSnapshot(s: FirestormSnapshot, watches: () => readonly Watch[], c: FirestormConfig = DEFAULT_FIRESTORM): FirestormDetector {
    const d = new FirestormDetector(watches, c);
    for (const [id, w] of s.watches) d.state.set(id, watchIn(w));
    d.decided = s.decided;
    return d;
  }

  /** Decides one minute for every watch; returns alert events sorted by watch. */
  onMinute(d: MinuteDecision): AlertEvent[] {
    this.decided++;
    const total = d.aggregates.find((a) => a.key === ALL_KEY)?.posts ?? 0;
    const byWatch = new Map<string, Aggregate>();
    for (const a of d.aggregates) if (a.key.startsWith('w:')) byWatch.set(a.key.slice(2), a);
    const events: AlertEvent[] = [];
    for (const w of [...this.watches()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      let s = this.state.get(w.id);
      // A watch gets state with its first post (in stage B: on the partition its key maps to).
      if (!s && !byWatch.has(w.id)) continue;
      if (!s) {
        const c = this.c;
        s = {
          minutes: [], level: new RateBaseline(c.floorShare, 0.25), negative: new ShareBaseline(c.priorNegativeShare, c.priorPosts),
          toxic: new ShareBaseline(0.02, c.priorPosts), pressure: new ShareBaseline(0.1, c.priorPosts), seen: new SeenAuthors(), alert: null,
        };
        this.state.set(w.id, s);
      }
      s.minutes.push({ minute: d.minute, total, agg: byWatch.get(w.id) ?? null });
      const left = s.minutes[s.minutes.length - 1 - this.c.windowMinutes];
      if (left) this.learn(s, left);
      if (s.minutes.length > 15) s.minutes.shift();
      const e = this.step(w, s, d);
      if (e) events.push(e);
    }
    return events;
  }

  /**
   * Learns the minute that just left the window, if it was normal by the watch's own measure:
   * its negative and toxic posts within `normalZ` predictive deviations of the baseline, its
   * authors counted at most up to that bound. A storm's minutes (and its build-up, once above
   * noise) are thus never learnt,
   * open alert or not: pausing all learning during an alert would let an alert opened on a
   * wrong early baseline hold that baseline, and itself, open for good. Evidence fades with
   * stream time.
   */
  private learn(s: WatchState, m: { total: number; agg: Aggregate | null }): void {
    if (m.agg) for (const h of m.agg.authors.values()) s.seen.add(h);
    const f = s.negative.posts * this.decay > this.c.maxEvidencePosts ? this.c.maxEvidencePosts / s.negative.posts : this.decay;
    for (const b of [s.negative, s.toxic, s.pressure]) b.scale(f);
    s.level.scale(this.decay);
    if (m.total <= 0) return;
    const z = this.c.normalZ;
    const authors = m.agg?.authors.estimate() ?? 0;
    const a = m.agg;
    if (a && a.posts > 0 && (a.negative > s.negative.upper(a.posts, z) || a.toxic > s.toxic.upper(a.posts, z))) return;
    // Volume above normal but not hostile (praise, a brand simply talked about more): learnt
    // winsorised, as if it had only the most authors a normal minute has, so a lasting rise is
    // followed step by step while one busy hour barely moves the baseline.
    const cap = s.level.count >= this.c.volumeTestAuthors ? s.level.upper(m.total, z) : Infinity;
    const w = authors > cap ? cap / authors : 1;
    s.level.add(authors * w, m.total);
    if (a && a.posts > 0) {
      s.negative.add(a.negative * w, a.posts * w);
      s.toxic.add(a.toxic * w, a.posts * w);
      s.pressure.add(a.pressure * w, a.posts * w);
    }
  }

  private features(w: Watch, s: WatchState): Features {
    const recent = s.minutes.slice(-this.c.windowMinutes);
    const aggs = recent.map((m) => m.agg).filter((a): a is Aggregate => a !== null);
    const posts = aggs.reduce((n, a) => n + a.posts, 0);
    const authors = distinctAuthors(aggs);
    const expected = Math.max(1, recent.reduce((e, m) => e + Math.max(s.level.mean, this.c.floorShare) * m.total, 0));
    const volume = authors / expected;
    const share = (k: 'negative' | 'toxic' | 'pressure') => (posts ? aggs.reduce((n, a) => n + a[k], 0) / posts : 0);
    const negativeShare = share('negative');
    const toxicShare = share('toxic');
    const pressureShare = share('pressure');
    const sample = aggs.flatMap((a) => a.authors.values());
    const newShare = sample.length ? sample.filter((h) => !s.seen.has(h)).length / sample.length : 0;
    // Outrage: how far hostility rose above the watch's own normal, weighted by how many people
    // carry it. Hostile is negative or toxic: a text model may call an insult either.
    const negLift = Math.max(0, negativeShare - Math.max(s.negative.mean, 0.1));
    const lift = Math.max(negLift, toxicShare - Math.max(s.toxic.mean, 0.05));
    const score = w.sensitivity * (Math.log2(Math.max(volume, 1)) * (0.5 + 2 * lift) + 2 * lift + Math.max(0, toxicShare - s.toxic.mean) + newShare * lift);
    let severity = 0;
    if (Math.max(negativeShare, toxicShare) >= 0.3 && lift >= 0.1) {
      // The crowd is counted over a longer run of minutes: a storm that builds slowly gathers it over more than the window.
      const crowd = s.minutes.slice(-this.c.crowdMinutes).map((m) => m.agg).filter((a): a is Aggregate => a !== null);
      const crowdPosts = crowd.reduce((n, a) => n + a.posts, 0);
      const hostile = Math.max(crowd.reduce((n, a) => n + a.negative, 0), crowd.reduce((n, a) => n + a.toxic, 0)) / Math.max(1, crowdPosts);
      const support = distinctAuthors(crowd) * hostile * w.sensitivity;
      // A small watch's storm is small in people but not against its own normal crowd: far
      // above that (volume ≥ relativeVolume), 60 % of the people make the same severity.
      const people = volume >= this.c.relativeVolume ? 0.6 : 1;
      const steps: [number, number][] = [[1, 5], [2, 12], [3.2, 25], [4.5, 60], [6, 150], [7.5, 400]]; // [score, distinct hostile authors]
      steps.forEach(([min, n], i) => { if (score >= min && support >= n * people) severity = i + 1; });
    }
    return { posts, authors, volume, negativeShare, toxicShare, newShare, pressureShare, severity, score };
  }

  private step(w: Watch, s: WatchState, d: MinuteDecision): AlertEvent | null {
    if (this.decided <= this.c.warmupMinutes) return null;
    const f = this.features(w, s);
    const a = s.alert;
    if (!a) {
      if (f.severity < w.min_severity) return null;
      s.alert = { severity: f.severity, opened: d.minute, calm: 0, inauthentic: this.inauthentic(s) };
      return this.event(w, s, d, 'opened', f);
    }
    if (f.severity > a.severity) {
      a.severity = f.severity;
      a.calm = 0;
      a.inauthentic = a.inauthentic || this.inauthentic(s);
      return this.event(w, s, d, 'escalated', f);
    }
    // Hysteresis: only well below the opening level counts as calm, and it must stay calm.
    a.calm = f.severity < w.min_severity - 1 || f.volume < 1.5 ? a.calm + 1 : 0;
    if (a.calm >= this.c.resolveMinutes) {
      const e = this.event(w, s, d, 'resolved', f);
      s.alert = null;
      return e;
    }
    return null;
  }

  private inauthentic(s: WatchState): boolean {
    return authenticity(s.minutes.slice(-5).map((m) => m.agg).filter((a): a is Aggregate => a !== null)).inauthentic;
  }

  private event(w: Watch, s: WatchState, d: MinuteDecision, state: AlertEvent['state'], f: Features): AlertEvent {
    const a = s.alert!;
    const end = isoSeconds(d.minute + MINUTE);
    const reasons: Reason[] = [
      { code: 'volume', value: round(f.volume, 1), baseline: 1 },
      { code: 'negative_share', value: round(f.negativeShare), baseline: round(s.negative.mean) },
      { code: 'toxic_share', value: round(f.toxicShare), baseline: round(s.toxic.mean) },
      { code: 'new_authors_share', value: round(f.newShare), baseline: 0 },
      { code: 'pressure_share', value: round(f.pressureShare), baseline: round(s.pressure.mean) },
    ];
    const samples = s.minutes.slice(-this.c.windowMinutes).flatMap((m) => m.agg?.samples ?? []).sort(bySample).slice(0, 3)
      .map(({ platform, id }) => ({ platform, id }));
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    const parts = [`Volume ${round(f.volume, 1)}x baseline`, `${pct(f.negativeShare)} negative (baseline ${pct(s.negative.mean)})`];
    if (f.toxicShare >= 0.1) parts.push(`${pct(f.toxicShare)} insulting or toxic`);
    if (f.newShare >= 0.5) parts.push(`${pct(f.newShare)} of authors new to ${w.name}`);
    if (a.inauthentic) parts.push('driven by bots or a coordinated campaign');
    const summary = state === 'resolved' ? `Calm again: ${parts[0]}, ${parts[1]}` : `Severity ${a.severity} (${SEVERITY_TEXT[a.severity]}): ${parts.join(', ')}`;
    return {
      id: `alert:${w.id}:${end}:${state}`, type: 'alert', state, watch: w.id, severity: a.severity,
      detected_at: isoSeconds(d.decidedAt), posts: f.posts, negative_share: round(f.negativeShare),
      inauthentic: a.inauthentic, reasons, summary, samples,
    };
  }
}
