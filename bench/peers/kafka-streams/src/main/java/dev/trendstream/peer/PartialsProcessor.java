package dev.trendstream.peer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Per posts partition (the `partials` topology, like our stage A): the partition's stream time
 * (newest created_at), the late rule (a post whose minute ended at or before stream time − 30 s
 * is dropped), optionally de-duplication by record key (`platform:id`) within the post's minute,
 * counts per (hashtag, minute) in a changelogged store, and once the partition's
 * watermark passes a minute: its counts, then a progress mark to every merging partition.
 */
final class PartialsProcessor implements Processor<byte[], Post, String, Partial> {
  static final String STORE = "partials-pending";
  static final String SEEN = "partials-seen";
  private static final byte[] EMPTY = new byte[0];
  static final long MINUTE = 60_000L;
  /** Under these keys (sorted before every minute key) the task keeps its clock: stream time and flushed-up-to minute. */
  private static final Bytes STREAM_TIME = Bytes.wrap(new byte[0]);
  private static final Bytes FLUSHED = Bytes.wrap(new byte[] {0});

  private final long latenessMs;
  private final long idleMs;
  private final boolean dedup;
  private KeyValueStore<Bytes, byte[]> seen;
  private ProcessorContext<String, Partial> ctx;
  private KeyValueStore<Bytes, Long> store;
  private int partition;
  private long streamTime = Long.MIN_VALUE;
  private long flushedUpTo = Long.MIN_VALUE;
  private long lastInput;
  private boolean idle;
  private final LateCounter late;
  private final LateCounter duplicates;

  PartialsProcessor(long latenessMs, long idleMs, boolean dedup, LateCounter late, LateCounter duplicates) {
    this.latenessMs = latenessMs; this.idleMs = idleMs; this.dedup = dedup; this.late = late; this.duplicates = duplicates;
  }

  /** Shared counter of posts dropped as late (for the progress lines). */
  interface LateCounter { void add(long n); }

  @Override
  public void init(ProcessorContext<String, Partial> context) {
    ctx = context;
    store = context.getStateStore(STORE);
    if (dedup) seen = context.getStateStore(SEEN);
    partition = context.taskId().partition();
    Long t = store.get(STREAM_TIME);
    Long f = store.get(FLUSHED);
    if (t != null) streamTime = t;
    if (f != null) flushedUpTo = f;
    lastInput = System.currentTimeMillis();
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
  }

  private void save() {
    store.put(STREAM_TIME, streamTime);
    store.put(FLUSHED, flushedUpTo);
  }

  @Override
  public void process(Record<byte[], Post> r) {
    Post p = r.value();
    if (p == null) return;
    lastInput = System.currentTimeMillis();
    idle = false;
    long t = p.createdAt();
    long minute = Math.floorDiv(t, MINUTE) * MINUTE;
    if (streamTime != Long.MIN_VALUE && minute + MINUTE <= streamTime - latenessMs) { late.add(1); return; }
    if (dedup && r.key() != null) {
      // A repeat carries the same created_at, so (minute, key) finds it; kept until the watermark passes the minute.
      Bytes k = Bytes.wrap(java.nio.ByteBuffer.allocate(8 + r.key().length).putLong(minute).put(r.key()).array());
      if (seen.get(k) != null) { duplicates.add(1); return; }
      seen.put(k, EMPTY);
    }
    String[] tags = p.hashtags();
    outer:
    for (int i = 0; i < tags.length; i++) {
      for (int j = 0; j < i; j++) if (tags[j].equals(tags[i])) continue outer; // a post counts once per tag
      Bytes k = Partial.key(minute, tags[i]);
      Long n = store.get(k);
      store.put(k, n == null ? 1L : n + 1);
    }
    if (t > streamTime) {
      streamTime = t;
      long wm = Math.floorDiv(streamTime - latenessMs, MINUTE) * MINUTE;
      if (wm > flushedUpTo) flush(wm, r.timestamp());
      else store.put(STREAM_TIME, streamTime);
    }
  }

  /** Sends the counts of every minute before `upTo` (all of them if Long.MAX_VALUE), then the mark. */
  private void flush(long upTo, long timestamp) {
    List<Bytes> done = new ArrayList<>();
    try (KeyValueIterator<Bytes, Long> it = upTo == Long.MAX_VALUE
        ? store.range(Partial.minuteKey(0), null)
        : store.range(Partial.minuteKey(0), Partial.minuteKey(upTo))) {
      while (it.hasNext()) {
        KeyValue<Bytes, Long> kv = it.next();
        if (kv.key.get().length <= 8) continue; // the clock keys
        ctx.forward(new Record<>(Partial.tagOf(kv.key), Partial.count(Partial.minuteOf(kv.key), kv.value), timestamp));
        done.add(kv.key);
      }
    }
    for (Bytes k : done) store.delete(k);
    if (dedup && upTo != Long.MAX_VALUE) {
      done.clear();
      try (KeyValueIterator<Bytes, byte[]> it = seen.range(Partial.minuteKey(0), Partial.minuteKey(upTo))) {
        while (it.hasNext()) done.add(it.next().key);
      }
      for (Bytes k : done) seen.delete(k);
    }
    if (upTo != Long.MAX_VALUE) flushedUpTo = upTo;
    save();
    ctx.forward(new Record<>("", Partial.mark(partition, flushedUpTo, idle), timestamp));
  }

  /** A partition without input for idleMs (wall time) sends what it holds and stops holding the merge back. */
  private void punctuate(long now) {
    if (idle || now - lastInput < idleMs) return;
    idle = true;
    flush(Long.MAX_VALUE, now);
  }
}
