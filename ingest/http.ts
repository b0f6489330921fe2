// HTTP source (CONTRACTS §2): POST /v1/posts takes NDJSON or a JSON array, validates each
// post, answers 202 with the count accepted and each rejected line's number and reason,
// and sends rejects to the DLQ. Only a batch unreadable as a whole gets a 4xx.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../lib/metrics.js';
import { InvalidPostError, toPost, type OnLimit, type Post } from '../schemas/post.js';
import type { PostProducer } from './producer.js';
import type { Rejected } from '../schemas/dlq.js';

/** `open`: with no token configured, accept every request (--insecure-no-auth); otherwise no token means no request is accepted. */
export interface HttpSourceOptions { tokens: string[]; maxBodyBytes: number; maxLineBytes: number; maxLines: number; minCreatedAt?: string; open?: boolean }

/** A body with more posts (lines or array items) than the limit: answered 413 as a whole. */
export class TooManyPostsError extends Error {
  readonly code = 'too_many_posts';
  constructor(readonly limit: number) {
    super(`the body holds more than ${limit} posts (lines or array items): split it into smaller batches`);
    this.name = 'TooManyPostsError';
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Compares a presented bearer token with every accepted one in constant time. With no token
 * configured only `open` (the explicit --insecure-no-auth) accepts: an empty list is closed.
 */
export function tokenAccepted(header: string | undefined, tokens: readonly Buffer[], open = false): boolean {
  if (tokens.length === 0) return open;
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const presented = digest(m?.[1] ?? '');
  let ok = false;
  for (const t of tokens) ok = timingSafeEqual(presented, t) || ok;
  return ok && !!m;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ParsedBatch { posts: Post[]; rejected: Rejected[]; lines: number }

/**
 * Splits and validates a request body. Throws InvalidPostError when the body is unreadable as a
 * whole, TooManyPostsError (before validating anything) when it holds more than `maxLines` posts:
 * each rejected line keeps a copy, a reason and a dead letter, so an unbounded count is unbounded memory.
 */
export function parseBody(body: Buffer, opts: { maxLineBytes: number; maxLines?: number; now?: number; source?: string; onLimit?: OnLimit; minCreatedAt?: number }): ParsedBatch {
  const maxLines = opts.maxLines ?? Infinity;
  const now = opts.now ?? Date.now();
  const source = opts.source ?? 'http';
  const posts: Post[] = [];
  const rejected: Rejected[] = [];
  const first = body.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  let arr: unknown;
  if (first >= 0 && body[first] === 0x5b /* [ */) {
    // An NDJSON body whose first line is an array (a bad post) is still NDJSON: a whole body
    // that is no JSON array but has more lines is read line by line, so its good lines count.
    try { arr = JSON.parse(utf8.decode(body)); } catch (e) {
      if (!hasLaterLine(body, first)) throw new InvalidPostError('invalid_json', `body is neither NDJSON nor a JSON array: ${(e as Error).message}`);
    }
  }
  if (Array.isArray(arr)) {
    if (arr.length > maxLines) throw new TooManyPostsError(maxLines);
    arr.forEach((item, i) => {
      try { posts.push(toPost(item, now, opts.onLimit, opts.minCreatedAt)); } catch (e) {
        const err = e as InvalidPostError;
        rejected.push({ raw: JSON.stringify(item) ?? 'undefined', code: err.code ?? 'invalid_post', reason: err.message, source, line: i + 1 });
      }
    });
    return { posts, rejected, lines: arr.length };
  }
  if (countLines(body, maxLines) > maxLines) throw new TooManyPostsError(maxLines);
  let start = 0;
  let lineNo = 0;
  let readable = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    lineNo++;
    const raw = body.subarray(start, end);
    start = end + 1;
    const trimmedLen = raw.length - (raw[raw.length - 1] === 0x0d ? 1 : 0);
    const bytes = raw.subarray(0, trimmedLen);
    if (bytes.every((b) => b === 0x20 || b === 0x09)) { if (end === body.length) break; continue; }
    const reject = (code: string, reason: string) => rejected.push({ raw: Buffer.from(bytes), code, reason, source, line: lineNo });
    if (bytes.length > opts.maxLineBytes) { reject('too_large', `line is ${bytes.length} bytes, more than the limit of ${opts.maxLineBytes}`); continue; }
    let text: string;
    try { text = utf8.decode(bytes); } catch { reject('invalid_encoding', 'line is not valid UTF-8'); continue; }
    let obj: unknown;
    try { obj = JSON.parse(text); readable++; } catch (e) { reject('invalid_json', `not valid JSON: ${(e as Error).message}`); continue; }
    try { posts.push(toPost(obj, now, opts.onLimit, opts.minCreatedAt)); } catch (e) {
      const err = e as InvalidPostError;
      reject(err.code ?? 'invalid_post', err.message);
    }
    if (end === body.length) break;
  }
  if (readable === 0 && rejected.length > 0 && rejected.every((r) => r.code === 'invalid_json')) {
    throw new InvalidPostError('invalid_json', `body is neither NDJSON nor a JSON array: ${rejected[0]!.reason}`);
  }
  return { posts, rejected, lines: lineNo };
}

/** Whether a non-blank line follows the line that holds byte `from`. */
function hasLaterLine(body: Buffer, from: number): boolean {
  const nl = body.indexOf(0x0a, from);
  if (nl < 0) return false;
  for (let i = nl + 1; i < body.length; i++) { const b = body[i]!; if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return true; }
  return false;
}

/** Non-blank lines of an NDJSON body, counted up to `limit + 1`. */
function countLines(body: Buffer, limit: number): number {
  let n = 0;
  let blank = true;
  for (let i = 0; i < body.length && n <= limit; i++) {
    const b = body[i]!;
    if (b === 0x0a) { if (!blank) n++; blank = true; } else if (b !== 0x20 && b !== 0x09 && b !== 0x0d) blank = false;
  }
  return blank ? n : n + 1;
}

/** Registers POST /v1/posts on `app`. */
export function registerIngest(app: FastifyInstance, producer: PostProducer, metrics: Metrics, opts: HttpSourceOptions): void {
  const tokens = opts.tokens.map(digest);
  const minCreatedAt = opts.minCreatedAt === undefined ? undefined : Date.parse(opts.minCreatedAt);
  const parse = (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  app.addContentTypeParser(['application/x-ndjson', 'application/json', 'text/plain', 'application/jsonl'], { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, parse);
  app.post('/v1/posts', { bodyLimit: opts.maxBodyBytes }, async (req, reply) => {
    if (!tokenAccepted(req.headers.authorization, tokens, opts.open)) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return { error: 'unauthorized', message: 'missing or wrong bearer token' };
    }
    const body = req.body;
    if (!Buffer.isBuffer(body)) { reply.code(415); return { error: 'unsupported_media_type', message: 'send application/x-ndjson or application/json' }; }
    let batch: ParsedBatch;
    try {
      batch = parseBody(body, { maxLineBytes: opts.maxLineBytes, maxLines: opts.maxLines, minCreatedAt, onLimit: (limit, n) => metrics.limitDropped.inc({ limit }, n) });
    } catch (e) {
      if (e instanceof TooManyPostsError) {
        metrics.discarded.inc({ component_kind: 'source', component_id: 'http', reason: 'too_many_posts' });
        reply.code(413);
        return { error: 'too_many_posts', message: e.message };
      }
      metrics.discarded.inc({ component_kind: 'source', component_id: 'http', reason: 'invalid_json' });
      reply.code(400);
      return { error: 'invalid_body', message: (e as Error).message };
    }
    metrics.received.inc({ component_kind: 'source', component_id: 'http' }, batch.posts.length + batch.rejected.length);
    try {
      await producer.send(batch.posts, batch.rejected);
    } catch {
      reply.code(503).header('retry-after', '5');
      return { error: 'unavailable', message: 'could not write to Kafka; retry the same batch (it is deduplicated)' };
    }
    reply.code(202);
    return { accepted: batch.posts.length, rejected: batch.rejected.map((r) => ({ line: r.line, code: r.code, reason: r.reason })) };
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    reply.code(status).send({ error: err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : status >= 500 ? 'internal' : 'bad_request', message: err.message });
  });
}
