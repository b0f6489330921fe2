// Erasure requests, the asking side: a post deleted at its source (the streaming sources'
// onDelete), or a data-protection request for one post or every post of an author (`POST
// /v1/erasures`, `trendstream erase`). Requests go to the compacted `erasures` topic, keyed
// by kind:platform:id, so every sink learns them, now and after any restart; the sinks
// apply them (sinks/clickhouse/erasure.ts).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kafka, Producer } from 'kafkajs';
import { z } from 'zod';
import type { Metrics } from '../lib/metrics.js';
import { AvroCodec, loadSchema } from '../schemas/avro.js';
import { tokenAccepted } from './http.js';
import { LIMITS, PLATFORM } from './post.js';

export interface Erasure {
  kind: 'post' | 'author';
  platform: string;
  /** The post id (kind post) or the author id (kind author). */
  id: string;
  requested_at: number;
  /** Who asked: `http`, `cli`, or the streaming source that saw the deletion. */
  source: string;
  /** A post of an erased author, recorded by a sink (never asked for directly). */
  derived: boolean;
}

let codec: AvroCodec<Erasure> | undefined;
export const erasureCodec = (): AvroCodec<Erasure> => (codec ??= new AvroCodec<Erasure>(loadSchema('erasure.v1')));

/** The compaction key: one record per erased post or author, however often it is asked for. */
export const erasureKey = (e: Pick<Erasure, 'kind' | 'platform' | 'id'>): string => `${e.kind}:${e.platform}:${e.id}`;

export class InvalidErasureError extends Error {
  readonly code = 'invalid_erasure';
  constructor(message: string) { super(message); this.name = 'InvalidErasureError'; }
}

const Ref = z.object({ platform: z.string().regex(PLATFORM, 'must be a lowercase platform name like "mastodon"'), id: z.string().min(1).max(LIMITS.idChars) });

/** Parses `platform:id` (the id may contain colons; the platform cannot). */
export function parseRef(text: string, what = 'reference'): { platform: string; id: string } {
  const i = text.indexOf(':');
  const r = Ref.safeParse({ platform: text.slice(0, Math.max(i, 0)), id: text.slice(i + 1) });
  if (i < 0 || !r.success) {
    const why = i < 0 || !r.error ? 'no colon' : r.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ');
    throw new InvalidErasureError(`${what} ${JSON.stringify(text)} must look like platform:id (e.g. mastodon:109876543210): ${why}`);
  }
  return r.data;
}

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

const Body = z.object({
  posts: z.array(Ref.strict()).max(10_000).default([]),
  authors: z.array(z.object({ platform: Ref.shape.platform, author_id: Ref.shape.id }).strict()).max(10_000).default([]),
}).strict().refine((b) => b.posts.length + b.authors.length > 0, 'name at least one post or author');

/**
 * Registers `POST /v1/erasures` (body `{"posts": [{"platform", "id"}], "authors": [{"platform",
 * "author_id"}]}`, the ingest tokens): 202 once the requests are in Kafka, 400 naming what is wrong.
 */
export function registerErasures(app: FastifyInstance, producer: ErasureProducer, opts: { tokens: string[] }): void {
  const tokens = opts.tokens.map((t) => createHash('sha256').update(t).digest());
  app.post('/v1/erasures', async (req, reply) => {
    if (!tokenAccepted(req.headers.authorization, tokens)) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return { error: 'unauthorized', message: 'missing or wrong bearer token' };
    }
    let json: unknown = req.body;
    try { if (Buffer.isBuffer(json)) json = JSON.parse(json.toString('utf8')); } catch (e) {
      reply.code(400);
      return { error: 'invalid_body', message: `body is not JSON: ${(e as Error).message}` };
    }
    const r = Body.safeParse(json);
    if (!r.success) {
      reply.code(400);
      return { error: 'invalid_erasure', message: r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
    }
    const now = Date.now();
    const erasures: Erasure[] = [
      ...r.data.posts.map((p) => ({ kind: 'post' as const, platform: p.platform, id: p.id, requested_at: now, source: 'http', derived: false })),
      ...r.data.authors.map((a) => ({ kind: 'author' as const, platform: a.platform, id: a.author_id, requested_at: now, source: 'http', derived: false })),
    ];
    try { await producer.send(erasures); } catch {
      reply.code(503).header('retry-after', '5');
      return { error: 'unavailable', message: 'could not write to Kafka; retry the same request (it is idempotent)' };
    }
    reply.code(202);
    return { accepted: erasures.length };
  });
}
