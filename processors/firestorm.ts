// Shitstorm (firestorm) detection per watch (issue 4), in event time: volume against the
// watch's own baseline share of the stream, negative share against its baseline, toxicity,
// authors not seen before (firestorm crowds are ad hoc) and pressure on the target's
// handles, mapped to a severity of 1–6; an alert lifecycle with hysteresis and explained
// reasons. Pure: driven by MinuteDecisions, identically by stage B and `detect`.
import { isoSeconds, round, SEVERITY_TEXT, type AlertEvent, type Reason } from '../schemas/events.js';
import { authenticity, distinctAuthors } from './signals.js';
import { MINUTE } from './stream-time.js';
import type { Watch } from '../schemas/watches.js';
import type { MinuteDecision } from './windows.js';
import { ALL_KEY, type Aggregate, type Sample } from '../schemas/counts.js';

export interface FirestormConfig {
  /** Minutes the current activity is measured over. */
  windowMinutes: number;
  /** Minutes of stream before any alert may open (baselines learn). */
  warmupMinutes: number;
  halfLifeMinutes: number;
  /** Smallest baseline share of the stream assumed for a watch. */
  floorShare: number;
  /** Consecutive calm minutes (severity below the opening level − 1) before an alert resolves. */
  resolveMinutes: number;
  /** Baseline negative share assumed before one was learnt. */
  priorNegativeShare: number;
}

export const DEFAULT_FIRESTORM: FirestormConfig = {
  windowMinutes: 3, warmupMinutes: 10, halfLifeMinutes: 240, floorShare: 2e-4, resolveMinutes: 20, priorNegativeShare: 0.25,
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
}

interface WatchState {
  minutes: { minute: number; total: number; agg: Aggregate | null }[];
  level: number;
  negative: number;
  toxic: number;
  pressure: number;
  observed: number;
  seen: SeenAuthors;
  alert: null | { severity: number; opened: number; calm: number; inauthentic: boolean };
}

interface Features {
  posts: number; authors: number; volume: number; negativeShare: number; toxicShare: number;
  newShare: number; pressureShare: number; severity: number; score: number;
}

const bySample = (a: Sample, b: Sample): number =>
  Number(b.negative) - Number(a.negative) || b.score - a.score || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class FirestormDetector {
  private readonly state = new Map<string, WatchState>();
  private readonly alpha: number;
  private decided = 0;

  constructor(private readonly watches: () => readonly Watch[], private readonly c: FirestormConfig = DEFAULT_FIRESTORM) {
    this.alpha = 1 - 2 ** (-1 / c.halfLifeMinutes);
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
        s = { minutes: [], level: 0, negative: this.c.priorNegativeShare, toxic: 0.02, pressure: 0.1, observed: 0, seen: new SeenAuthors(), alert: null };
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

  private learn(s: WatchState, m: { total: number; agg: Aggregate | null }): void {
    if (m.agg) for (const h of m.agg.authors.values()) s.seen.add(h);
    if (s.alert || m.total <= 0) return;
    s.observed++;
    const a = this.decided <= this.c.warmupMinutes + this.c.windowMinutes ? Math.max(this.alpha, 1 / s.observed) : this.alpha;
    const authors = m.agg?.authors.estimate() ?? 0;
    s.level += a * (authors / m.total - s.level);
    if (m.agg && m.agg.posts > 0) {
      // Shares learn with the weight of the minute's posts: a quiet minute says little.
      const wgt = Math.min(1, a * m.agg.posts);
      s.negative += wgt * (m.agg.negative / m.agg.posts - s.negative);
      s.toxic += wgt * (m.agg.toxic / m.agg.posts - s.toxic);
      s.pressure += wgt * (m.agg.pressure / m.agg.posts - s.pressure);
    }
  }

  private features(w: Watch, s: WatchState): Features {
    const recent = s.minutes.slice(-this.c.windowMinutes);
    const aggs = recent.map((m) => m.agg).filter((a): a is Aggregate => a !== null);
    const posts = aggs.reduce((n, a) => n + a.posts, 0);
    const authors = distinctAuthors(aggs);
    const expected = Math.max(1, recent.reduce((e, m) => e + Math.max(s.level, this.c.floorShare) * m.total, 0));
    const volume = authors / expected;
    const share = (k: 'negative' | 'toxic' | 'pressure') => (posts ? aggs.reduce((n, a) => n + a[k], 0) / posts : 0);
    const negativeShare = share('negative');
    const toxicShare = share('toxic');
    const pressureShare = share('pressure');
    const sample = aggs.flatMap((a) => a.authors.values());
    const newShare = sample.length ? sample.filter((h) => !s.seen.has(h)).length / sample.length : 0;
    // Outrage: how far negativity rose above its own normal, weighted by how many people carry it.
    const negLift = Math.max(0, negativeShare - Math.max(s.negative, 0.1));
    const score = w.sensitivity * (Math.log2(Math.max(volume, 1)) * (0.5 + 2 * negLift) + 2 * negLift + Math.max(0, toxicShare - s.toxic) + 0.5 * newShare * negLift * 2);
    let severity = 0;
    const support = authors * w.sensitivity;
    if (negativeShare >= 0.35 && negLift >= 0.1) {
      const steps: [number, number][] = [[1, 5], [2, 12], [3.2, 25], [4.5, 60], [6, 150], [7.5, 400]]; // [score, distinct negative-leaning authors]
      steps.forEach(([min, people], i) => { if (score >= min && support * negativeShare >= people) severity = i + 1; });
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
      { code: 'negative_share', value: round(f.negativeShare), baseline: round(s.negative) },
      { code: 'toxic_share', value: round(f.toxicShare), baseline: round(s.toxic) },
      { code: 'new_authors_share', value: round(f.newShare), baseline: 0 },
      { code: 'pressure_share', value: round(f.pressureShare), baseline: round(s.pressure) },
    ];
    const samples = s.minutes.slice(-this.c.windowMinutes).flatMap((m) => m.agg?.samples ?? []).sort(bySample).slice(0, 3)
      .map(({ platform, id }) => ({ platform, id }));
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    const parts = [`Volume ${round(f.volume, 1)}x baseline`, `${pct(f.negativeShare)} negative (baseline ${pct(s.negative)})`];
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
