// Per-partition intake of stage A (and of `detect`, as one partition): the stream clock,
// the late-post rule and de-duplication by (platform, id), in front of the AggregateBuilder.
// Pure and shared, so the live pipeline and `detect` treat every post identically.
import { postKey, type Post } from '../schemas/post.js';
import { AggregateBuilder, enrich, type Enriched } from './aggregate.js';
import { DEFAULT_CLOCK, MINUTE, minuteOf, StreamClock } from './stream-time.js';
import type { WatchMatcher } from '../schemas/watches.js';
import type { Aggregate } from '../schemas/counts.js';

export type Verdict = 'accepted' | 'duplicate' | 'late';

export class PostIntake {
  readonly clock: StreamClock;
  private readonly seen = new Map<string, number>();
  private readonly builder = new AggregateBuilder();

  constructor(private readonly latenessMs: number, public matcher: WatchMatcher | null, clock?: StreamClock) {
    this.clock = clock ?? new StreamClock(DEFAULT_CLOCK);
  }

  /** The partition's watermark: stream time − allowed lateness. */
  watermark(): number { return this.clock.time - this.latenessMs; }

  /**
   * Takes one post: a repeat of a post still within the window is a duplicate; a post whose
   * minute the watermark has passed is late (it still lands in the raw posts table).
   */
  offer(post: Post): { verdict: Verdict; enriched?: Enriched } {
    if (minuteOf(post.created_at) + MINUTE <= this.watermark()) return { verdict: 'late' };
    const key = postKey(post);
    if (this.seen.has(key)) return { verdict: 'duplicate' };
    this.seen.set(key, post.created_at);
    this.clock.observe(post.created_at);
    const enriched = enrich(post, this.matcher);
    this.builder.add(enriched);
    return { verdict: 'accepted', enriched };
  }

  /** Remembers a post already counted before a restart (replay of committed input): for de-duplication only. */
  remember(post: Post): void {
    if (minuteOf(post.created_at) + MINUTE > this.watermark()) this.seen.set(postKey(post), post.created_at);
  }

  /** The aggregates of the posts offered since the last drain; prunes ids no repeat can matter for. */
  drain(): Aggregate[] {
    const horizon = minuteOf(this.watermark());
    for (const [k, t] of this.seen) {
      if (t >= horizon) break; // insertion order is roughly time order: stop at the first recent id
      this.seen.delete(k);
    }
    return this.builder.drain();
  }

  /** Ids held for de-duplication (for the memory gauge). */
  get heldIds(): number { return this.seen.size; }
}
