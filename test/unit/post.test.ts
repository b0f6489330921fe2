import { describe, expect, it } from 'vitest';
import { type InvalidPostError, parsePostLine, postKey, toPost } from '../../schemas/post.js';

const now = Date.parse('2026-11-27T12:00:00Z');
const base = { id: '1', created_at: '2026-11-27T10:15:02.123Z', author: { id: 'a-42' }, text: 'Schon wieder Verspätung! #Bahnchaos @DB_Bahn' };

function rejects(input: unknown): InvalidPostError {
  try { toPost(input, now); } catch (e) { return e as InvalidPostError; }
  throw new Error('accepted an invalid post');
}

describe('post validation (CONTRACTS §2)', () => {
  it('normalises a minimal post: defaults, extracted hashtags and mentions, UTC milliseconds', () => {
    const p = toPost(base, now);
    expect(p).toMatchObject({ id: '1', platform: 'generic', created_at: Date.parse('2026-11-27T10:15:02.123Z'), hashtags: ['bahnchaos'], mentions: ['@DB_Bahn'], lang: null });
    expect(p.metrics).toEqual({ likes: 0, reposts: 0, replies: 0 });
    expect(postKey(p)).toBe('generic:1');
  });
  it('accepts a numeric id and any RFC 3339 offset', () => {
    const p = toPost({ ...base, id: 109876543210, created_at: '2026-11-27T11:15:02+01:00' }, now);
    expect(p.id).toBe('109876543210');
    expect(p.created_at).toBe(Date.parse('2026-11-27T10:15:02Z'));
  });
  it('normalises given hashtags instead of extracting them', () => {
    expect(toPost({ ...base, hashtags: ['#Fußball', 'FUSSBALL', '123'] }, now).hashtags).toEqual(['fussball']);
  });
  it('names the missing field', () => {
    const e = rejects({ id: '1', author: { id: 'x' }, text: 'hi' });
    expect(e.code).toBe('invalid_post');
    expect(e.message).toMatch(/created_at/);
    expect(rejects({ ...base, author: {} }).message).toMatch(/author\.id/);
    expect(rejects({ ...base, text: undefined }).message).toMatch(/text/);
  });
  it('rejects wrong types, bad timestamps, uppercase platforms and NUL bytes', () => {
    expect(rejects({ ...base, text: 42 }).message).toMatch(/text/);
    expect(rejects({ ...base, created_at: '27.11.2026' }).message).toMatch(/RFC 3339/);
    expect(rejects({ ...base, created_at: '2026-02-30T10:00:00Z' }).code).toBe('invalid_post');
    expect(rejects({ ...base, platform: 'Mastodon' }).message).toMatch(/platform/);
    expect(rejects({ ...base, text: 'a\u0000b' }).message).toMatch(/NUL/);
  });
  it('rejects posts dated before the lower bound (2000 unless configured), naming it', () => {
    expect(rejects({ ...base, created_at: '1970-01-01T00:00:00Z' }).code).toBe('past_timestamp');
    expect(rejects({ ...base, created_at: '1999-12-31T23:59:59Z' }).message).toBe('created_at: 1999-12-31T23:59:59.000Z is before the earliest accepted time 2000-01-01T00:00:00.000Z (ingest.minCreatedAt)');
    expect(toPost({ ...base, created_at: '2000-01-01T00:00:00Z' }, now).created_at).toBe(Date.parse('2000-01-01T00:00:00Z'));
    expect(() => toPost(base, now, undefined, Date.parse('2026-11-28T00:00:00Z'))).toThrow(/before the earliest accepted time 2026-11-28/);
  });
  it('rejects posts more than 5 minutes ahead of the ingest clock', () => {
    expect(rejects({ ...base, created_at: '2026-11-27T12:05:01Z' }).code).toBe('future_timestamp');
    expect(toPost({ ...base, created_at: '2026-11-27T12:04:59Z' }, now).created_at).toBeGreaterThan(now);
  });
  it('rejects huge texts instead of truncating them', () => {
    expect(rejects({ ...base, text: 'x'.repeat(20_001) }).message).toMatch(/at most 20000/);
  });
  it('reports invalid JSON lines', () => {
    expect(() => parsePostLine('{"id":', now)).toThrow(/not valid JSON/);
  });
});

describe('per-post limits', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  it('keeps the first 100 hashtags and mentions of a post, drops the rest and says how many', () => {
    const text = Array.from({ length: 1500 }, (_, i) => `#t${i} @u${i}`).join(' ');
    const heard: [string, number][] = [];
    const p = toPost({ id: '1', created_at: '2026-11-27T11:00:00Z', author: { id: 'a' }, text }, now, (limit, n) => heard.push([limit, n]));
    expect(p.hashtags).toEqual(Array.from({ length: 100 }, (_, i) => `t${i}`));
    expect(p.mentions).toHaveLength(100);
    expect(heard).toEqual([['hashtags', 1400], ['mentions', 1400]]);
    const supplied = toPost({ id: '2', created_at: '2026-11-27T11:00:00Z', author: { id: 'a' }, text: '', hashtags: Array.from({ length: 150 }, (_, i) => `S${i}`) }, now);
    expect(supplied.hashtags).toEqual(Array.from({ length: 100 }, (_, i) => `s${i}`));
  });
});

describe('author.display_name (post format v2)', () => {
  it('is optional, normalised to NFC without control or format characters, and null when empty', () => {
    expect(toPost(base, now).author.display_name).toBeNull();
    expect(toPost({ ...base, author: { id: 'a', display_name: '  Acme\u200b  Air\u202e\n Support ' } }, now).author.display_name).toBe('Acme Air Support');
    expect(toPost({ ...base, author: { id: 'a', display_name: 'Cafe\u0301' } }, now).author.display_name).toBe('Café');
    expect(toPost({ ...base, author: { id: 'a', display_name: ' \u200b ' } }, now).author.display_name).toBeNull();
  });
});
