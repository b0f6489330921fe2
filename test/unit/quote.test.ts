// quote() is the one way a value enters SQL on ClickHouse 18.16 (no server-side parameters).
// These tests read each literal back the way ClickHouse's lexer does: the literal must end
// exactly at its last character (nothing can break out) and decode to the original value.
// test/integration/api.test.ts sends the same strings through a real server.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../sim/generator.js';
import { ident, quote } from '../../lib/clickhouse/sql.js';

const HOSTILE: string[] = JSON.parse(readFileSync(new URL('../fixtures/hostile-strings.json', import.meta.url), 'utf8'));

/**
 * Reads a single-quoted ClickHouse string literal starting at `sql[0]` (escapes as in
 * ClickHouse's readQuotedString: backslash sequences and a doubled quote). Returns the value
 * and the index just past the closing quote.
 */
function readLiteral(sql: string): { value: string; end: number } {
  if (sql[0] !== "'") throw new Error('not a string literal');
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', b: '\b', f: '\f', a: '\x07', v: '\v', e: '\x1b' };
  let out = '';
  let i = 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\') {
      const n = sql[i + 1];
      if (n === undefined) throw new Error('dangling backslash');
      if (n === 'x') { out += String.fromCharCode(parseInt(sql.slice(i + 2, i + 4), 16)); i += 4; continue; }
      out += simple[n] ?? n;
      i += 2;
      continue;
    }
    if (c === "'") {
      if (sql[i + 1] === "'") { out += "'"; i += 2; continue; }
      return { value: out, end: i + 1 };
    }
    out += c;
    i++;
  }
  throw new Error('unterminated literal');
}

describe('quote', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s).slice(0, 60), s]))('round-trips %s and ends exactly at its closing quote', (_name, s) => {
    const lit = quote(s);
    const { value, end } = readLiteral(lit);
    expect(end).toBe(lit.length);
    expect(value).toBe(s);
  });

  it('never leaves a raw NUL, newline, carriage return or tab inside the literal', () => {
    for (const s of HOSTILE) expect(quote(s)).not.toMatch(/[\0\n\r\t]/);
  });

  it('escapes every quote and backslash, so a literal followed by SQL stays one token', () => {
    for (const s of HOSTILE) {
      const sql = `${quote(s)} AS v, 1 AS injected`;
      const { value, end } = readLiteral(sql);
      expect(value).toBe(s);
      expect(sql.slice(end)).toBe(' AS v, 1 AS injected');
    }
  });

  it('round-trips 5000 random strings built from the dangerous characters', () => {
    const rnd = mulberry32(7);
    const alphabet = ["'", '\\', '\0', '\n', '\r', '\t', '"', '`', ';', '-', '/', '*', 'x', '0', 'n', 'ß', '😀', '\u2028', ' '];
    for (let k = 0; k < 5000; k++) {
      const len = Math.floor(rnd() * 24);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)]!;
      const lit = quote(s);
      const { value, end } = readLiteral(lit);
      expect(end).toBe(lit.length);
      expect(value).toBe(s);
    }
  });

  it('handles long values (5000 quotes and backslashes) in linear size', () => {
    const s = "'\\".repeat(2500);
    const lit = quote(s);
    expect(lit.length).toBe(2 + 2 * s.length);
    expect(readLiteral(lit).value).toBe(s);
  });
});

describe('ident', () => {
  it('accepts plain identifiers and rejects anything that could carry SQL', () => {
    expect(ident('trendstream_1')).toBe('trendstream_1');
    for (const bad of ['', '1abc', 'a-b', 'a.b', 'a b', 'a;b', 'a`b', "a'b", 'posts--', 'ä', 'a\0']) expect(() => ident(bad)).toThrow(/invalid SQL identifier/);
  });
});
