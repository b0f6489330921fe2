// The streaming sources (Mastodon SSE, Bluesky Jetstream) against local replay servers:
// exact posts from recorded-format fixtures, reconnects that resume without gaps or
// duplicates, malformed frames counted and rejected, refusals and backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { JetstreamSource, recordToInput } from '../../ingest/jetstream.js';
import { htmlToText, MastodonSource, parseStream, SseParser, statusToInput } from '../../ingest/mastodon.js';
import type { Post } from '../../schemas/post.js';
import { Batcher, RecentKeys, SourceConnectError } from '../../ingest/source-kit.js';
import { Backoff } from '../../lib/retry.js';
import { createLogger } from '../../lib/log.js';
import { Metrics } from '../../lib/metrics.js';
import { fixture, splitSseFrames, startJetstreamReplay, startMastodonReplay, type Replay } from '../fixtures/replay.js';
import type { Rejected } from '../../schemas/dlq.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const log = createLogger('silent');
const fast = { reconnect: { initialMs: 10, maxMs: 50 }, batchMaxMs: 20, random: () => 0.5, now: () => NOW };

/** Collects everything a source hands on. */
function collector() {
  const c = { posts: [] as Post[], rejected: [] as Rejected[], deletes: [] as string[], batches: 0 };
  return {
    c,
    cb: {
        onPosts: async (posts: Post[], rejected: Rejected[]) => { c.batches++; c.posts.push(...posts); c.rejected.push(...rejected); },
      onDelete: (platform: string, id: string) => { c.deletes.push(`${platform}:${id}`); },
    },
  };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

async function counters(m: Metrics, name: string, id: string, label?: string): Promise<Record<string, number>> {
  const metric = m.registry.getSingleMetric(name);
  const out: Record<string, number> = {};
  for (const v of (await metric!.get()).values) {
    if (v.labels.component_id !== id || !v.value) continue;
    out[label ? String(v.labels[label]) : 'total'] = v.value;
  }
  return out;
}

const summary = (p: Post) => ({
  id: p.id, author: p.author.handle, text: p.text, lang: p.lang, hashtags: p.hashtags, mentions: p.mentions,
  reply_to: p.reply_to, reply_to_author: p.reply_to_author, repost_of: p.repost_of,
});

let replay: Replay | null = null;
let closeSource: (() => Promise<void>) | null = null;
afterEach(async () => {
  await closeSource?.();
  await replay?.close();
  replay = null;
  closeSource = null;
});

// ---------------------------------------------------------------------------------------

describe('Mastodon status mapping', () => {
  it('turns status HTML into plain text with line breaks, decoded entities and full link URLs', () => {
    expect(htmlToText('<p>Reading the report on delays &amp; cancellations:</p><p><a href="https://www.example.org/r"><span class="invisible">https://www.</span><span class="ellipsis">example.org/</span><span class="invisible">r</span></a><br />Worth it &quot;if&quot; you&#39;re into &lt;numbers&gt;.</p>'))
      .toBe('Reading the report on delays & cancellations:\n\nhttps://www.example.org/r\nWorth it "if" you\'re into <numbers>.');
    expect(htmlToText('<p>a &amp;lt; b&#x1F600;&#128512; &nbsp;&unknown;</p><ul><li>one</li><li>two</li></ul><p>end</p>')).toBe('a &lt; b😀😀 \u00a0&unknown;\n\n• one\n• two\n\nend');
    expect(htmlToText('<p>x<script>alert(1)</script> <a title="a>b">y</a></p>')).toBe('x y');
  });

  it('maps handles, replies, boosts and content warnings', () => {
    const frames = splitSseFrames(fixture('mastodon-stream.txt'));
    const status = (i: number) => JSON.parse(frames[i]!.split('\ndata: ')[1]!);
    const reply = statusToInput(status(4), 'social.example');
    expect(reply).toMatchObject({ reply_to: '113541200000000101', reply_to_author: '@anna@norden.social', mentions: ['@anna@norden.social'] });
    const boost = statusToInput(status(5), 'social.example');
    expect(boost).toMatchObject({ id: '113541200000000104', repost_of: '113541200000000102', author: { handle: '@lena@norden.social' } });
    expect(statusToInput(status(9), 'x').text).toBe('Politics, long\n\nThread 🧵 on the #Bundestag debate:\n\n• one\n• two <3');
  });

  it('parses event streams split anywhere, with CRLF, comments, multi-line data and oversized frames', () => {
    const p = new SseParser(50);
    const text = ':)\r\nevent: update\r\ndata: {"a":\r\ndata: 1}\r\n\r\n:thump\nevent: delete\ndata: 42\n\n' + `event: update\ndata: ${'x'.repeat(80)}\n\nevent: delete\ndata: 43\n\n`;
    const events = [];
    for (let i = 0; i < text.length; i += 3) events.push(...p.push(text.slice(i, i + 3)));
    expect(events).toEqual([
      { event: 'update', data: '{"a":\n1}', oversized: false },
      { event: 'delete', data: '42', oversized: false },
      { event: 'update', data: '', oversized: true },
      { event: 'delete', data: '43', oversized: false },
    ]);
    expect(p.comments).toBe(2);
  });

  it('reads stream names from configuration strings', () => {
    expect(parseStream('public:local')).toEqual({ type: 'public', scope: 'local', onlyMedia: false });
    expect(parseStream('hashtag:Bahnchaos')).toEqual({ type: 'hashtag', tag: 'Bahnchaos', local: false });
    expect(parseStream('list:42')).toEqual({ type: 'list', list: '42' });
    expect(() => parseStream('home')).toThrow(/unknown Mastodon stream/);
  });
});

describe('Mastodon source', () => {
  const frames = splitSseFrames(fixture('mastodon-stream.txt'));
  const expectedIds = ['101', '102', '103', '104', '106', '108', '109', '110', '111', '112'].map((s) => `113541200000000${s}`);

  it.each([
    ['dropped mid-frame', { end: 'destroy' as const, partialBytes: 60 }],
    ['gone silent (no heartbeat)', { end: 'silent' as const }],
  ])('resumes without gaps or duplicates after the stream is %s, filling the gap from the REST timeline', async (_name, cut) => {
    expect(frames).toHaveLength(18);
    replay = await startMastodonReplay(frames, [{ from: 0, to: 12, ...cut }, { from: 14, end: 'hold', timelineUntil: 15 }]);
    const out = collector();
    const metrics = new Metrics();
    const src = new MastodonSource({ url: replay.url, token: 'test-token', stream: 'list:42', pageSize: 2, idleTimeoutMs: 500, ...fast, ...out.cb, metrics, log });
    closeSource = () => src.close(2000);
    await src.start();
    await until(() => out.c.posts.length >= 10 && out.c.rejected.length >= 2 && out.c.deletes.length >= 1);
    await sleep(300); // nothing more may arrive
    await src.close(2000);

    const ids = out.c.posts.map((p) => p.id);
    expect([...ids].sort()).toEqual(expectedIds);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(out.c.posts.map((p) => [p.id, p]));
    expect(summary(byId.get('113541200000000101')!)).toEqual({
      id: '113541200000000101', author: '@anna@norden.social', text: 'Schon wieder 40 Minuten Verspätung in Hamburg! #Bahnchaos @DB_Bahn', lang: 'de',
      hashtags: ['bahnchaos'], mentions: ['@DB_Bahn@bahn.social'], reply_to: null, reply_to_author: null, repost_of: null,
    });
    expect(byId.get('113541200000000101')).toMatchObject({
      platform: 'mastodon', created_at: Date.parse('2026-11-27T10:15:02.123Z'),
      author: { id: '109871', followers: 310, created_at: Date.parse('2019-04-01T00:00:00Z') }, metrics: { likes: 3, reposts: 0, replies: 1 },
    });
    expect(summary(byId.get('113541200000000102')!)).toEqual({
      id: '113541200000000102', author: '@jkr@chaos.social', lang: 'en', hashtags: ['opendata'], mentions: [],
      text: 'Reading the new report on rail delays & cancellations:\n\nhttps://www.example.org/reports/rail-2026\nWorth it "if" you\'re into numbers. #OpenData',
      reply_to: null, reply_to_author: null, repost_of: null,
    });
    expect(summary(byId.get('113541200000000103')!)).toEqual({
      id: '113541200000000103', author: '@max@mastodon.social', lang: 'de', hashtags: ['fussball'], mentions: ['@anna@norden.social'],
      text: '@anna Bei uns in München dasselbe. Das Spiel heute Abend verpasse ich wohl 🙄 #FUSSBALL #Fußball',
      reply_to: '113541200000000101', reply_to_author: '@anna@norden.social', repost_of: null,
    });
    expect(summary(byId.get('113541200000000104')!)).toMatchObject({ author: '@lena@norden.social', repost_of: '113541200000000102', hashtags: ['opendata'], lang: 'en' });
    expect(byId.get('113541200000000108')!.hashtags).toEqual(['montagsgefühl']);
    expect(byId.get('113541200000000110')!.text).toBe('Schienenersatzverkehr ab Altona, 20 Minuten Fußweg 🙄\nDanke für nichts. #Bahnchaos');
    expect(byId.get('113541200000000111')!.text).toBe("TIL: writing <script> in a toot is perfectly safe, it's escaped. #WebDev");
    expect(byId.get('113541200000000112')).toMatchObject({ hashtags: ['typescript'], mentions: ['@jkr@chaos.social'] });

    expect(out.c.rejected.map((r) => r.code)).toEqual(['invalid_json', 'invalid_post']);
    expect(out.c.rejected[1]!.reason).toMatch(/created_at/);
    expect(String(out.c.rejected[0]!.raw)).toBe('{"id":"113541200000000199","created_at":"2026-11-27T10:16:0');
    expect(out.c.deletes).toEqual(['mastodon:113541100000000042']);

    // Two stream connections with the token; the gap filled from the list timeline in pages of 2.
    const streams = replay.requests.filter((r) => r.path.startsWith('/api/v1/streaming/'));
    expect(streams.map((r) => `${r.path}?${r.search}`)).toEqual(['/api/v1/streaming/list?list=42', '/api/v1/streaming/list?list=42']);
    expect(streams.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
    expect(replay.requests.filter((r) => r.path.startsWith('/api/v1/timelines/')).map((r) => `${r.path}?${r.search}`)).toEqual([
      '/api/v1/timelines/list/42?min_id=113541200000000107&limit=2',
      '/api/v1/timelines/list/42?min_id=113541200000000109&limit=2',
    ]);

    expect(await counters(metrics, 'trendstream_component_discarded_events_total', 'mastodon', 'reason'))
      .toEqual({ not_public: 1, invalid_json: 1, invalid_post: 1, ignored: 1, duplicate: 1 });
    expect(await counters(metrics, 'trendstream_component_received_events_total', 'mastodon')).toEqual({ total: 16 });
    expect(await counters(metrics, 'trendstream_component_sent_events_total', 'mastodon')).toEqual({ total: 10 });
    expect(await counters(metrics, 'trendstream_component_errors_total', 'mastodon', 'error_type')).toEqual({ connection: 1 });
    expect(src.lastId).toBe('113541200000000112');
  });

  it('connects to the hashtag stream, retries a server that is down, and batches its callbacks', async () => {
    replay = await startMastodonReplay(frames, [{ status: 503, end: 'close' }, { from: 0, to: 5, end: 'hold' }]);
    const out = collector();
    const metrics = new Metrics();
    const src = new MastodonSource({ url: replay.url, token: 'test-token', stream: { type: 'hashtag', tag: '#Bahnchaos', local: true }, ...fast, batchMaxMs: 200, ...out.cb, metrics, log });
    closeSource = () => src.close(2000);
    await src.start();
    expect(src.connected).toBe(false);
    await until(() => out.c.posts.length === 3);
    expect(replay.requests.map((r) => `${r.path}?${r.search}`)).toEqual(['/api/v1/streaming/hashtag/local?tag=Bahnchaos', '/api/v1/streaming/hashtag/local?tag=Bahnchaos']);
    expect(out.c.batches).toBe(1);
    expect(src.connected).toBe(true);
    expect(await counters(metrics, 'trendstream_component_errors_total', 'mastodon', 'error_type')).toEqual({ connection: 1 });
  });

  it('retries the same batch while its output is down, hands on nothing else, and still closes by its deadline', async () => {
    replay = await startMastodonReplay(frames, [{ from: 0, end: 'hold' }]);
    let calls = 0;
    const never = { onPosts: async () => { calls++; throw new Error('kafka down'); } };
    const metrics = new Metrics();
    const src = new MastodonSource({ url: replay.url, token: 'test-token', maxPending: 2, batchMaxPosts: 2, ...fast, ...never, metrics, log });
    closeSource = () => src.close(100);
    await src.start();
    await until(() => calls >= 3);
    const closing = src.close(300);
    closeSource = null;
    await closing;
    expect((await counters(metrics, 'trendstream_component_errors_total', 'mastodon', 'error_type')).delivery).toBeGreaterThanOrEqual(3);
    expect(await counters(metrics, 'trendstream_component_sent_events_total', 'mastodon')).toEqual({});
  });

  it('refuses to start with a wrong token instead of retrying forever', async () => {
    replay = await startMastodonReplay(frames, [{ end: 'hold' }]);
    const out = collector();
    const src = new MastodonSource({ url: replay.url, token: 'wrong', ...fast, ...out.cb, metrics: new Metrics(), log });
    closeSource = () => src.close(1000);
    const err = await src.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SourceConnectError);
    expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
    await sleep(100);
    expect(replay.requests).toHaveLength(1);
  });

  it('rejects invalid options naming the field', () => {
    const out = collector();
    expect(() => new MastodonSource({ url: 'not a url', token: 't', ...out.cb, metrics: new Metrics(), log })).toThrow(/url/);
    expect(() => new MastodonSource({ url: 'https://x.example', token: 't', stream: 'home', ...out.cb, metrics: new Metrics(), log })).toThrow(/unknown Mastodon stream/);
  });
});

// ---------------------------------------------------------------------------------------

describe('Jetstream record mapping', () => {
  it('reads mentions by UTF-8 byte offsets and merges facet, outline and text hashtags', () => {
    const text = 'Verspätung 🚆 @anna.bsky.social #Fußball';
    const at = Buffer.from(text).indexOf('@anna');
    const { input, learned } = recordToInput('did:plc:max', 'k1', {
      text, createdAt: '2026-11-27T10:15:00Z', langs: ['de'], tags: ['DeutscheBahn'],
      facets: [{ index: { byteStart: at, byteEnd: at + 17 }, features: [{ $type: 'app.bsky.richtext.facet#mention', did: 'did:plc:anna' }] }],
      reply: { parent: { uri: 'at://did:plc:anna/app.bsky.feed.post/k0' } },
    });
    expect(learned).toEqual([['did:plc:anna', '@anna.bsky.social']]);
    expect(input).toMatchObject({
      id: 'at://did:plc:max/app.bsky.feed.post/k1', mentions: ['@anna.bsky.social'], hashtags: ['DeutscheBahn', 'fussball'],
      reply_to: 'at://did:plc:anna/app.bsky.feed.post/k0', reply_to_author: '@anna.bsky.social', lang: 'de',
    });
  });
});

describe('Jetstream source', () => {
  const lines = fixture('jetstream.ndjson').trimEnd().split('\n');
  const base = 1795774500000000;
  const uri = (did: string, rkey: string) => `at://${did}/app.bsky.feed.post/${rkey}`;
  const ANNA = 'did:plc:4nn4k7q2xw3e5rty6uio7pa2';
  const LENA = 'did:plc:l3n4bq6mzq2c7d5v4vkmbl2e';
  const MAX = 'did:plc:m4xk2s7tdl3oyv5qbzr6aaa4';
  const SAM = 'did:plc:s4m9f0o7whxz3l2d7ye6tq5c';

  it.each([
    ['dropped', { end: 'destroy' as const }],
    ['gone silent (no pong)', { end: 'silent' as const }],
  ])('resumes from its cursor minus the overlap after the connection is %s: no gaps, no duplicates', async (_name, cut) => {
    replay = await startJetstreamReplay(lines, [{ from: 0, to: 10, ...cut }, { end: 'hold' }]);
    const out = collector();
    const metrics = new Metrics();
    const src = new JetstreamSource({ url: replay.url, heartbeatMs: 250, ...fast, ...out.cb, metrics, log });
    closeSource = () => src.close(2000);
    await src.start();
    await until(() => out.c.posts.length >= 7 && out.c.rejected.length >= 3);
    await sleep(300);
    await src.close(2000);

    expect(src.requestedCursors).toEqual([null, base + 9 * 500_000 - 2_000_000]);
    expect(replay.requests.map((r) => r.search.get('wantedCollections'))).toEqual(['app.bsky.feed.post', 'app.bsky.feed.post']);
    expect(out.c.posts.map((p) => p.id)).toEqual([
      uri(ANNA, '3lbqa2bcdef2k'), uri(LENA, '3lbqa2ccxyz2o'), uri(MAX, '3lbqa2dmnop2s'), uri(SAM, '3lbqa2fqrst2z'),
      uri(ANNA, '3lbqa2huvwx33'), uri(LENA, '3lbqa2jabcd34'), uri(MAX, '3lbqa2kefgh35'),
    ]);
    expect(out.c.posts.map(summary)).toEqual([
      { id: uri(ANNA, '3lbqa2bcdef2k'), author: null, text: 'Schon wieder Verspätung 🚆 #Bahnchaos @db-bahn.bsky.social', lang: 'de', hashtags: ['bahnchaos'], mentions: ['@db-bahn.bsky.social'], reply_to: null, reply_to_author: null, repost_of: null },
      { id: uri(LENA, '3lbqa2ccxyz2o'), author: '@lena.bsky.social', text: 'Great turnout at the #ClimateStrike in Berlin today! 💚', lang: 'en', hashtags: ['climatestrike'], mentions: [], reply_to: null, reply_to_author: null, repost_of: null },
      { id: uri(MAX, '3lbqa2dmnop2s'), author: null, text: '@anna.bsky.social Bei uns in Köln genauso. #Bahnchaos #Fußball', lang: 'de', hashtags: ['bahnchaos', 'fussball', 'deutschebahn'], mentions: ['@anna.bsky.social'], reply_to: uri(ANNA, '3lbqa2bcdef2k'), reply_to_author: '@anna.bsky.social', repost_of: null },
      { id: uri(SAM, '3lbqa2fqrst2z'), author: null, text: 'Just shipped v2.0 of our #TypeScript SDK 🎉 thanks @sam', lang: 'en', hashtags: ['typescript'], mentions: ['@sam'], reply_to: null, reply_to_author: null, repost_of: null },
      { id: uri(ANNA, '3lbqa2huvwx33'), author: '@anna.bsky.social', text: 'Guten Morgen! ☕ #Montagsgefühl', lang: 'de', hashtags: ['montagsgefühl'], mentions: [], reply_to: null, reply_to_author: null, repost_of: null },
      { id: uri(LENA, '3lbqa2jabcd34'), author: '@lena.bsky.social', text: 'Who else is watching the #Bundestag debate? 🇩🇪', lang: 'en', hashtags: ['bundestag'], mentions: [], reply_to: null, reply_to_author: null, repost_of: null },
      { id: uri(MAX, '3lbqa2kefgh35'), author: null, text: 'Ich lerne C# und #TypeScript 😅', lang: 'de', hashtags: ['typescript'], mentions: [], reply_to: null, reply_to_author: null, repost_of: null },
    ]);
    expect(out.c.posts[0]).toMatchObject({ platform: 'bluesky', created_at: Date.parse('2026-11-27T10:15:00.120Z'), author: { id: ANNA, followers: null } });
    expect(out.c.rejected.map((r) => r.code)).toEqual(['invalid_json', 'invalid_post', 'future_timestamp']);
    expect(out.c.deletes).toEqual([`bluesky:${uri(ANNA, '3lbqa2bcdef2k')}`]);
    expect(await counters(metrics, 'trendstream_component_discarded_events_total', 'jetstream', 'reason'))
      .toEqual({ invalid_json: 1, invalid_post: 1, future_timestamp: 1, ignored: 3, duplicate: 5 });
    expect(await counters(metrics, 'trendstream_component_received_events_total', 'jetstream')).toEqual({ total: 19 });
    expect(await counters(metrics, 'trendstream_component_sent_events_total', 'jetstream')).toEqual({ total: 7 });
    expect(src.committedCursor).toBe(base + 13 * 500_000);
  });

  it('starts from a saved cursor', async () => {
    replay = await startJetstreamReplay(lines, [{ end: 'hold' }]);
    const out = collector();
    const src = new JetstreamSource({ url: replay.url, cursor: base + 11 * 500_000, overlapMs: 0, wantedDids: [MAX], ...fast, ...out.cb, metrics: new Metrics(), log });
    closeSource = () => src.close(1000);
    await src.start();
    await until(() => out.c.posts.length >= 2);
    expect(replay.requests[0]!.search.get('cursor')).toBe(String(base + 11 * 500_000));
    expect(replay.requests[0]!.search.getAll('wantedDids')).toEqual([MAX]);
    expect(out.c.posts.map((p) => p.id)).toEqual([uri(LENA, '3lbqa2jabcd34'), uri(MAX, '3lbqa2kefgh35')]);
  });

  it('refuses to start when the upgrade is answered 401, and retries a 503', async () => {
    replay = await startJetstreamReplay(lines, [{ status: 401, end: 'close' }]);
    const src = new JetstreamSource({ url: replay.url, ...fast, ...collector().cb, metrics: new Metrics(), log });
    closeSource = () => src.close(1000);
    await expect(src.start()).rejects.toMatchObject({ code: 'unauthorized', retryable: false });
    await replay.close();

    replay = await startJetstreamReplay(lines, [{ status: 503, end: 'close' }, { to: 3, end: 'hold' }]);
    const out = collector();
    const metrics = new Metrics();
    const src2 = new JetstreamSource({ url: replay.url, ...fast, ...out.cb, metrics, log });
    closeSource = () => src2.close(1000);
    await src2.start();
    await until(() => out.c.posts.length === 2);
    expect(replay.connections).toBe(2);
    expect(await counters(metrics, 'trendstream_component_errors_total', 'jetstream', 'error_type')).toEqual({ connection: 1 });
  });
});

// ---------------------------------------------------------------------------------------

describe('source machinery', () => {
  it('backs off exponentially with jitter up to the cap, and resets', () => {
    const lo = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => lo.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const hi = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect(hi.next()).toBe(100);
    lo.reset();
    expect(lo.next()).toBe(50);
  });

  it('remembers a bounded number of recent keys', () => {
    const r = new RecentKeys(2);
    expect([r.add('a'), r.add('b'), r.add('a'), r.add('c'), r.has('a'), r.has('c')]).toEqual([true, true, false, true, false, true]);
  });

  it('keeps and retries a batch the callback failed, blocking the source instead of dropping', async () => {
    let fail = 2;
    const got: string[] = [];
    const metrics = new Metrics();
    const b = new Batcher({
      id: 't', maxItems: 2, maxWaitMs: 10, maxPending: 3, retry: { initialMs: 5, maxMs: 10 }, metrics, log,
      onPosts: async (posts) => { if (fail-- > 0) throw new Error('kafka down'); got.push(...posts.map((p) => p.id)); },
    });
    const post = (id: string) => ({ id } as Post);
    b.post(post('1'), 1); b.post(post('2'), 2); b.post(post('3'), 3);
    expect(b.full).toBe(true);
    await b.room();
    await b.flush();
    expect(got).toEqual(['1', '2', '3']);
    expect(b.committed).toBe(3);
    expect(await counters(metrics, 'trendstream_component_errors_total', 't', 'error_type')).toEqual({ delivery: 2 });
  });
});
