// The query API (issue 7) over ClickHouse: current trends and their context, alerts as
// episodes with acknowledgements and feedback, minute series, and the watch list. Serves the
// dashboard, the `top`/`alerts` CLI and data teams' scripts. This file wires the parts together.
//
// The parts: serve/routes.ts declares every route (zod), from which requests are validated and
// the OpenAPI document at /v1/openapi.json is generated; serve/auth.ts checks token scopes;
// serve/handlers.ts answers, with SQL in serve/queries.ts and response shaping in serve/shape.ts.
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../lib/log.js';
import type { Store } from '../lib/clickhouse/client.js';
import { actorOf, scopeGuard } from './auth.js';
import { ApiError, handlers } from './handlers.js';
import { ApiStore, StoreUnavailableError } from './queries.js';
import { ROUTES } from './routes.js';
import { fieldErrors, WatchListError, type WatchStore } from './watch-store.js';

/** Settings of the query API: the `api` section of the config schema (app/config.ts maps env vars onto it). */
export const ApiConfigSchema = z.object({
  port: z.number().int().min(0).max(65535).default(8081).describe('Port of the query API and dashboard under `trendstream serve` (env TRENDSTREAM_API_PORT); /metrics and health stay on http.port'),
  host: z.string().min(1).default('127.0.0.1').describe('Address the query API listens on (env TRENDSTREAM_API_HOST); 0.0.0.0 for users on other hosts'),
  readTokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([])
    .describe('Bearer tokens that may read the query API and dashboard data (env TRENDSTREAM_API_READ_TOKENS, comma-separated); `trendstream serve` refuses to start with no read and no admin token unless insecureNoAuth'),
  adminTokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([])
    .describe('Bearer tokens that may also change watches and acknowledge alerts or give feedback (env TRENDSTREAM_API_ADMIN_TOKENS, comma-separated)'),
  watchesFile: z.string().min(1).optional()
    .describe('JSON file holding the watch list, re-read when edited and rewritten by PUT /v1/watches (env TRENDSTREAM_WATCHES_FILE)'),
}).strict();
export type ApiConfig = z.output<typeof ApiConfigSchema>;

export interface ApiOptions {
  store: Store;
  database: string;
  watches: WatchStore;
  /** With no read and no admin token, `open` serves everyone (--insecure-no-auth); otherwise every non-public route answers 401. */
  tokens: { read: string[]; admin: string[]; open?: boolean };
  log?: Logger;
}

const PART: Record<string, string> = { querystring: 'query', params: 'path', body: 'body', headers: 'headers' };

/**
 * Validates a request part against its zod declaration; a failure is a 400 naming each field
 * (`query.limit: …`). An absent part counts as {}: an ack needs no body, and a feedback
 * without one is answered by the field it lacks.
 */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => (data) => {
  const r = schema.safeParse(data ?? {});
  if (r.success) return { value: r.data };
  const where = PART[httpPart ?? ''] ?? String(httpPart);
  const issues = fieldErrors(r.error).map((i) => ({ path: i.path ? `${where}.${i.path}` : where, message: i.message }));
  return { error: new ApiError(400, 'bad_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues) };
};

/** Bodies are JSON (also when sent as text/plain); an empty body is no body. */
function parseJsonBody(_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const s = body.toString();
  if (!s.trim()) { done(null, undefined); return; }
  try { done(null, JSON.parse(s)); } catch (e) {
    const message = `body is not valid JSON: ${(e as Error).message}`;
    done(new ApiError(400, 'bad_request', message, [{ path: 'body', message }]));
  }
}

/** The OpenAPI document's frame; paths and schemas come from the route declarations. */
const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'trendstream query API', version: '1',
    description: 'Trends, alerts, minute series and watches from ClickHouse. Bearer tokens: read scope for GET, admin scope for changes; with no tokens configured the server refuses to start unless told to run open. Times are ISO 8601 UTC.',
  },
  components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } } },
  security: [{ bearer: [] }],
};

/**
 * The paths and schemas from the route declarations. @fastify/swagger marks every declared body
 * required; an acknowledgement's is not (an absent body counts as {}), so its document says so.
 */
const transformObject: typeof jsonSchemaTransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input) as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>> };
  const ack = doc.paths?.[ROUTES.ack.url.replace(/:(\w+)/g, '{$1}')]?.post?.requestBody;
  if (ack) ack.required = false;
  return doc as ReturnType<typeof jsonSchemaTransformObject>;
};

/**
 * Registers /v1/* on `app` as an encapsulated plugin (its own body parser, validation, auth
 * hook and error handler; the ingest and ops routes are untouched). Call before
 * `app.listen`/`ready`. Reads the store on every request; `watches` is the live list the
 * pipeline reads too.
 */
export function registerApi(app: FastifyInstance, o: ApiOptions): void {
  const h = handlers({ db: new ApiStore(o.store, o.database), watches: o.watches, log: o.log });

  app.register(async (plain) => {
    // The ingest route on the same app hands JSON bodies over as bytes: the API parses its own.
    plain.removeAllContentTypeParsers();
    plain.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonBody);
    plain.setValidatorCompiler(validatorCompiler);
    plain.setSerializerCompiler(serializerCompiler);
    plain.addHook('onRequest', scopeGuard(o.tokens));
    plain.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      if (err instanceof ApiError) {
        return reply.code(err.status).send({ error: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) });
      }
      if (err instanceof StoreUnavailableError) {
        o.log?.warn({ err, url: req.url }, 'query API request failed');
        return reply.code(503).send({ error: 'store_unavailable', message: err.message });
      }
      if (err instanceof WatchListError) return reply.code(400).send({ error: err.code, message: err.message, issues: err.errors });
      const status = err.statusCode ?? 500;
      if (status >= 500) {
        o.log?.error({ err, url: req.url }, 'query API request failed');
        return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
      }
      return reply.code(status).send({ error: status === 413 ? 'too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request', message: err.message });
    });
    await plain.register(swagger, { openapi: OPENAPI, transform: jsonSchemaTransform, transformObject });

    const api = plain.withTypeProvider<ZodTypeProvider>();
    api.route({ ...ROUTES.openapi, handler: async () => api.swagger() });
    api.route({ ...ROUTES.trends, handler: (req) => h.trends(req.query) });
    api.route({ ...ROUTES.trend, handler: (req) => h.trend(req.params, req.query) });
    api.route({ ...ROUTES.hashtagSeries, handler: (req) => h.hashtagSeries(req.params, req.query) });
    api.route({ ...ROUTES.watchSeries, handler: (req) => h.watchSeries(req.params, req.query) });
    api.route({ ...ROUTES.alerts, handler: (req) => h.alerts(req.query) });
    api.route({ ...ROUTES.ack, handler: (req) => h.ack(req.params, req.body, actorOf(req)) });
    api.route({ ...ROUTES.feedback, handler: (req) => h.feedback(req.params, req.body, actorOf(req)) });
    api.route({ ...ROUTES.watches, handler: async () => h.watches() });
    // The body is declared for the document but validated by WatchStore.put, so that a bad list is
    // answered as the watches file and `watches validate` answer it (invalid_watches, paths like 0.id).
    api.route({ ...ROUTES.putWatches, validatorCompiler: () => (data) => ({ value: data }), handler: async (req) => h.putWatches(req.body) });
  });
}
