package dev.trendstream.peer;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Merging stage of the `partials` topology (like our stage B's windows): sums the partial counts
 * per (hashtag, minute) and closes a minute once every posts partition's mark has passed it
 * (partitions idle for a while don't hold it back); then emits that minute's counts in hashtag order.
 */
final class MergeProcessor implements Processor<String, Partial, String, MinuteCount> {
  static final String COUNTS = "merge-counts";
  static final String MARKS = "merge-marks";
  /** Key in MARKS under which the closed-up-to minute is kept. */
  private static final int CLOSED = -1;
  /** Mark values: the minute, with the idle flag in bit 0 (minutes are multiples of 60 000). */

  private final int sources;
  private final PartialsProcessor.LateCounter late;
  private ProcessorContext<String, MinuteCount> ctx;
  private KeyValueStore<Bytes, Long> counts;
  private KeyValueStore<Integer, Long> marks;
  private long closedUpTo = Long.MIN_VALUE;

  MergeProcessor(int sources, PartialsProcessor.LateCounter late) { this.sources = sources; this.late = late; }

  @Override
  public void init(ProcessorContext<String, MinuteCount> context) {
    ctx = context;
    counts = context.getStateStore(COUNTS);
    marks = context.getStateStore(MARKS);
    Long c = marks.get(CLOSED);
    if (c != null) closedUpTo = c;
  }

  @Override
  public void process(Record<String, Partial> r) {
    Partial p = r.value();
    if (p == null) return;
    if (!p.mark()) {
      if (p.minute() < closedUpTo) { late.add(p.count()); return; }
      Bytes k = Partial.key(p.minute(), r.key());
      Long n = counts.get(k);
      counts.put(k, n == null ? p.count() : n + p.count());
      return;
    }
    Long old = marks.get(p.source());
    long upTo = old == null ? p.minute() : Math.max(old >> 1 << 1, p.minute());
    marks.put(p.source(), upTo | (p.idle() ? 1 : 0));
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    boolean all = true;
    boolean anyActive = false;
    for (int s = 0; s < sources; s++) {
      Long m = marks.get(s);
      if (m == null) { all = false; continue; }
      long minute = m >> 1 << 1;
      max = Math.max(max, minute);
      if ((m & 1) == 0) { anyActive = true; min = Math.min(min, minute); }
    }
    if (!all) return;
    long watermark = anyActive ? min : max;
    if (watermark > closedUpTo) close(watermark, r.timestamp());
  }

  private void close(long upTo, long timestamp) {
    List<Bytes> done = new ArrayList<>();
    try (KeyValueIterator<Bytes, Long> it = counts.range(Partial.minuteKey(0), Partial.minuteKey(upTo))) {
      while (it.hasNext()) {
        KeyValue<Bytes, Long> kv = it.next();
        String tag = Partial.tagOf(kv.key);
        ctx.forward(new Record<>(tag, new MinuteCount(tag, Partial.minuteOf(kv.key), kv.value), timestamp));
        done.add(kv.key);
      }
    }
    for (Bytes k : done) counts.delete(k);
    closedUpTo = upTo;
    marks.put(CLOSED, closedUpTo);
  }
}
