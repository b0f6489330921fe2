package dev.trendstream.peer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Decodes the `posts` topic: Avro single-object encoding (0xC3 0x01, the writer schema's
 * CRC-64-AVRO fingerprint little-endian, then the Avro binary body) with Apache Avro's
 * GenericDatumReader and the full post schema. Records with another header or fingerprint are
 * rejected (the streams app logs and skips them, as our stage A dead-letters them).
 */
public final class PostDeserializer implements Deserializer<Post> {
  private final Schema schema;
  private final long fingerprint;
  private final int createdAt;
  private final int author;
  private final int authorId;
  private final int hashtags;

  /** Decoder state per stream thread (the deserializer instance is shared by all of them). */
  private final ThreadLocal<Reader> local;

  private static final class Reader {
    final GenericDatumReader<GenericRecord> reader;
    BinaryDecoder decoder;
    GenericRecord reuse;
    Reader(Schema s) { reader = new GenericDatumReader<>(s); }
  }

  public PostDeserializer(Schema schema) {
    this.schema = schema;
    this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    this.createdAt = schema.getField("created_at").pos();
    this.author = schema.getField("author").pos();
    this.authorId = schema.getField("author").schema().getField("id").pos();
    this.hashtags = schema.getField("hashtags").pos();
    this.local = ThreadLocal.withInitial(() -> new Reader(schema));
  }

  /** The post schema from a file, or else the copy bundled at build time. */
  public static Schema loadSchema(String file) throws IOException {
    if (file != null && !file.isEmpty()) return new Schema.Parser().parse(Files.readString(Path.of(file)));
    try (InputStream in = PostDeserializer.class.getResourceAsStream("/post.v1.avsc")) {
      if (in == null) throw new IOException("post.v1.avsc is not on the classpath; pass --schema");
      return new Schema.Parser().parse(in);
    }
  }

  public Schema schema() { return schema; }

  @Override
  public Post deserialize(String topic, byte[] data) {
    if (data == null) return null;
    if (data.length < 10 || data[0] != (byte) 0xC3 || data[1] != (byte) 0x01) {
      throw new SerializationException("not Avro single-object encoding");
    }
    long fp = 0;
    for (int i = 9; i >= 2; i--) fp = (fp << 8) | (data[i] & 0xffL);
    if (fp != fingerprint) throw new SerializationException("unknown writer schema, fingerprint " + Long.toHexString(fp));
    Reader r = local.get();
    try {
      r.decoder = DecoderFactory.get().binaryDecoder(data, 10, data.length - 10, r.decoder);
      r.reuse = r.reader.read(r.reuse, r.decoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("invalid Avro body: " + e.getMessage(), e);
    }
    GenericRecord rec = r.reuse;
    List<?> tags = (List<?>) rec.get(hashtags);
    String[] out = new String[tags.size()];
    for (int i = 0; i < out.length; i++) out[i] = tags.get(i).toString();
    return new Post((Long) rec.get(createdAt), ((GenericRecord) rec.get(author)).get(authorId).toString(), out);
  }
}
