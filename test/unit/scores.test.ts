// A score's text form (schemas/scores.ts) and `analyze`'s output lines (cli/analyze.ts): the
// shortest decimal that reads back to the float32 the pipeline stores, and valid JSON for any id.
import { describe, expect, it } from 'vitest';
import { writeScore } from '../../schemas/scores.js';
import { ScoreLines } from '../../cli/analyze.js';
import { analyseText } from '../../processors/text/sentiment.js';

const buf = new Uint8Array(64);
const text = (x: number) => Buffer.from(buf.subarray(0, writeScore(x, buf, 0))).toString('latin1');
/** Significant digits of the shortest decimal that reads back to the float32 `f` (toPrecision, one length at a time). */
function shortest(f: number): number {
  for (let k = 1; k <= 9; k++) if (Math.fround(Number(f.toPrecision(k))) === f) return k;
  throw new Error(`no decimal of 9 digits reads back to ${f}`);
}
const significant = (s: string) => s.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length;

describe('writeScore', () => {
  it('writes known values as a Float32 column returns them', () => {
    expect(text(0)).toBe('0');
    expect(text(-0)).toBe('0');
    expect(text(1)).toBe('1');
    expect(text(-1)).toBe('-1');
    expect(text(0.5)).toBe('0.5');
    expect(text(0.1)).toBe('0.1');
    expect(text(-0.15)).toBe('-0.15');
    expect(text(0.9460443398114056)).toBe('0.9460443');
    expect(text(0.0181485505697081)).toBe('0.01814855');
    expect(text(1.5e-7)).toBe('0.00000015');
    expect(text(12.25)).toBe('12.25');
    expect(text(Number.NaN)).toBe('null');
    expect(text(Number.POSITIVE_INFINITY)).toBe('null');
  });

  it('reads back to the same float32 with the fewest digits, for 200,000 random scores', () => {
    let seed = 42;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
    for (let i = 0; i < 200_000; i++) {
      const x = (rnd() * 2 - 1) * (i % 10 === 0 ? 1e-4 : 1);
      const f = Math.fround(x);
      const s = text(x);
      const jsonNumber = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/.test(s); // and no trailing zero
      if (!jsonNumber || Math.fround(Number(s)) !== f || (f !== 0 && significant(s) !== shortest(f))) {
        throw new Error(`${x}: wrote ${s}, float32 ${f}, shortest has ${shortest(f)} digits`);
      }
    }
  });
});

describe('ScoreLines', () => {
  const lineOf = (input: object) => {
    const w = new ScoreLines();
    w.analyze(JSON.stringify(input));
    return Buffer.from(w.take()).toString('utf8');
  };

  it('writes one JSON line with the keys in order and the stored scores', () => {
    const l = lineOf({ id: 'x-1', text: 'Was für ein Skandal, ihr Idioten!!!' });
    expect(l.endsWith('}\n')).toBe(true);
    const o = JSON.parse(l) as Record<string, number | string | boolean>;
    expect(Object.keys(o)).toEqual(['id', 'lang', 'sentiment', 'negative', 'positive', 'toxic', 'toxicity', 'arousal']);
    const { lang, scores } = analyseText('Was für ein Skandal, ihr Idioten!!!', null);
    expect(o).toMatchObject({ id: 'x-1', lang, negative: scores.negative, positive: scores.positive, toxic: scores.toxic });
    for (const k of ['sentiment', 'toxicity', 'arousal'] as const) expect(Math.fround(o[k] as number)).toBe(Math.fround(scores[k]));
  });

  it('writes any id back as valid JSON: quotes, control characters, non-ASCII, lone surrogates, a long one', () => {
    for (const id of ['a"b\\c', 'tab\there', 'ü😀', 'x\ud800y', 'é'.repeat(100_000), '\u2028']) {
      const l = lineOf({ id, text: 'ok' });
      expect((JSON.parse(l) as { id: string }).id).toBe(id);
    }
  });

  it('writes nothing for a bad line and keeps what was written before', () => {
    const w = new ScoreLines();
    w.analyze('{"id":"a","text":"gut"}');
    const before = w.pos;
    expect(() => w.analyze('{"id":"b"}')).toThrow(/"text" must be a string/);
    expect(() => w.analyze('{"id":"b","text":"x","lang":"!!"}')).toThrow(/"lang"/);
    expect(w.pos).toBe(before);
    expect(Buffer.from(w.take()).toString('utf8').split('\n')).toHaveLength(2);
  });
});
