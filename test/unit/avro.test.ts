import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroCodec, fingerprint, loadSchema, SchemaError } from '../../schemas/avro.js';
import { decodeEnriched, encodeEnriched } from '../../schemas/enriched.js';
import { postCodec, toPost } from '../../schemas/post.js';

describe('Avro single-object encoding', () => {
  it('computes the spec CRC-64-AVRO fingerprints', () => {
    // Test vectors from the Avro specification's reference implementation.
    expect(fingerprint(avro.Type.forSchema('null')).readBigInt64LE()).toBe(7195948357588979594n);
    expect(fingerprint(avro.Type.forSchema('int')).readBigInt64LE()).toBe(8247732601305521295n);
  });

  const v1 = loadSchema('post.v1') as avro.schema.RecordType;
  const v2: avro.schema.RecordType = { ...v1, fields: [...v1.fields, { name: 'toxicity_hint', type: ['null', 'double'], default: null }] };
  const post = {
    id: '1', platform: 'mastodon', created_at: 1, author: { id: 'a', handle: null, followers: 3, created_at: null }, text: 'hi',
    lang: 'de', reply_to: null, reply_to_author: null, repost_of: null, hashtags: ['x'], mentions: [], metrics: { likes: 1, reposts: 0, replies: 0 }, ingested_at: 5,
  };

  it('carries the C3 01 marker and the writer fingerprint', () => {
    const buf = new AvroCodec(v1).encode(post);
    expect([buf[0], buf[1]]).toEqual([0xc3, 0x01]);
    expect(buf.subarray(2, 10)).toEqual(fingerprint(avro.Type.forSchema(v1)));
  });

  it('lets a v1 reader read v2 records and a v2 reader read v1 records', () => {
    const c1 = new AvroCodec<typeof post>(v1, [v2]);
    const c2 = new AvroCodec<typeof post & { toxicity_hint: number | null }>(v2, [v1]);
    const fromV2 = c2.encode({ ...post, toxicity_hint: 0.5 });
    expect(c1.decode(fromV2)).toEqual(post);
    expect(c2.decode(c1.encode(post))).toEqual({ ...post, toxicity_hint: null });
    expect(c2.decode(fromV2).toxicity_hint).toBe(0.5);
  });

  it('names unknown schemas and non-Avro bytes', () => {
    const c1 = new AvroCodec(v1);
    const foreign = new AvroCodec(v2).encode({ ...post, toxicity_hint: null });
    expect(() => c1.decode(foreign)).toThrow(SchemaError);
    expect(() => c1.decode(foreign)).toThrow(/unknown schema/);
    expect(() => c1.decode(Buffer.from('{"id":1}'))).toThrow(/single-object/);
    const truncated = c1.encode(post).subarray(0, 14);
    expect(() => c1.decode(truncated)).toThrow(/invalid Avro/);
  });

  it('encodes records larger than its scratch buffer, and each encoding is its own bytes', () => {
    const c = new AvroCodec<typeof post>(v1);
    const small = c.encode(post);
    const copy = Buffer.from(small);
    const huge = { ...post, text: '€'.repeat(40_000) }; // 120,000 bytes of UTF-8: past the 64 KiB scratch
    expect(c.decode(c.encode(huge))).toEqual(huge);
    expect(c.decode(c.encode(post))).toEqual(post);
    expect(small).toEqual(copy); // later encodings did not overwrite an earlier one
  });
});

describe('posts-enriched records', () => {
  it('carry the posts record bytes unchanged with every text score and watch stage A counted', () => {
    const post = toPost({ id: 'e1', platform: 'mastodon', created_at: '2026-11-27T10:15:02.123Z', author: { id: 'a-1' }, text: 'Schon wieder Verspätung! #Bahnchaos' }, Date.parse('2026-11-27T10:16:00Z'));
    const bytes = postCodec().encode({ ...post, ingested_at: 1_764_238_502_500 });
    const scores = { sentiment: -0.5, negative: true, positive: false, toxic: true, toxicity: 0.75, arousal: 0.25 };
    const back = decodeEnriched(encodeEnriched(bytes, { lang: 'de', scores, watches: ['deutsche-bahn'] }));
    expect(back).toEqual({ post: { ...post, ingested_at: 1_764_238_502_500 }, lang: 'de', scores, watches: ['deutsche-bahn'] });
  });

  it('refuse bytes that are no enriched post, and an enriched post whose post bytes are broken', () => {
    expect(() => decodeEnriched(Buffer.from('junk'))).toThrow(SchemaError);
    const scores = { sentiment: 0, negative: false, positive: false, toxic: false, toxicity: 0, arousal: 0 };
    expect(() => decodeEnriched(encodeEnriched(Buffer.from([0xc3, 0x01, 1, 2, 3]), { lang: 'en', scores, watches: [] }))).toThrow(SchemaError);
  });
});

describe('hostile Avro', () => {
  const zigzag = (n: number): number[] => { const out: number[] = []; let v = n >= 0 ? 2 * n : -2 * n - 1; while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); } out.push(v); return out; };

  it('refuses a posts record whose hashtag array claims 60 million items in a few bytes, before allocating them', () => {
    const codec = postCodec();
    const head = codec.encode({ ...toPost({ id: 'x', created_at: '2026-01-01T00:00:00Z', author: { id: 'a' }, text: '' }, Date.parse('2026-01-01T00:00:00Z')), ingested_at: 0 }).subarray(0, 10);
    // id, platform, created_at, author (id, handle, followers, created_at, display_name), text, lang, reply_to, reply_to_author, repost_of: all empty or null.
    const body = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...zigzag(60_000_000)]);
    const before = process.memoryUsage().heapUsed;
    expect(() => codec.decode(Buffer.concat([head, body]))).toThrow(SchemaError);
    expect(() => codec.decode(Buffer.concat([head, body]))).toThrow(/a block claims 60000000 items with 0 bytes left/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 << 20);
  });

  it('still reads arrays and maps written in several blocks, and refuses a map whose count outruns its bytes', () => {
    const arr = new AvroCodec<string[]>({ type: 'array', items: 'string' });
    const map = new AvroCodec<Record<string, number>>({ type: 'map', values: 'int' });
    // Two blocks (the second with a negative count and its byte size), as other writers may send them.
    const twoBlocks = Buffer.from([...zigzag(2), 2, 0x61, 2, 0x62, ...zigzag(-1), ...zigzag(2), 2, 0x63, 0]);
    expect(arr.decode(Buffer.concat([arr.encode([]).subarray(0, 10), twoBlocks]))).toEqual(['a', 'b', 'c']);
    expect(map.decode(map.encode({ a: 1, b: 2 }))).toEqual({ a: 1, b: 2 });
    expect(() => map.decode(Buffer.concat([map.encode({}).subarray(0, 10), Buffer.from(zigzag(1_000_000))]))).toThrow(SchemaError);
  });
});

describe('posts schema evolution', () => {
  it('reads a v1 record (no display_name) with the v2 codec, display_name null', () => {
    const post = toPost({ id: 'v1', created_at: '2026-01-01T00:00:00Z', author: { id: 'a', handle: '@x' }, text: 'hi' }, Date.parse('2026-01-01T00:00:00Z'));
    const { display_name: _, ...author } = post.author;
    const v1bytes = new AvroCodec(loadSchema('post.v1')).encode({ ...post, author, ingested_at: 1 });
    expect(postCodec().decode(v1bytes)).toEqual({ ...post, ingested_at: 1 });
    const named = { ...post, author: { ...post.author, display_name: 'X Support' }, ingested_at: 2 };
    expect(postCodec().decode(postCodec().encode(named))).toEqual(named);
  });
});
