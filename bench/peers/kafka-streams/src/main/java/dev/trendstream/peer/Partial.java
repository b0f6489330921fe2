package dev.trendstream.peer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * What the per-partition stage sends to the merging stage (the `partials` topology): either the
 * count of one (hashtag, minute) in one posts partition (key = hashtag), or a progress mark of
 * one posts partition: every minute before `minute` is complete there (sent to every partition).
 */
record Partial(boolean mark, long minute, long count, int source, boolean idle) {
  static Partial count(long minute, long count) { return new Partial(false, minute, count, -1, false); }
  static Partial mark(int source, long upTo, boolean idle) { return new Partial(true, upTo, 0, source, idle); }

  static Serde<Partial> serde() {
    Serializer<Partial> ser = (topic, p) -> {
      if (p == null) return null;
      return p.mark
          ? ByteBuffer.allocate(14).put((byte) 1).putLong(p.minute).putInt(p.source).put((byte) (p.idle ? 1 : 0)).array()
          : ByteBuffer.allocate(17).put((byte) 0).putLong(p.minute).putLong(p.count).array();
    };
    Deserializer<Partial> de = (topic, b) -> {
      if (b == null) return null;
      ByteBuffer in = ByteBuffer.wrap(b);
      if (in.get() == 1) { long m = in.getLong(); int s = in.getInt(); return mark(s, m, in.get() != 0); }
      long m = in.getLong();
      return count(m, in.getLong());
    };
    return Serdes.serdeFrom(ser, de);
  }

  /** Counts go by hashtag (murmur2, as Kafka's default partitioner); marks go to every partition. */
  static StreamPartitioner<String, Partial> partitioner() {
    return (topic, key, value, n) -> {
      if (value != null && value.mark) {
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < n; i++) all.add(i);
        return Optional.of(all);
      }
      return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % n));
    };
  }

  /** Store key ordering (minute, hashtag): big-endian minute then the tag's UTF-8. */
  static Bytes key(long minute, String tag) {
    byte[] t = tag.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + t.length).putLong(minute).put(t).array());
  }

  static Bytes minuteKey(long minute) { return Bytes.wrap(ByteBuffer.allocate(8).putLong(minute).array()); }

  static long minuteOf(Bytes k) { return ByteBuffer.wrap(k.get()).getLong(); }

  static String tagOf(Bytes k) { byte[] b = k.get(); return new String(b, 8, b.length - 8, StandardCharsets.UTF_8); }
}
