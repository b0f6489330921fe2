// The warm-up of short batch runs (processors/text/warm-up.ts) takes the analysis' branches on
// its own texts and leaves nothing behind: the word table is empty afterwards and every score
// is what it was without it.
import { expect, it } from 'vitest';
import { wordOf, wordTableGeneration } from '../../processors/text/language.js';
import { analyseText } from '../../processors/text/sentiment.js';
import { warmUp } from '../../processors/text/warm-up.js';
import { loadFixture } from '../../scripts/text-data.js';

it('warmUp empties the word table and changes no language or score', () => {
  const texts = [...loadFixture('de'), ...loadFixture('en')].map((r) => r.text);
  const before = texts.map((t) => analyseText(t, null));
  expect(wordOf(0)).not.toBe('');
  const generation = wordTableGeneration();
  warmUp();
  expect(wordTableGeneration()).toBeGreaterThan(generation);
  expect(wordOf(0)).toBe('');
  expect(texts.map((t) => analyseText(t, null))).toEqual(before);
});
