// Erasure requests, the asking side: a post deleted at its source (the streaming sources'
// onDelete), or a data-protection request for one post or every post of an author (`POST
// /v1/erasures`, `trendstream erase`). Requests go to the compacted `erasures` topic, keyed
// by kind:platform:id, so every sink learns them, now and after any restart; the sinks
// apply them (sinks/clickhouse/erasure.ts).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ErasureProducer } from '../lib/kafka/erasures.js';
import { Ref, type Erasure } from '../schemas/erasure.js';
import { tokenAccepted } from './http.js';

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
