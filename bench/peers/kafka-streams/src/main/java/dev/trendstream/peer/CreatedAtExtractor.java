package dev.trendstream.peer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/** Event time = the post's created_at (Kafka Streams drops records with a negative timestamp). */
public final class CreatedAtExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    return record.value() instanceof Post p ? p.createdAt() : -1;
  }
}
