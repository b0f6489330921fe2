// Detection events (CONTRACTS §4): trend and alert events with deterministic ids, as
// written by `detect`, carried on the `trends` and `alerts` topics and stored in ClickHouse.

export interface TrendEvent {
  id: string;
  type: 'trend';
  state: 'started' | 'updated' | 'ended';
  hashtag: string;
  detected_at: string;
  window_start: string;
  window_end: string;
  posts: number;
  authors: number;
  velocity: number;
  score: number;
  inauthentic: boolean;
}

export interface Reason { code: string; value: number; baseline: number }

export interface AlertEvent {
  id: string;
  type: 'alert';
  state: 'opened' | 'escalated' | 'resolved';
  watch: string;
  severity: number;
  detected_at: string;
  posts: number;
  negative_share: number;
  inauthentic: boolean;
  reasons: Reason[];
  summary: string;
  samples: { platform: string; id: string }[];
}

export type DetectionEvent = TrendEvent | AlertEvent;

/**
 * An account that imitates a watched handle or name (CONTRACTS §4, impersonation alerts). The id
 * `impersonation:<watch>:<platform>:<account id>:opened` is the same on every replay and instance.
 */
export interface ImpersonationEvent {
  id: string;
  type: 'impersonation';
  state: 'opened' | 'resolved';
  watch: string;
  account: { platform: string; id: string; handle: string };
  /** The watched handle (or the watch's name) imitated. */
  imitates: string;
  detected_at: string;
  reasons: Reason[];
  summary: string;
  samples: { platform: string; id: string }[];
}

/** ISO 8601 UTC without milliseconds, as event ids and times use it: 2026-11-27T10:21:00Z. */
/** An impersonation's severity where it sits beside firestorm alerts: a brand-safety risk a PR team acts on, like a firestorm building. */
export const IMPERSONATION_SEVERITY = 3;

/**
 * An impersonation as the alerts table and the channels show an alert: severity 3, the summary
 * naming account and imitated handle, the deciding post as sample, flagged inauthentic.
 */
export function impersonationAlert(e: ImpersonationEvent): AlertEvent {
  return { id: e.id, type: 'alert', state: e.state === 'opened' ? 'opened' : 'resolved', watch: e.watch, severity: IMPERSONATION_SEVERITY, detected_at: e.detected_at,
    posts: e.samples.length, negative_share: 0, inauthentic: true, reasons: e.reasons, summary: `Impersonation: ${e.summary}`, samples: e.samples };
}

export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Rounds for output: stable, short numbers in events. */
export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** What each alert severity means, in words (1 = a few critical voices … 6 = out of control). */
export const SEVERITY_TEXT = ['', 'a few critical voices', 'growing criticism', 'firestorm building', 'firestorm', 'severe firestorm', 'out of control, everywhere'];
