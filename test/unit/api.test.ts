// The query API without ClickHouse: the OpenAPI document generated from the route
// declarations lists every route with its parameters and the bearer scheme; validation
// answers 400 naming the field; tokens give 401/403 by scope; a failing store is a 503.
// test/integration/api.test.ts checks the answers against a real server.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../lib/clickhouse/client.js';
import { registerApi } from '../../serve/api.js';
import { ROUTES } from '../../serve/routes.js';
import { WatchStore } from '../../serve/watch-store.js';

const READ = 'read-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const ALERT = 'alert:deutsche-bahn:2026-11-27T10:24:00Z:opened';

/** A store answering every query with no rows (or failing), recording the SQL it was sent. */
function fakeStore(fail = false) {
  const sql: string[] = [];
  const store = {
    query: async ({ query }: { query: string }) => {
      sql.push(query);
      if (fail) throw new Error('Connection refused\nstack');
      return { json: async () => [] };
    },
    insert: async () => { if (fail) throw new Error('Connection refused'); },
  } as unknown as Store;
  return { store, sql };
}

let app: FastifyInstance | null = null;
afterEach(async () => { await app?.close(); app = null; });

async function build(o: { tokens?: { read: string[]; admin: string[]; open?: boolean }; fail?: boolean; ingestParser?: boolean } = {}) {
  const { store, sql } = fakeStore(o.fail);
  app = Fastify({ logger: false });
  // As in a worker, where the ingest route's parser hands JSON bodies over as bytes.
  if (o.ingestParser) app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, b, done) => done(null, b));
  registerApi(app, { store, database: 'trendstream', watches: new WatchStore({ watches: [{ id: 'deutsche-bahn', name: 'Deutsche Bahn' }] }), tokens: o.tokens ?? { read: [READ], admin: [ADMIN] } });
  await app.ready();
  return { app, sql };
}
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('OpenAPI document', () => {
  it('is generated from the route declarations: every route, its parameters, bodies and the bearer scheme', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    expect(doc.security).toEqual([{ bearer: [] }]);

    const declared = Object.values(ROUTES).map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).sort();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    expect(documented).toEqual(declared);
    expect(documented).toHaveLength(10);

    const params = (path: string, method = 'get') => (doc.paths[path][method].parameters ?? [])
      .map((p: { name: string; in: string; required?: boolean }) => `${p.in}:${p.name}${p.required ? '!' : ''}`).sort();
    expect(params('/v1/trends')).toEqual(['query:limit', 'query:window']);
    expect(params('/v1/trends/{tag}')).toEqual(['path:tag!', 'query:samples', 'query:window']);
    expect(params('/v1/hashtags/{tag}/series')).toEqual(['path:tag!', 'query:from', 'query:to']);
    expect(params('/v1/watches/{id}/series')).toEqual(['path:id!', 'query:from', 'query:to']);
    expect(params('/v1/alerts')).toEqual(['query:limit', 'query:state']);
    expect(params('/v1/alerts/{id}/ack', 'post')).toEqual(['path:id!']);
    expect(params('/v1/alerts/{id}/feedback', 'post')).toEqual(['path:id!']);
    const limit = doc.paths['/v1/trends'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.description).toMatch(/from 1 to 100/);
    expect(limit.schema.default).toBe('20'); // on the wire, a query parameter is text

    expect(doc.paths['/v1/alerts/{id}/feedback'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/FeedbackInput');
    expect(doc.components.schemas.FeedbackInput.required).toEqual(['verdict']);
    expect(doc.paths['/v1/alerts/{id}/feedback'].post.requestBody.required).toBe(true);
    expect(doc.paths['/v1/alerts/{id}/ack'].post.requestBody.required).toBe(false);
    expect(JSON.stringify(doc.paths['/v1/watches'].put.requestBody)).toContain('#/components/schemas/WatchInput');
    expect(doc.components.schemas.Watch.properties.id.pattern).toBeDefined();
    expect(Object.keys(doc.paths['/v1/alerts/{id}/ack'].post.responses).sort()).toEqual(['200', '400', '401', '403', '404', '503']);
    // Public: the document itself needs no token.
    expect(doc.paths['/v1/openapi.json'].get.security).toEqual([]);
  });
});

describe('validation', () => {
  it('answers bad parameters and bodies with a 400 naming the field', async () => {
    const { app, sql } = await build({ ingestParser: true });
    const bad: [string, RegExp, { method?: 'POST'; payload?: string }?][] = [
      ['/v1/trends?window=2h', /^query\.window: window must be one of 5m, 15m, 60m$/],
      ['/v1/trends?limit=0', /query\.limit: limit must be an integer from 1 to 100/],
      ['/v1/trends?limit=abc', /limit must be an integer/],
      ['/v1/trends?limit=1e2', /limit must be an integer/],
      ['/v1/trends?limit=1000000000000', /limit must be an integer/],
      ['/v1/trends?limit=1&limit=2', /query\.limit/],
      ['/v1/trends?colour=red', /query\.colour: unknown field/],
      ['/v1/alerts?state=closed', /state must be open or all/],
      ['/v1/trends/%27%20OR%201%3D1%20--', /path\.tag: tag must be a hashtag/],
      ['/v1/hashtags/%23/series', /tag must be a hashtag/],
      ['/v1/hashtags/glatteis/series?from=yesterday', /query\.from: from must be an ISO 8601 time/],
      ['/v1/hashtags/glatteis/series?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z', /from must be before to/],
      ['/v1/hashtags/glatteis/series?from=2026-11-01T00:00:00Z&to=2026-11-20T00:00:00Z', /query\.to: from\.\.to may span at most 7 days/],
      ['/v1/watches/Not%20A%20Slug/series', /path\.id: must be a lowercase slug/],
      ['/v1/trends/glatteis?samples=51', /samples must be an integer from 1 to 50/],
      ['/v1/alerts/not-an-alert/ack', /path\.id: id must be an alert id/, { method: 'POST' }],
      [`/v1/alerts/${ALERT}/feedback`, /body\.verdict: verdict must be useful or false_alarm/, { method: 'POST', payload: '{"verdict":"meh"}' }],
      [`/v1/alerts/${ALERT}/feedback`, /body\.verdict/, { method: 'POST' }],
      [`/v1/alerts/${ALERT}/feedback`, /body\.mood: unknown field/, { method: 'POST', payload: '{"verdict":"useful","mood":"x"}' }],
      [`/v1/alerts/${ALERT}/feedback`, /body is not valid JSON/, { method: 'POST', payload: '{"verdict":' }],
      [`/v1/alerts/${ALERT}/ack`, /body\.note: note must be at most 2000 characters/, { method: 'POST', payload: JSON.stringify({ note: 'x'.repeat(2001) }) }],
    ];
    for (const [url, message, init] of bad) {
      const headers = { ...auth(init?.method ? ADMIN : READ), ...(init?.payload ? { 'content-type': 'application/json' } : {}) };
      const r = await app.inject({ url, method: init?.method ?? 'GET', headers, payload: init?.payload });
      expect({ url, status: r.statusCode, error: r.json().error }).toEqual({ url, status: 400, error: 'bad_request' });
      expect(r.json().message).toMatch(message);
      expect(r.json().issues[0].path).toMatch(/^(query|path|body)\b/);
    }
    expect(sql).toEqual([]); // nothing reached the store
  });

  it('answers an invalid watch list with invalid_watches naming each entry', async () => {
    const { app } = await build();
    const r = await app.inject({ method: 'PUT', url: '/v1/watches', headers: auth(ADMIN), payload: [{ id: 'Bad Id', name: '' }, { id: 'a', name: 'A' }, { id: 'a', name: 'A' }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('invalid_watches');
    expect(r.json().issues.map((i: { path: string }) => i.path)).toEqual(['0.id', '0.name', '2.id']);
    const empty = await app.inject({ method: 'PUT', url: '/v1/watches', headers: { ...auth(ADMIN), 'content-type': 'application/json' }, payload: '' });
    expect(empty.json()).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/send the watch list as a JSON array/) });
    const put = await app.inject({ method: 'PUT', url: '/v1/watches', headers: auth(ADMIN), payload: { watches: [{ id: 'acme', name: 'Acme' }] } });
    expect(put.json().watches).toEqual([{ id: 'acme', name: 'Acme', handles: [], keywords: [], hashtags: [], min_severity: 3, sensitivity: 1, channels: [] }]);
    expect((await app.inject({ url: '/v1/watches', headers: auth(READ) })).json()).toEqual({ watches: put.json().watches, file_error: null });
  });
});

describe('token scopes', () => {
  it('gives 401 without a right token, 403 for a read token on admin routes', async () => {
    const { app } = await build();
    for (const headers of [{}, auth('wrong-token-0123456789abcdef'), { authorization: `Basic ${Buffer.from(`x:${READ}`).toString('base64')}` }]) {
      const r = await app.inject({ url: '/v1/trends', headers });
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.json().error).toBe('unauthorized');
    }
    expect((await app.inject({ url: '/v1/trends', headers: auth(ADMIN) })).statusCode).toBe(200);
    const forbidden = await app.inject({ method: 'POST', url: `/v1/alerts/${ALERT}/ack`, headers: auth(READ) });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error).toBe('forbidden');
    expect((await app.inject({ method: 'PUT', url: '/v1/watches', headers: auth(READ), payload: [] })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/v1/watches', payload: [] })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/trends', headers: auth(READ) })).headers['cache-control']).toBe('no-store');
  });

  it('is closed when no token is configured, and open only when told so (--insecure-no-auth)', async () => {
    const closed = (await build({ tokens: { read: [], admin: [] } })).app;
    expect((await closed.inject({ url: '/v1/alerts' })).statusCode).toBe(401);
    expect((await closed.inject({ url: '/v1/openapi.json' })).statusCode).toBe(200);
    const { app } = await build({ tokens: { read: [], admin: [], open: true } });
    expect((await app.inject({ url: '/v1/alerts' })).json()).toEqual({ state: 'open', alerts: [] });
    expect((await app.inject({ method: 'PUT', url: '/v1/watches', payload: [{ id: 'x', name: 'X' }] })).json().watches).toHaveLength(1);
  });
});

describe('answers from the store', () => {
  it('answers empty tables with empty lists, and an unknown alert or hashtag with 404', async () => {
    const { app, sql } = await build();
    expect((await app.inject({ url: '/v1/trends', headers: auth(READ) })).json()).toEqual({ window: '15m', as_of: null, trends: [] });
    expect(sql[0]).toMatch(/FROM trendstream\.hashtag_minute/);
    expect((await app.inject({ url: '/v1/trends/Glatteis', headers: auth(READ) })).statusCode).toBe(404);
    expect(sql.some((s) => s.includes("hashtag = 'glatteis'"))).toBe(true);
    const ack = await app.inject({ method: 'POST', url: `/v1/alerts/${ALERT}/ack`, headers: auth(ADMIN) });
    expect(ack.statusCode).toBe(404);
    expect(ack.json().error).toBe('not_found');
    expect((await app.inject({ url: '/v1/watches/nobody/series', headers: auth(READ) })).statusCode).toBe(404);
    const series = await app.inject({ url: '/v1/watches/deutsche-bahn/series', headers: auth(READ) });
    expect(series.statusCode).toBe(200);
    expect(series.json()).toMatchObject({ watch: 'deutsche-bahn', name: 'Deutsche Bahn', points: [], events: [], decided_until: null });
  });

  it('answers 503 when ClickHouse does not answer', async () => {
    const { app } = await build({ fail: true });
    const r = await app.inject({ url: '/v1/trends', headers: auth(READ) });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ error: 'store_unavailable', message: 'ClickHouse query failed: Connection refused' });
  });
});
