package dev.trendstream.peer;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The simplified velocity rule on closed minute counts, per hashtag (README "Velocity rule"):
 * a 3-minute window against an EWMA baseline of the per-minute count (half-life 120 minutes)
 * made of the minutes that left the window. `started` when the window holds ≥ 12 posts and
 * ≥ 3× its expectation (after 10 minutes of stream); `ended` after 5 minutes below 1.5×.
 */
final class VelocityProcessor implements Processor<String, MinuteCount, String, String> {
  static final String STORE = "velocity-state";
  static final long MINUTE = 60_000L;
  static final int WINDOW = 3;
  static final double HALF_LIFE_MINUTES = 120;
  static final double ALPHA = 1 - Math.pow(2, -1 / HALF_LIFE_MINUTES);
  static final long MIN_POSTS = 12;
  static final double MIN_VELOCITY = 3;
  static final double END_VELOCITY = 1.5;
  static final int END_MINUTES = 5;
  static final int WARMUP_MINUTES = 10;
  static final double MIN_EXPECTED = 0.5;
  /** Longer silences than this restart the tag's window (the baseline decays over at most this many zero minutes). */
  static final long MAX_GAP_MINUTES = 7 * 24 * 60;
  /** Holds the first closed minute this task saw (stream start for the warm-up), beside the tags. */
  private static final String START_KEY = "\u0000start";

  private ProcessorContext<String, String> ctx;
  private KeyValueStore<String, TagState> store;
  private long start = Long.MIN_VALUE;

  @Override
  public void init(ProcessorContext<String, String> context) {
    ctx = context;
    store = context.getStateStore(STORE);
  }

  @Override
  public void process(Record<String, MinuteCount> r) {
    MinuteCount m = r.value();
    if (m == null) return;
    if (start == Long.MIN_VALUE) {
      TagState s = store.get(START_KEY);
      if (s == null) { s = new TagState(); s.last = m.minute(); store.put(START_KEY, s); }
      start = s.last;
    }
    TagState s = store.get(m.hashtag());
    if (s == null) { s = new TagState(); s.last = m.minute() - MINUTE; }
    if (m.minute() <= s.last) return; // closed minutes arrive in order per key; a repeat changes nothing
    long gap = (m.minute() - s.last) / MINUTE - 1;
    for (long i = 0, n = Math.min(gap, MAX_GAP_MINUTES); i < n; i++) step(s, m.hashtag(), m.minute() - (n - i) * MINUTE, 0, r);
    step(s, m.hashtag(), m.minute(), m.count(), r);
    store.put(m.hashtag(), s);
  }

  private void step(TagState s, String tag, long minute, long count, Record<String, MinuteCount> r) {
    long leaving = s.w0;
    boolean full = s.stepped >= WINDOW;
    s.w0 = s.w1; s.w1 = s.w2; s.w2 = count; s.last = minute; s.stepped++;
    // The minute that left the window joins the baseline (never while flagged): a window never scores against itself.
    if (full && !s.flagged) {
      s.learned++;
      double a = Math.max(ALPHA, 1.0 / s.learned);
      s.level += a * (leaving - s.level);
    }
    long observed = s.w0 + s.w1 + s.w2;
    double expected = Math.max(WINDOW * s.level, MIN_EXPECTED);
    double velocity = observed / expected;
    if (!s.flagged) {
      if (minute - start >= WARMUP_MINUTES * MINUTE && observed >= MIN_POSTS && velocity >= MIN_VELOCITY) {
        s.flagged = true;
        s.calm = 0;
        emit("started", tag, minute, observed, expected, velocity, r);
      }
    } else if (velocity < END_VELOCITY) {
      if (++s.calm >= END_MINUTES) {
        s.flagged = false;
        s.calm = 0;
        emit("ended", tag, minute, observed, expected, velocity, r);
      }
    } else {
      s.calm = 0;
    }
  }

  private void emit(String kind, String tag, long minute, long observed, double expected, double velocity, Record<String, MinuteCount> r) {
    String v = "{\"kind\":\"" + kind + "\",\"hashtag\":" + Json.str(tag) + ",\"minute\":" + minute + ",\"count3\":" + observed
        + ",\"expected3\":" + Json.num(expected) + ",\"velocity\":" + Json.num(velocity) + "}";
    ctx.forward(new Record<>(tag, v, r.timestamp()));
  }
}
