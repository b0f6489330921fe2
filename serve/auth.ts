// Bearer-token scopes of the query API: a read token may call read routes, an admin token
// also the routes that change watches and alerts; with no token configured nothing is open
// unless `open` (--insecure-no-auth) says so. Each route names its scope in its declaration (serve/routes.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from './routes.js';

declare module 'fastify' {
  interface FastifyContextConfig { scope?: Scope }
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * The scope a bearer token grants: 'admin', 'read', or null when missing or wrong. Compares
 * fixed-length digests in constant time against every configured token, whichever matches.
 */
export function tokenScope(header: string | undefined, read: readonly Buffer[], admin: readonly Buffer[]): 'admin' | 'read' | null {
  const m = BEARER.exec(header ?? '');
  const presented = digest(m?.[1] ?? '');
  let isAdmin = false;
  let isRead = false;
  for (const t of admin) isAdmin = timingSafeEqual(presented, t) || isAdmin;
  for (const t of read) isRead = timingSafeEqual(presented, t) || isRead;
  if (!m) return null;
  return isAdmin ? 'admin' : isRead ? 'read' : null;
}

/** Who made a change, for alert_feedback: a short digest of the token (never the token), or 'open'. */
export function actorOf(req: FastifyRequest): string {
  const m = BEARER.exec(req.headers.authorization ?? '');
  return m ? `token:${digest(m[1]!).toString('hex').slice(0, 8)}` : 'open';
}

/** An onRequest hook answering 401 or 403 unless the request's token grants the route's scope (default: read). */
export function scopeGuard(tokens: { read: readonly string[]; admin: readonly string[]; open?: boolean }) {
  const read = tokens.read.map(digest);
  const admin = tokens.admin.map(digest);
  const open = read.length === 0 && admin.length === 0 && tokens.open === true;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const scope = req.routeOptions.config.scope ?? 'read';
    reply.header('cache-control', 'no-store');
    if (scope === 'public' || open) return;
    const granted = tokenScope(req.headers.authorization, read, admin);
    if (!granted) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return reply.send({ error: 'unauthorized', message: 'missing or wrong bearer token: send Authorization: Bearer <token>' });
    }
    if (scope === 'admin' && granted !== 'admin') {
      reply.code(403);
      return reply.send({ error: 'forbidden', message: 'this token may only read; changing watches and alerts needs an admin token' });
    }
  };
}
