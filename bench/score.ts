// Scoring of detection events against a scenario's labels (CONTRACTS §5). Pure.
import type { Labels } from '../sim/generator.js';
import type { DetectionEvent, ImpersonationEvent } from '../schemas/events.js';

export interface Score {
  labelled: number;
  caught: number;
  falsePositives: number;
  delaysMs: number[];
  /** Labelled inauthentic trends, and those caught as such (flagged, or not detected at all). */
  inauthentic: { labelled: number; caught: number };
  missed: string[];
  falseKeys: string[];
}

const EARLY = 60_000;
const LATE = 15 * 60_000;

/** Scores one kind of detection (trends or alerts) for one scenario. */
export function scoreKind(kind: 'trend' | 'alert', events: readonly DetectionEvent[], labels: Labels): Score {
  const detections = events.filter((e) => (kind === 'trend' ? e.type === 'trend' && e.state === 'started' : e.type === 'alert' && e.state === 'opened'));
  const keyOf = (e: DetectionEvent) => (e.type === 'trend' ? e.hashtag : e.watch);
  const labelled = kind === 'trend'
    ? labels.trends.map((t) => ({ key: t.hashtag, onset: Date.parse(t.onset), inauthentic: t.inauthentic }))
    : labels.firestorms.map((f) => ({ key: f.watch, onset: Date.parse(f.onset), inauthentic: false }));
  const optional = new Set(kind === 'trend' ? labels.optional_trends : []);
  const s: Score = { labelled: 0, caught: 0, falsePositives: 0, delaysMs: [], inauthentic: { labelled: 0, caught: 0 }, missed: [], falseKeys: [] };
  if (kind === 'trend' && labels.ignore_trends) return s;
  const byKey = new Map<string, DetectionEvent[]>();
  for (const d of detections) byKey.set(keyOf(d), [...(byKey.get(keyOf(d)) ?? []), d]);
  const labelledKeys = new Set(labelled.map((l) => l.key));
  for (const l of labelled) {
    const ds = byKey.get(l.key) ?? [];
    if (l.inauthentic) {
      // Caught when never detected, or every detection says inauthentic; detected as organic it is a false positive.
      s.inauthentic.labelled++;
      if (ds.every((d) => d.inauthentic)) s.inauthentic.caught++;
      else { s.falsePositives += ds.filter((d) => !d.inauthentic).length; s.falseKeys.push(l.key); }
      continue;
    }
    s.labelled++;
    const [first, ...rest] = ds;
    const at = first ? Date.parse(first.detected_at) : NaN;
    if (first && at >= l.onset - EARLY && at <= l.onset + LATE) {
      s.caught++;
      s.delaysMs.push(at - l.onset);
      s.falsePositives += rest.length;
      if (rest.length) s.falseKeys.push(`${l.key} (+${rest.length} episodes)`);
    } else {
      s.missed.push(l.key);
      s.falsePositives += ds.length;
    }
  }
  for (const [key, ds] of byKey) {
    if (labelledKeys.has(key) || optional.has(key)) continue;
    s.falsePositives += ds.length;
    s.falseKeys.push(key);
  }
  return s;
}

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.ceil(i)]! - s[lo]!) * (i - lo);
}

export interface ImpersonationScore { labelled: number; caught: number; falsePositives: number; missed: string[]; falseKeys: string[] }

/**
 * Impersonation (CONTRACTS §4): a labelled (watch, account) is caught when an `opened`
 * impersonation event names it; every other opened event is a false positive.
 */
export function scoreImpersonation(events: readonly ImpersonationEvent[], labels: Labels): ImpersonationScore {
  const key = (watch: string, account: string) => `${watch} ${account}`;
  const truth = new Set((labels.impersonators ?? []).map((l) => key(l.watch, l.account)));
  const found = new Set(events.filter((e) => e.type === 'impersonation' && e.state === 'opened').map((e) => key(e.watch, `${e.account.platform}:${e.account.id}`)));
  const s: ImpersonationScore = { labelled: truth.size, caught: 0, falsePositives: 0, missed: [], falseKeys: [] };
  for (const k of truth) if (found.has(k)) s.caught++; else s.missed.push(k);
  for (const k of found) if (!truth.has(k)) { s.falsePositives++; s.falseKeys.push(k); }
  return s;
}
