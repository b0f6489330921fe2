// The compact ELD table (processors/text/eld-table.ts) against the installed eld/small package:
// the same n-grams with the same scores, the file as scripts/eld-table.ts builds it, and ELD's
// answers through it the same as eld/small's own.
import { readFileSync } from 'node:fs';
import { eld } from 'eld/small';
import { describe, expect, it } from 'vitest';
import { decodeEldTable, eldSource, encodeEldTable, loadEldTable, type EldData } from '../../processors/text/eld-table.js';

const { ngramsData } = (await import(eldSource('ngrams/small.js'))) as { ngramsData: EldData };

describe('ELD table', () => {
  it('is what scripts/eld-table.ts builds from the installed eld, byte for byte', () => {
    const shipped = readFileSync(new URL('../../processors/text/eld-small.bin', import.meta.url));
    expect(encodeEldTable(ngramsData).equals(shipped)).toBe(true);
  });

  it('gives every n-gram the scores of eld/small, and nothing for others', () => {
    const t = loadEldTable();
    expect(t.type).toBe(ngramsData.type);
    expect(t.languages).toEqual(ngramsData.languages);
    let n = 0;
    for (const [k, v] of Object.entries(ngramsData.ngrams)) {
      const got = t.ngrams[k];
      if (JSON.stringify(got) !== JSON.stringify(v)) expect({ k, got }).toEqual({ k, got: v });
      n++;
    }
    expect(n).toBe(81206);
    for (const k of ['', ' zzzq ', 'constructor', '__proto__']) {
      expect(Object.hasOwn(ngramsData.ngrams, k)).toBe(false);
      expect(t.ngrams[k]).toBeUndefined();
    }
  });

  it('makes ELD answer as eld/small does', async () => {
    const { createEld } = (await import(eldSource('languageDetector.js'))) as { createEld(): { instance: typeof eld; loadData(d: EldData): string } };
    const mine = createEld();
    mine.loadData(decodeEldTable(readFileSync(new URL('../../processors/text/eld-small.bin', import.meta.url))));
    const texts = [
      'lmao u a dumb hoe fr', 'Schon wieder Verspätung danke für nichts', 'Merci beaucoup pour votre aide',
      'Dit is een Nederlandse zin', 'Это русский текст', '日本語のテキスト', 'ok', 'ya boi gon be lit tonite',
    ];
    for (const s of texts) {
      const a = eld.detect(s), b = mine.instance.detect(s);
      expect([b.language, b.isReliable(), b.getScores()]).toEqual([a.language, a.isReliable(), a.getScores()]);
    }
  });
});
