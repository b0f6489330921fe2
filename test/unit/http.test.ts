import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBody, tokenAccepted } from '../../ingest/http.js';

const now = Date.parse('2026-11-27T12:00:00Z');
const ok = (id: string) => JSON.stringify({ id, created_at: '2026-11-27T11:00:00Z', author: { id: 'a' }, text: 'hi #x' });

describe('HTTP body parsing', () => {
  it('validates NDJSON line by line, numbering lines from 1 and skipping blank ones', () => {
    const b = parseBody(Buffer.from([ok('1'), '', 'nope', ok('2'), '  '].join('\r\n')), { maxLineBytes: 1000, now });
    expect(b.posts.map((p) => p.id)).toEqual(['1', '2']);
    expect(b.rejected.map((r) => [r.line, r.code])).toEqual([[3, 'invalid_json']]);
    expect(b.rejected[0]!.raw.toString()).toBe('nope');
  });
  it('accepts a JSON array and numbers its elements', () => {
    const b = parseBody(Buffer.from(`[${ok('1')}, {"id": "2"}]`), { maxLineBytes: 1000, now });
    expect(b.posts).toHaveLength(1);
    expect(b.rejected.map((r) => [r.line, r.code])).toEqual([[2, 'invalid_post']]);
  });
  it('rejects over-long lines and invalid UTF-8 without losing the valid ones', () => {
    const long = JSON.stringify({ id: 'L', created_at: '2026-11-27T11:00:00Z', author: { id: 'a' }, text: 'x'.repeat(2000) });
    const b = parseBody(Buffer.concat([Buffer.from(`${ok('1')}\n${long}\n`), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.from(ok('2'))]), { maxLineBytes: 1000, now });
    expect(b.posts.map((p) => p.id)).toEqual(['1', '2']);
    expect(b.rejected.map((r) => [r.line, r.code])).toEqual([[2, 'too_large'], [3, 'invalid_encoding']]);
  });
  it('treats a body with no readable JSON at all as unreadable', () => {
    expect(() => parseBody(Buffer.from('hello\nworld'), { maxLineBytes: 1000, now })).toThrow(/neither NDJSON nor a JSON array/);
    expect(() => parseBody(Buffer.from('[1, 2'), { maxLineBytes: 1000, now })).toThrow(/neither NDJSON nor a JSON array/);
  });
});

describe('bearer tokens', () => {
  const tokens = [createHash('sha256').update('s3cret-token-123456').digest()];
  it('accepts only a listed token in a Bearer header', () => {
    expect(tokenAccepted('Bearer s3cret-token-123456', tokens)).toBe(true);
    expect(tokenAccepted('Bearer s3cret-token-12345', tokens)).toBe(false);
    expect(tokenAccepted('s3cret-token-123456', tokens)).toBe(false);
    expect(tokenAccepted(undefined, tokens)).toBe(false);
  });
  it('is open when no token is configured', () => {
    expect(tokenAccepted(undefined, [])).toBe(true);
  });
});
