import { describe, expect, it } from 'vitest';
import { generate } from '../../sim/generator.js';
import { hash32 } from '../../schemas/sketch.js';
import { hamming, simhash } from '../../processors/text/simhash.js';

/** The definition (simhash.ts, header comment) written the plain way: the scanner must agree with it bit for bit. */
function reference(text: string): number {
  const acc = new Array<number>(32).fill(0);
  let n = 0;
  for (const [w] of text.toLowerCase().matchAll(/[\p{L}\p{N}_#@]+/gu)) {
    if (w.length < 2 || w.startsWith('http')) continue;
    const h = hash32(w);
    for (let b = 0; b < 32; b++) acc[b]! += (h >>> b) & 1 ? 1 : -1;
    n++;
  }
  if (n === 0) return 0;
  let out = 0;
  for (let b = 0; b < 32; b++) if (acc[b]! > 0) out |= 1 << b;
  return out >>> 0;
}

describe('simhash', () => {
  it('equals the definition on 20,000 generated German and English posts', () => {
    let i = 0;
    for (const p of generate({ seed: 7, start: Date.UTC(2026, 10, 1), minutes: 60, postsPerMinute: 400, rhythm: false })) {
      expect(simhash(p.text), p.text).toBe(reference(p.text));
      if (++i === 20_000) break;
    }
    expect(i).toBe(20_000);
  });

  it('equals the definition on edge cases: scripts, astral letters, emoji, lone surrogates, URLs, İ', () => {
    const cases = ['', 'a', 'a b c', '!!! ??', 'Straße ÄRGER über', 'İstanbul İİ', 'Ωμέγα Привет мир', '数学 ٣٤ १२३',
      '𝐁𝐨𝐥𝐝 𝒮𝒸𝓇𝒾𝓅𝓉 ok', '😡😡 #Bahn @DB_Bahn', 'x\uD800y \uDC00zz', 'https://t.co/x http:// httpx Http', 'ab_cd#ef@gh', 'ǅungla ǈ'];
    for (const t of cases) expect(simhash(t), JSON.stringify(t)).toBe(reference(t));
  });

  it('puts a varied template within a few bits and unrelated texts far apart', () => {
    const a = simhash('Jetzt kaufen! Der beste Deal des Jahres bei #KaufJetzt, nur heute, Link in Bio');
    const b = simhash('Jetzt kaufen! Der beste Deal des Jahres bei #KaufJetzt, nur morgen, Link in Bio');
    const c = simhash('Zug fällt wieder aus, seit einer Stunde am Bahnsteig in Köln #Bahnchaos');
    expect(hamming(a, b)).toBeLessThanOrEqual(6);
    expect(hamming(a, c)).toBeGreaterThan(6);
  });
});
