// The Kafka producer side of ingest: valid posts go to `posts` as Avro single-object
// records keyed by `platform:id`; rejected input goes to `posts-dlq` with its original
// bytes and the reason in headers. Idempotent producer, acks from all in-sync replicas.
import type { Kafka, Producer } from 'kafkajs';
import { dlqMessage, type Rejected } from '../schemas/dlq.js';
import type { Metrics } from '../lib/metrics.js';
import { postCodec, postKey, type Post } from '../schemas/post.js';
import type { Topics } from '../schemas/topics.js';

export class PostProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka, private readonly topics: Topics, private readonly metrics: Metrics, private readonly id = 'ingest') {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  }

  /** Connects; call once before `send`. */
  async start(): Promise<void> { await this.producer.connect(); }

  /**
   * Writes a batch: posts to `posts`, rejects to the DLQ. Resolves once Kafka acknowledged
   * every record (the caller may then answer its client); rejects if Kafka does not.
   */
  async send(posts: readonly Post[], rejected: readonly Rejected[] = [], now = Date.now()): Promise<void> {
    const c = postCodec();
    const topicMessages = [];
    if (posts.length) {
      topicMessages.push({ topic: this.topics.posts, messages: posts.map((p) => ({ key: postKey(p), value: c.encode({ ...p, ingested_at: now }) })) });
    }
    if (rejected.length) topicMessages.push({ topic: this.topics.dlq, messages: rejected.map(dlqMessage) });
    if (!topicMessages.length) return;
    try {
      await this.producer.sendBatch({ topicMessages, acks: -1 });
    } catch (e) {
      this.metrics.errors.inc({ component_kind: 'source', component_id: this.id, error_type: 'kafka', stage: 'sending' });
      throw e;
    }
    this.metrics.sent.inc({ component_kind: 'source', component_id: this.id }, posts.length);
    for (const r of rejected) this.metrics.discarded.inc({ component_kind: 'source', component_id: this.id, reason: r.code });
  }

  /** Flushes and disconnects. */
  async close(): Promise<void> { await this.producer.disconnect(); }
}
