// Erasure's pure parts: request references, the erasure set, which rows a batch loses or
// has redacted, which late requests concern rows just written, and the mutations' SQL.
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerErasures } from '../../ingest/erasure.js';
import { alertsUpdateSql, concerning, erasedPostsWhere, ErasureSet, filterErased, redactSamples } from '../../sinks/clickhouse/erasure.js';
import { erasureCodec, erasureKey, parseRef, type Erasure } from '../../schemas/erasure.js';
import type { ErasureProducer } from '../../lib/kafka/erasures.js';
import { AvroCodec, loadSchema } from '../../schemas/avro.js';

const req = (kind: 'post' | 'author', platform: string, id: string, derived = false): Erasure => ({ kind, platform, id, requested_at: 0, source: 'test', derived });
const post = (platform: string, id: string, author_id: string) => ({ platform, id, author_id, text: `post ${id}` });
const samples = (...ids: string[]) => JSON.stringify(ids.map((id) => ({ platform: 'mastodon', id })));

describe('erasure requests', () => {
  it('parses platform:id, keeping colons in the id, and says what is wrong otherwise', () => {
    expect(parseRef('mastodon:109876543210')).toEqual({ platform: 'mastodon', id: '109876543210' });
    expect(parseRef('bluesky:at://did:plc:abc/app.bsky.feed.post/3k')).toEqual({ platform: 'bluesky', id: 'at://did:plc:abc/app.bsky.feed.post/3k' });
    expect(() => parseRef('109876543210', '--post')).toThrow(/--post "109876543210" must look like platform:id .*no colon/);
    expect(() => parseRef('Mastodon:1')).toThrow(/platform must be a lowercase platform name/);
    expect(() => parseRef('mastodon:')).toThrow(/id Too small/);
  });

  it('round-trips through Avro and is keyed for compaction by kind, platform and id', () => {
    const e = req('author', 'mastodon', 'a-42');
    expect(erasureCodec().decode(erasureCodec().encode(e))).toEqual({ ...e, actor: '', reason: '' });
    expect(erasureKey(e)).toBe('author:mastodon:a-42');
  });
});

describe('ErasureSet and filtering', () => {
  const set = new ErasureSet();
  set.add(req('post', 'mastodon', '2'));
  set.add(req('author', 'mastodon', 'bad'));

  it('counts each post or author once, in the order learned', () => {
    const s = new ErasureSet();
    expect(s.add(req('post', 'mastodon', '1'))).toBe(true);
    expect(s.add(req('post', 'mastodon', '1', true))).toBe(false);
    expect(s.add(req('author', 'mastodon', '1'))).toBe(true);
    expect(s.version).toBe(2);
    expect(s.since(1)).toEqual([req('author', 'mastodon', '1')]);
    expect(s.postErased('mastodon', '1') && s.authorErased('mastodon', '1') && !s.postErased('bluesky', '1')).toBe(true);
  });

  it('holds only the newest requests, the keys for good; a version older than those is answered from the keys', () => {
    const s = new ErasureSet(2);
    for (let i = 0; i < 5; i++) s.add(req('post', 'bluesky', String(i)));
    s.add(req('author', 'bluesky', 'a'));
    expect(s.version).toBe(6);
    expect(s.since(4)).toEqual([req('post', 'bluesky', '4'), req('author', 'bluesky', 'a')]);
    expect(s.since(1)).toBeNull();
    expect([0, 1, 2, 3, 4].every((i) => s.postErased('bluesky', String(i)))).toBe(true);
    const tables = new Map([
      ['posts', [post('bluesky', '0', 'x'), post('bluesky', '9', 'a'), post('bluesky', '8', 'ok')]],
      ['alerts', [{ id: 'al', samples: JSON.stringify([{ platform: 'bluesky', id: '1' }]) }]],
    ]);
    expect(s.concerning(tables).map(erasureKey).sort()).toEqual(['author:bluesky:a', 'post:bluesky:0', 'post:bluesky:1']);
  });

  it('drops posts erased by id or by author, and records the author\'s posts as derived', () => {
    const tables = new Map([
      ['posts', [post('mastodon', '1', 'ok'), post('mastodon', '2', 'ok'), post('mastodon', '3', 'bad'), post('bluesky', '2', 'bad')]],
      ['hashtag_minute', [{ hashtag: 'x', posts: 4 }]],
    ]);
    const f = filterErased(tables, set);
    expect(f.tables.get('posts')!.map((r) => `${r.platform}:${r.id}`)).toEqual(['mastodon:1', 'bluesky:2']);
    expect(f.tables.get('hashtag_minute')).toBe(tables.get('hashtag_minute'));
    expect(f.dropped).toBe(2);
    expect(f.derived).toEqual([{ platform: 'mastodon', id: '3' }]);
    expect(tables.get('posts')).toHaveLength(4); // the batch given is never mutated
  });

  it('redacts alert samples that point at erased posts and leaves other alerts as they are', () => {
    const a = { id: 'alert:x:1', samples: samples('1', '2', '3') };
    const b = { id: 'alert:x:2', samples: samples('1') };
    const f = filterErased(new Map([['alerts', [a, b]]]), set);
    expect(f.tables.get('alerts')).toEqual([{ id: 'alert:x:1', samples: samples('1', '3') }, b]);
    expect(f.tables.get('alerts')![1]).toBe(b);
    expect(redactSamples(samples('2'), (s) => s.id === '2')).toBe('[]');
    expect(redactSamples('not json', () => true)).toBe('not json');
  });

  it('finds the late requests that concern rows just written', () => {
    const late = [req('post', 'mastodon', '9'), req('author', 'mastodon', 'z'), req('post', 'mastodon', '5'), req('author', 'bluesky', 'q')];
    const tables = new Map([['posts', [post('mastodon', '1', 'z'), post('mastodon', '2', 'y')]], ['alerts', [{ id: 'a', samples: samples('4', '5') }]]]);
    expect(concerning(late, tables)).toEqual([late[1], late[2]]);
    expect(concerning([], tables)).toEqual([]);
  });
});

describe('erasure mutations', () => {
  it('selects posts by id and by author in one condition, values quoted', () => {
    expect(erasedPostsWhere([{ platform: 'mastodon', id: "1'; DROP" }], [{ platform: 'mastodon', id: 'a\\b' }]))
      .toBe("(platform, id) IN (('mastodon', '1\\'; DROP')) OR (platform, author_id) IN (('mastodon', 'a\\\\b'))");
    expect(erasedPostsWhere([], [{ platform: 'm', id: 'a' }, { platform: 'n', id: 'b' }])).toBe("(platform, author_id) IN (('m', 'a'), ('n', 'b'))");
    expect(erasedPostsWhere([], [])).toBeNull();
  });

  it('rewrites the samples of exactly the alert rows that changed', () => {
    expect(alertsUpdateSql('ts.alerts', new Map([['a1', '[]'], ['a2', '[{"platform":"m","id":"1"}]']])))
      .toBe(`ALTER TABLE ts.alerts UPDATE samples = multiIf(id = 'a1', '[]', id = 'a2', '[{"platform":"m","id":"1"}]', samples) WHERE id IN ('a1', 'a2')`);
    expect(alertsUpdateSql('ts.alerts', new Map())).toBeNull();
  });
});

describe('POST /v1/erasures', () => {
  const TOKEN = 'admin-token-0123456789';
  const INGEST = 'ingest-token-0123456789';
  async function app(fail = false, adminTokens = [TOKEN]) {
    const sent: Erasure[] = [];
    const a = Fastify();
    registerErasures(a, { send: async (e: Erasure[]) => { if (fail) throw new Error('kafka down'); sent.push(...e); } } as unknown as ErasureProducer, { adminTokens, ingestTokens: [INGEST] });
    await a.ready();
    const post = (body: unknown, token = TOKEN) => a.inject({ method: 'POST', url: '/v1/erasures', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
    return { sent, post };
  }

  it('accepts posts and authors, answering 202 once they are written', async () => {
    const { sent, post } = await app();
    const r = await post({ posts: [{ platform: 'mastodon', id: '1' }], authors: [{ platform: 'bluesky', author_id: 'did:plc:x' }] });
    expect([r.statusCode, r.json()]).toEqual([202, { accepted: 2 }]);
    expect(sent.map((e) => [erasureKey(e), e.source, e.derived])).toEqual([['post:mastodon:1', 'http', false], ['author:bluesky:did:plc:x', 'http', false]]);
  });

  it('needs an admin token: 403 for an ingest token, 401 when no admin token is configured; records the actor and reason', async () => {
    const { sent, post } = await app();
    const forbidden = await post({ posts: [{ platform: 'm', id: '1' }] }, INGEST);
    expect([forbidden.statusCode, forbidden.json().error]).toEqual([403, 'forbidden']);
    const none = await (await app(false, [])).post({ posts: [{ platform: 'm', id: '1' }] }, 'some-other-token-0123');
    expect([none.statusCode, none.json().message]).toEqual([401, 'erasure needs an admin token and none is configured (TRENDSTREAM_API_ADMIN_TOKENS, config api.adminTokens)']);
    expect(sent).toEqual([]);
    expect((await post({ authors: [{ platform: 'm', author_id: 'a' }], reason: 'ticket DSR-42' })).statusCode).toBe(202);
    const actor = `token:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 8)}`;
    expect(sent.map((e) => [e.actor, e.reason])).toEqual([[actor, 'ticket DSR-42']]);
    expect(erasureCodec().decode(erasureCodec().encode(sent[0]!))).toMatchObject({ actor, reason: 'ticket DSR-42' });
    expect((await post({ posts: [{ platform: 'm', id: '1' }], reason: 'x'.repeat(501) })).statusCode).toBe(400);
  });

  it('reads v1 erasure records (no actor) as written by an older version', () => {
    const v1 = new AvroCodec<Erasure>(loadSchema('erasure.v1'));
    const old = v1.encode({ kind: 'post', platform: 'm', id: '1', requested_at: 5, source: 'cli', derived: false });
    expect(erasureCodec().decode(old)).toEqual({ kind: 'post', platform: 'm', id: '1', requested_at: 5, source: 'cli', derived: false, actor: '', reason: '' });
  });

  it('answers 400 naming the field, 401 without the token, 503 when Kafka is down', async () => {
    const { sent, post } = await app();
    expect((await post({ posts: [{ platform: 'Mastodon', id: '1' }] })).json()).toEqual({ error: 'invalid_erasure', message: 'posts.0.platform: must be a lowercase platform name like "mastodon"' });
    expect((await post({ authors: [{ platform: 'm', id: '1' }] })).json().message).toBe('authors.0.author_id: Invalid input: expected string, received undefined; authors.0: Unrecognized key: "id"');
    expect((await post({})).json().message).toBe('body: name at least one post or author');
    expect((await post('{nope')).statusCode).toBe(400);
    expect((await post({ posts: [{ platform: 'm', id: '1' }] }, 'wrong-token-0123456789')).statusCode).toBe(401);
    expect(sent).toEqual([]);
    expect((await (await app(true)).post({ posts: [{ platform: 'm', id: '1' }] })).statusCode).toBe(503);
  });
});
