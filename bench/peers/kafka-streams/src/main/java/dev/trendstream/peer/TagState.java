package dev.trendstream.peer;

import java.nio.ByteBuffer;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** Velocity state of one hashtag, kept in a changelogged key-value store. */
final class TagState {
  /** The newest minute stepped (epoch ms of its start). */
  long last;
  /** Counts of the minutes last-2, last-1 and last. */
  long w0, w1, w2;
  /** Minutes stepped so far (including zero minutes between two counted ones). */
  long stepped;
  /** Minutes folded into the baseline. */
  long learned;
  /** EWMA baseline of the per-minute count. */
  double level;
  boolean flagged;
  int calm;

  static final int SIZE = 8 * 7 + 1 + 4;

  byte[] toBytes() {
    return ByteBuffer.allocate(SIZE).putLong(last).putLong(w0).putLong(w1).putLong(w2).putLong(stepped)
        .putLong(learned).putDouble(level).put((byte) (flagged ? 1 : 0)).putInt(calm).array();
  }

  static TagState fromBytes(byte[] b) {
    ByteBuffer in = ByteBuffer.wrap(b);
    TagState s = new TagState();
    s.last = in.getLong(); s.w0 = in.getLong(); s.w1 = in.getLong(); s.w2 = in.getLong(); s.stepped = in.getLong();
    s.learned = in.getLong(); s.level = in.getDouble(); s.flagged = in.get() != 0; s.calm = in.getInt();
    return s;
  }

  static Serde<TagState> serde() {
    Serializer<TagState> ser = (topic, s) -> s == null ? null : s.toBytes();
    Deserializer<TagState> de = (topic, b) -> b == null ? null : fromBytes(b);
    return Serdes.serdeFrom(ser, de);
  }
}
