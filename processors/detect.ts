// The detectors behind one decided minute (trends, then firestorm alerts), and the
// in-process run over a finite post stream that `trendstream detect` and `eval` use: one
// intake, one window, the same code stage B runs — so live and offline agree.
import type { Post } from '../ingest/post.js';
import type { DetectionEvent } from './events.js';
import { PostIntake } from './intake.js';
import { DEFAULT_FIRESTORM, FirestormDetector, type FirestormConfig } from './firestorm.js';
import { DEFAULT_TRENDS, TrendDetector, type TrendConfig } from './velocity.js';
import { WatchMatcher, type Watch } from './watches.js';
import { MinuteWindows, type MinuteDecision } from './windows.js';

export interface DetectOptions {
  latenessMs: number;
  watches: Watch[];
  trends?: Partial<TrendConfig>;
  firestorm?: Partial<FirestormConfig>;
}

export class Detectors {
  readonly trends: TrendDetector;
  readonly firestorms: FirestormDetector;

  /** `watches` is read at every minute, so a changed watch list applies without a restart. */
  constructor(o: Pick<DetectOptions, 'trends' | 'firestorm'>, watches: () => readonly Watch[]) {
    this.trends = new TrendDetector({ ...DEFAULT_TRENDS, ...o.trends });
    this.firestorms = new FirestormDetector(watches, { ...DEFAULT_FIRESTORM, ...o.firestorm });
  }

  /** Every event one decided minute produces: trends, then alerts, each sorted by key. */
  onDecision(d: MinuteDecision): DetectionEvent[] {
    return [...this.trends.onMinute(d), ...this.firestorms.onMinute(d)];
  }
}

export interface DetectStats { posts: number; late: number; duplicates: number; minutes: number }

/**
 * Runs the detectors over posts in arrival order, in event time, and yields every event in
 * the order decided. At the end it flushes only what the final watermark allows.
 */
export function* detectPosts(posts: Iterable<Post>, o: DetectOptions, stats: DetectStats = { posts: 0, late: 0, duplicates: 0, minutes: 0 }): Generator<DetectionEvent> {
  const intake = new PostIntake(o.latenessMs, new WatchMatcher(o.watches));
  const windows = new MinuteWindows(o.latenessMs);
  const detectors = new Detectors(o, () => o.watches);
  let pending = 0;
  // Like stage B: a batch of partials, then a progress marker, then the decisions it allows.
  const step = function* (): Generator<DetectionEvent> {
    for (const a of intake.drain()) windows.add(a);
    windows.progress(0, 1, intake.clock.time);
    for (const d of windows.decide()) { stats.minutes++; yield* detectors.onDecision(d); }
  };
  for (const p of posts) {
    stats.posts++;
    const v = intake.offer(p).verdict;
    if (v === 'late') stats.late++;
    else if (v === 'duplicate') stats.duplicates++;
    // Deciding every few hundred posts is equivalent to deciding after each one: minutes close on the watermark only.
    if (++pending >= 500) { pending = 0; yield* step(); }
  }
  yield* step();
}
