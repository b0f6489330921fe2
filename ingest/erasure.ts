// Erasure requests, the asking side: a post deleted at its source (the streaming sources'
// onDelete), or a data-protection request for one post or every post of an author (`POST
// /v1/erasures`, `trendstream erase`). Requests go to the compacted `erasures` topic, keyed
// by kind:platform:id, so every sink learns them, now and after any restart; the sinks
// apply them (sinks/clickhouse/erasure.ts).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ErasureProducer } from '../lib/kafka/erasures.js';
import type { Logger } from '../lib/log.js';
import { MAX_REASON_CHARS, Ref, type Erasure } from '../schemas/erasure.js';
import { tokenAccepted } from './http.js';

const Body = z.object({
  posts: z.array(Ref.strict()).max(10_000).default([]),
  authors: z.array(z.object({ platform: Ref.shape.platform, author_id: Ref.shape.id }).strict()).max(10_000).default([]),
  reason: z.string().max(MAX_REASON_CHARS).default(''),
}).strict().refine((b) => b.posts.length + b.authors.length > 0, 'name at least one post or author');

const digest = (t: string) => createHash('sha256').update(t).digest();

/** Who asked, never the token: `token:` and the first 8 hex digits of its SHA-256 (as the query API records feedback), or `open`. */
export function erasureActor(header: string | undefined): string {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? `token:${digest(m[1]!).toString('hex').slice(0, 8)}` : 'open';
}

/**
 * Registers `POST /v1/erasures` (body `{"posts": [{"platform", "id"}], "authors": [{"platform",
 * "author_id"}], "reason"?}`): it erases for good, so it takes an admin token of the query API
 * (api.adminTokens), never an ingest token; 401 without one, 403 with an ingest token. 202 once
 * the requests, with their actor and reason, are in Kafka; 400 naming what is wrong.
 * `open` (--insecure-no-auth) accepts anyone when no admin token is configured.
 */
export function registerErasures(app: FastifyInstance, producer: ErasureProducer, opts: { adminTokens: string[]; ingestTokens?: string[]; open?: boolean; log?: Logger }): void {
  const admin = opts.adminTokens.map(digest);
  const ingest = (opts.ingestTokens ?? []).map(digest);
  app.post('/v1/erasures', async (req, reply) => {
    const auth = req.headers.authorization;
    if (!tokenAccepted(auth, admin, opts.open)) {
      if (ingest.length && tokenAccepted(auth, ingest)) {
        reply.code(403);
        return { error: 'forbidden', message: 'an ingest token may post but not erase: erasure needs an admin token (TRENDSTREAM_API_ADMIN_TOKENS)' };
      }
      reply.code(401).header('www-authenticate', 'Bearer');
      return { error: 'unauthorized', message: admin.length ? 'missing or wrong bearer token: erasure needs an admin token' : 'erasure needs an admin token and none is configured (TRENDSTREAM_API_ADMIN_TOKENS, config api.adminTokens)' };
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
    const actor = erasureActor(auth);
    const { reason } = r.data;
    const erasures: Erasure[] = [
      ...r.data.posts.map((p) => ({ kind: 'post' as const, platform: p.platform, id: p.id, requested_at: now, source: 'http', derived: false, actor, reason })),
      ...r.data.authors.map((a) => ({ kind: 'author' as const, platform: a.platform, id: a.author_id, requested_at: now, source: 'http', derived: false, actor, reason })),
    ];
    try { await producer.send(erasures); } catch {
      reply.code(503).header('retry-after', '5');
      return { error: 'unavailable', message: 'could not write to Kafka; retry the same request (it is idempotent)' };
    }
    // One line per request (not per post): the audit trail of who erased what, and why.
    opts.log?.info({ actor, reason, posts: r.data.posts.length, authors: r.data.authors.length }, 'erasure requested');
    reply.code(202);
    return { accepted: erasures.length };
  });
}
