import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBody, tokenAccepted, TooManyPostsError } from '../../ingest/http.js';

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
  it('reads an NDJSON body whose first line is an array line by line, keeping its valid posts (found by the fuzz suite)', () => {
    const b = parseBody(Buffer.concat([Buffer.from(`[[[]]]\n${ok('1')}\n[1, 2]\n`), Buffer.from([0xff, 0x0a]), Buffer.from(ok('2'))]), { maxLineBytes: 1000, now });
    expect(b.posts.map((p) => p.id)).toEqual(['1', '2']);
    expect(b.rejected.map((r) => [r.line, r.code])).toEqual([[1, 'invalid_post'], [3, 'invalid_post'], [4, 'invalid_encoding']]);
    expect(() => parseBody(Buffer.from('[1, 2\n  3]x'), { maxLineBytes: 1000, now })).toThrow(/neither NDJSON nor a JSON array/);
    expect(() => parseBody(Buffer.from('[1, 2'), { maxLineBytes: 1000, now })).toThrow(/neither NDJSON nor a JSON array/);
    expect(parseBody(Buffer.from(`[\n  ${ok('3')}\n]`), { maxLineBytes: 1000, now }).posts.map((p) => p.id)).toEqual(['3']);
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
  it('accepts nothing when no token is configured, unless explicitly open', () => {
    expect(tokenAccepted(undefined, [])).toBe(false);
    expect(tokenAccepted('Bearer anything-0123456789', [])).toBe(false);
    expect(tokenAccepted(undefined, [], true)).toBe(true);
  });
});

describe('fuzzed bodies', () => {
  it('answers every mutated line with a post or a reason, never an exception, and keeps every valid line', async () => {
    const { mulberry32 } = await import('../../sim/generator.js');
    const rnd = mulberry32(42);
    const valid = JSON.stringify({ id: 'base', created_at: '2026-11-27T11:00:00Z', author: { id: 'a', followers: 3 }, text: 'Grüße #Fußball @DB_Bahn', metrics: { likes: 1 } });
    const mutate = (s: string): Buffer => {
      const b = Buffer.from(s);
      const op = Math.floor(rnd() * 6);
      const i = Math.floor(rnd() * b.length);
      if (op === 0) b[i] = Math.floor(rnd() * 256);                         // random byte (invalid UTF-8 too)
      if (op === 1) return Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + Math.floor(rnd() * 10))]); // deletion
      if (op === 2) return Buffer.concat([b.subarray(0, i), Buffer.from([0]), b.subarray(i)]);            // NUL byte
      if (op === 3) return Buffer.from(s.replace('"a"', String(Math.floor(rnd() * 1e6))).replace('11:00:00Z', rnd() < 0.5 ? '11:00:00+25:00' : '99:00:00Z'));
      if (op === 4) return Buffer.from(s.replace('Grüße', 'x'.repeat(Math.floor(rnd() * 40_000))));
      return Buffer.from(s.replace(/"[a-z_]+":/, '"unknown":'));
    };
    for (let round = 0; round < 200; round++) {
      const lines: Buffer[] = [];
      const validIds: string[] = [];
      for (let j = 0; j < 20; j++) {
        if (rnd() < 0.3) { validIds.push(`v${round}-${j}`); lines.push(Buffer.from(valid.replace('"base"', `"v${round}-${j}"`))); } else lines.push(mutate(valid));
      }
      const body = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      let b: ReturnType<typeof parseBody>;
      try { b = parseBody(body, { maxLineBytes: 64 * 1024, now }); } catch (e) {
        expect(validIds).toEqual([]); // only a body without any readable line may be refused as a whole
        expect((e as Error).message).toMatch(/neither NDJSON/);
        continue;
      }
      for (const id of validIds) expect(b.posts.some((p) => p.id === id)).toBe(true);
      // A mutation may add a newline (one more line) or produce a blank line (one fewer).
      expect(Math.abs(b.posts.length + b.rejected.length - lines.length)).toBeLessThanOrEqual(lines.length - validIds.length);
      for (const r of b.rejected) expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('posts per request', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  const line = (i: number) => JSON.stringify({ id: String(i), created_at: '2026-11-27T10:00:00Z', author: { id: 'a' }, text: 'x' });

  it('takes exactly the limit, blank lines not counted, and refuses one more as a whole, NDJSON or array', () => {
    const lines = Array.from({ length: 100 }, (_, i) => line(i));
    expect(parseBody(Buffer.from(lines.join('\n\n') + '\n  \n'), { maxLineBytes: 1000, maxLines: 100, now }).posts).toHaveLength(100);
    expect(() => parseBody(Buffer.from([...lines, line(100)].join('\n')), { maxLineBytes: 1000, maxLines: 100, now })).toThrow(TooManyPostsError);
    expect(parseBody(Buffer.from(`[${lines.join(',')}]`), { maxLineBytes: 1000, maxLines: 100, now }).posts).toHaveLength(100);
    expect(() => parseBody(Buffer.from(`[${[...lines, line(100)].join(',')}]`), { maxLineBytes: 1000, maxLines: 100, now })).toThrow(/more than 100 posts/);
  });

  it('refuses a million junk lines before keeping anything of them', () => {
    const body = Buffer.from('1\n'.repeat(1_000_000));
    const before = process.memoryUsage().heapUsed;
    expect(() => parseBody(body, { maxLineBytes: 1000, maxLines: 10_000, now })).toThrow(TooManyPostsError);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 << 20);
  });
});
