// The detectors behind one decided minute (trends, then firestorm alerts), and the
// in-process run over a finite post stream that `trendstream detect` and `eval` use: one
// intake, one window, the same code stage B runs — so live and offline agree.
import type { Post } from '../schemas/post.js';
import type { DetectionEvent } from '../schemas/events.js';
import { PostIntake } from './intake.js';
import { DEFAULT_FIRESTORM, FirestormDetector, type FirestormConfig, type FirestormSnapshot } from './firestorm.js';
import { DEFAULT_TRENDS, TrendDetector, type TrendConfig, type TrendSnapshot } from './velocity.js';
import { WatchMatcher, type Watch } from '../schemas/watches.js';
import { MinuteWindows, type MinuteDecision } from './windows.js';

/**
 * How far behind stream time a post may arrive and still count. 60 s: on scenarios with 2 minutes
 * of disorder it decides exactly the events 120 s decides, while 30 s moved escalations by a
 * minute; more only delays every decision (README, Detection). The live default and `detect`'s.
 */
export const DEFAULT_LATENESS_MS = 60_000;

export interface DetectOptions {
  latenessMs: number;
  /** Hashtag keys per open minute (MinuteWindows); the live pipeline's processor.maxTagsPerMinute. */
  maxTagsPerMinute?: number;
  watches: Watch[];
  trends?: Partial<TrendConfig>;
  firestorm?: Partial<FirestormConfig>;
}

export interface DetectorsSnapshot { trends: TrendSnapshot; firestorms: FirestormSnapshot }

export class Detectors {
  readonly trends: TrendDetector;
  readonly firestorms: FirestormDetector;

  /** `watches` is read at every minute, so a changed watch list applies without a restart. */
  constructor(o: Pick<DetectOptions, 'trends' | 'firestorm'>, watches: () => readonly Watch[], from?: DetectorsSnapshot) {
    const tc = { ...DEFAULT_TRENDS, ...o.trends };
    const fc = { ...DEFAULT_FIRESTORM, ...o.firestorm };
    this.trends = from ? TrendDetector.fromSnapshot(from.trends, tc) : new TrendDetector(tc);
    this.firestorms = from ? FirestormDetector.fromSnapshot(from.firestorms, watches, fc) : new FirestormDetector(watches, fc);
  }

  snapshot(): DetectorsSnapshot { return { trends: this.trends.snapshot(), firestorms: this.firestorms.snapshot() }; }

  static fromSnapshot(s: DetectorsSnapshot, o: Pick<DetectOptions, 'trends' | 'firestorm'>, watches: () => readonly Watch[]): Detectors {
    return new Detectors(o, watches, s);
  }

  /** Every event one decided minute produces: trends, then alerts, each sorted by key. */
  onDecision(d: MinuteDecision): DetectionEvent[] {
    return [...this.trends.onMinute(d), ...this.firestorms.onMinute(d)];
  }
}

export interface DetectStats { posts: number; late: number; duplicates: number; minutes: number }

/**
 * The detectors over a post stream in arrival order, in event time, one post at a time:
 * the same intake, windows and detectors as the live pipeline's stages A and B.
 */
export class Detection {
  readonly stats: DetectStats = { posts: 0, late: 0, duplicates: 0, minutes: 0 };
  private readonly intake: PostIntake;
  private readonly windows: MinuteWindows;
  private readonly detectors: Detectors;
  private pending = 0;

  constructor(o: DetectOptions) {
    this.intake = new PostIntake(o.latenessMs, new WatchMatcher(o.watches));
    this.windows = new MinuteWindows(o.latenessMs, o.maxTagsPerMinute);
    this.detectors = new Detectors(o, () => o.watches);
  }

  /** Takes one post; returns the events it made decidable (usually none). */
  offer(p: Post): DetectionEvent[] {
    this.stats.posts++;
    const v = this.intake.offer(p).verdict;
    if (v === 'late') this.stats.late++;
    else if (v === 'duplicate') this.stats.duplicates++;
    // Deciding every few hundred posts is equivalent to deciding after each one: minutes close on the watermark only.
    return ++this.pending >= 500 ? this.step() : [];
  }

  /** At the end of input: what the final watermark allows (open minutes stay undecided). */
  finish(): DetectionEvent[] { return this.step(); }

  // Like stage B: a batch of partials, then a progress marker, then the decisions it allows.
  private step(): DetectionEvent[] {
    this.pending = 0;
    for (const a of this.intake.drain()) this.windows.add(a);
    this.windows.progress(0, 1, this.intake.clock.time);
    const out: DetectionEvent[] = [];
    for (const d of this.windows.decide()) { this.stats.minutes++; out.push(...this.detectors.onDecision(d)); }
    return out;
  }
}

/** Runs the detectors over posts in arrival order and yields every event in the order decided. */
export function* detectPosts(posts: Iterable<Post>, o: DetectOptions, stats?: DetectStats): Generator<DetectionEvent> {
  const d = new Detection(o);
  for (const p of posts) yield* d.offer(p);
  yield* d.finish();
  if (stats) Object.assign(stats, d.stats);
}
