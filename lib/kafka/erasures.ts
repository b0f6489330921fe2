// The producer of the `erasures` topic, shared by ingest (requests) and the sinks (the posts of
// an erased author, recorded as derived requests).
import type { Kafka, Producer } from 'kafkajs';
import { erasureCodec, erasureKey, type Erasure } from '../../schemas/erasure.js';
import type { Metrics } from '../metrics.js';

/** Writes erasure requests to the `erasures` topic (idempotent producer, acks from all in-sync replicas). */
export class ErasureProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka, private readonly topic: string, private readonly metrics: Metrics) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  }

  async start(): Promise<void> { await this.producer.connect(); }

  /** Resolves once Kafka acknowledged every request: from then on no sink writes those rows again. */
  async send(erasures: readonly Erasure[]): Promise<void> {
    if (!erasures.length) return;
    const c = erasureCodec();
    await this.producer.send({ topic: this.topic, acks: -1, messages: erasures.map((e) => ({ key: erasureKey(e), value: c.encode(e) })) });
    for (const e of erasures) if (!e.derived) this.metrics.erasureRequests.inc({ kind: e.kind });
  }

  async close(): Promise<void> { await this.producer.disconnect(); }
}
