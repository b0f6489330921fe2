// Stream time and watermark (CONTRACTS §4): how far the stream has got, moved only by evidence
// from several posts, and the watermark = stream time − allowed lateness. Pure; one clock per
// `posts` partition in stage A, one for the whole input in `detect`.
//
// Timestamps come from outside (ingest takes any created_at up to 5 minutes ahead of its clock),
// so no single post may move the clock: stream time is the `confirmations`-th greatest recent
// created_at above it. One forged future post (or two) holds a place among the greatest and is
// forgotten after `forgetAfter` further posts, while the honest posts go on moving the clock as
// before, so none of them becomes late because of it. The price is a lag of `confirmations − 1`
// posts behind the greatest created_at (milliseconds at the rates stage A sees).

export interface StreamClockOptions {
  /** How many recent posts must lie at or beyond a time before the clock moves there. */
  confirmations: number;
  /** A timestamp ahead of the clock that no others confirm is forgotten after this many further posts. */
  forgetAfter: number;
}

export const DEFAULT_CLOCK: StreamClockOptions = { confirmations: 3, forgetAfter: 1000 };

export class StreamClock {
  /** Stream time in epoch ms; −Infinity until established. */
  time = -Infinity;
  private seen = 0;
  /** The greatest timestamps ahead of the clock (at most `confirmations`, greatest first), with the observation number they came at. */
  private pending: { t: number; at: number }[] = [];

  constructor(private readonly opts: StreamClockOptions = DEFAULT_CLOCK) {}

  /** Feeds one created_at; returns the (possibly advanced) stream time. */
  observe(t: number): number {
    this.seen++;
    if (t <= this.time) return this.time;
    const k = this.opts.confirmations;
    const horizon = this.seen - this.opts.forgetAfter;
    if (this.pending.length && this.pending[0]!.at < horizon) this.pending = this.pending.filter((p) => p.at >= horizon);
    let i = 0;
    while (i < this.pending.length && this.pending[i]!.t >= t) i++;
    if (i >= k) return this.time; // k greater timestamps are waiting already: this one adds no evidence
    this.pending.splice(i, 0, { t, at: this.seen });
    if (this.pending.length > k) this.pending.length = k;
    if (this.pending.length === k) {
      // k recent posts lie at or beyond the k-th greatest: move there, keep what lies beyond.
      this.time = this.pending[k - 1]!.t;
      this.pending = this.pending.filter((p) => p.t > this.time);
    }
    return this.time;
  }

  /** The clock's state, to save with offsets and restore after a restart or rebalance. */
  snapshot(): { time: number; seen: number; pending: { t: number; at: number }[] } {
    return { time: this.time, seen: this.seen, pending: [...this.pending] };
  }

  /** A clock from a snapshot; `pending` of an older version (any order, any length) is brought into this one's shape. */
  static restore(s: ReturnType<StreamClock['snapshot']>, opts: StreamClockOptions = DEFAULT_CLOCK): StreamClock {
    const c = new StreamClock(opts);
    c.time = s.time ?? -Infinity; c.seen = s.seen;
    c.pending = s.pending.filter((p) => p.t > c.time).sort((a, b) => b.t - a.t).slice(0, opts.confirmations - 1);
    return c;
  }
}

export const MINUTE = 60_000;
export const minuteOf = (t: number): number => t - (((t % MINUTE) + MINUTE) % MINUTE);
