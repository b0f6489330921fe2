// The shipped learnt toxicity models (processors/text/toxicity-model.bin, trained by
// scripts/train-text.ts): they load, score the project's fixtures and a sample of the labelled
// corpora they were trained on with the figures the training gave, and the memoised hot path
// computes exactly what the features say, whatever posts came before.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tokenise } from '../../processors/text/language.js';
import { analyse, analyseText, toxicityFeatures } from '../../processors/text/sentiment.js';
import { DEFAULT_BITS, MODELS, sigmoid } from '../../processors/text/toxicity.js';
import { loadDavidson, loadFixture, loadGermEval, macroF1 } from '../../scripts/text-data.js';

describe('learnt toxicity model', () => {
  it('ships German and English weights, at most 25 MB, loaded in-process', () => {
    const size = statSync(new URL('../../processors/text/toxicity-model.bin', import.meta.url)).size;
    expect(size).toBeLessThanOrEqual(25 * 1024 * 1024);
    expect([...MODELS.keys()].sort()).toEqual(['de', 'en']);
    for (const m of MODELS.values()) expect(m.bits).toBe(DEFAULT_BITS);
  });

  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: the hand-labelled fixtures (held in training): toxic macro-F1 >= 0.9, negative macro-F1 as before (>= 0.94)`, () => {
      const rows = loadFixture(lang);
      const scores = rows.map((r) => analyseText(r.text, null).scores);
      const tox = macroF1(scores.map((s) => s.toxic), rows.map((r) => r.toxic));
      const neg = macroF1(scores.map((s) => s.negative), rows.map((r) => r.label === 'negative'));
      console.log(`${lang} fixtures: toxic macro-F1 ${tox.toFixed(3)}, negative macro-F1 ${neg.toFixed(3)}`);
      expect(tox).toBeGreaterThanOrEqual(0.9);
      expect(neg).toBeGreaterThanOrEqual(0.94);
    });
  }

  it('scores its training corpora (held in) well above the lexicon: GermEval >= 0.85, Davidson >= 0.95 macro-F1 on 1,000 posts each', () => {
    // Held-in figures only show the shipped weights are the trained ones; the cross-validated
    // figures (README) are the estimate for unseen posts.
    const ge = loadGermEval().slice(0, 1000), dv = loadDavidson().slice(0, 1000);
    const f = (rows: { text: string; offensive: boolean }[]) => macroF1(rows.map((r) => analyseText(r.text, null).scores.toxic), rows.map((r) => r.offensive));
    const de = f(ge), en = f(dv);
    console.log(`held-in macro-F1: GermEval ${de.toFixed(3)}, Davidson ${en.toFixed(3)}`);
    expect(de).toBeGreaterThanOrEqual(0.85);
    expect(en).toBeGreaterThanOrEqual(0.95);
  });

  it('the memoised hot path gives the score of the features (to float32 precision)', () => {
    for (const lang of ['de', 'en'] as const) {
      const m = MODELS.get(lang)!;
      for (const r of loadFixture(lang).slice(0, 60)) {
        const f = toxicityFeatures(r.text, lang, m.bits);
        expect(analyse(r.text, lang).toxicity, r.text).toBeCloseTo(sigmoid(m.logitOfFeatures(f.sparse, f.dense)), 6);
      }
    }
  });

  it('a post scores the same whatever came before, also after the word table was emptied', () => {
    const texts = ['Halt die Fresse, du Lappen', 'you are such a clown lol', 'Schönes Wetter heute im Park'];
    const before = texts.map((t) => analyseText(t, null));
    // 80,000 distinct words: more than the tokeniser's word table holds, so it is emptied and ids reassigned.
    for (let p = 0; p < 80; p++) {
      let s = '';
      for (let k = 0; k < 1000; k++) s += `w${p}x${k}q `;
      analyse(s, 'en');
    }
    tokenise('');
    expect(texts.map((t) => analyseText(t, null))).toEqual(before);
  });
});
