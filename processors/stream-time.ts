// Stream time and watermark (CONTRACTS §4): the greatest created_at seen, robust to a few
// wild timestamps, and the watermark = stream time − allowed lateness. Pure; one clock per
// `posts` partition in stage A, one for the whole input in `detect`.

export interface StreamClockOptions {
  /** A jump further ahead than this needs confirmation by other posts. */
  maxJumpMs: number;
  /** How many posts must lie at least that far ahead before the clock jumps. */
  confirmations: number;
  /** Unconfirmed far-ahead timestamps are forgotten after this many further posts. */
  forgetAfter: number;
}

export const DEFAULT_CLOCK: StreamClockOptions = { maxJumpMs: 5 * 60_000, confirmations: 3, forgetAfter: 1000 };

export class StreamClock {
  /** Stream time in epoch ms; −Infinity until established. */
  time = -Infinity;
  private seen = 0;
  /** Far-ahead timestamps awaiting confirmation, with the observation number they came at. */
  private pending: { t: number; at: number }[] = [];

  constructor(private readonly opts: StreamClockOptions = DEFAULT_CLOCK) {}

  /** Feeds one created_at; returns the (possibly advanced) stream time. */
  observe(t: number): number {
    this.seen++;
    if (t <= this.time) return this.time;
    if (t <= this.time + this.opts.maxJumpMs) { this.time = t; return t; }
    this.pending.push({ t, at: this.seen });
    if (this.pending.length > 1 && this.pending[0]!.at < this.seen - this.opts.forgetAfter) {
      this.pending = this.pending.filter((p) => p.at >= this.seen - this.opts.forgetAfter);
    }
    if (this.pending.length >= this.opts.confirmations) {
      // Jump to the smallest of the `confirmations` largest pending times: that many posts agree.
      const ts = this.pending.map((p) => p.t).sort((a, b) => b - a);
      const to = ts[this.opts.confirmations - 1]!;
      this.time = Math.max(this.time, ...ts.filter((x) => x <= to + this.opts.maxJumpMs));
      this.pending = this.pending.filter((p) => p.t > this.time + this.opts.maxJumpMs);
    }
    return this.time;
  }

  /** The clock's state, to save with offsets and restore after a restart or rebalance. */
  snapshot(): { time: number; seen: number; pending: { t: number; at: number }[] } {
    return { time: this.time, seen: this.seen, pending: [...this.pending] };
  }

  static restore(s: ReturnType<StreamClock['snapshot']>, opts: StreamClockOptions = DEFAULT_CLOCK): StreamClock {
    const c = new StreamClock(opts);
    c.time = s.time ?? -Infinity; c.seen = s.seen; c.pending = [...s.pending];
    return c;
  }
}

export const MINUTE = 60_000;
export const minuteOf = (t: number): number => t - (((t % MINUTE) + MINUTE) % MINUTE);
