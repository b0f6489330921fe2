import { describe, expect, it } from 'vitest';
import { extractHashtags, extractMentions, fold, fullFold, isSimpleFold, normaliseHandle, normaliseHashtag } from '../../schemas/normalise.js';

/** The full folding as specified (NFKC, lower, full mappings, NFKC), written out here independently of the code under test. */
const full = (t: string) => t.normalize('NFKC').toLowerCase()
  .replace(/[ßſςŉǰΐΰẖ-ẚᾀ-ᾯᾲ-ᾴᾶᾷᾼῂ-ῄῆῇῌῒΐῖῗῢ-ῤῦῧῲ-ῴῶῷῼև]/gu, (ch) => ch.toUpperCase().toLowerCase()).normalize('NFKC');

describe('hashtag normalisation (CONTRACTS §2)', () => {
  it('folds ß to ss so #Fußball, #FUSSBALL and #fussball are one tag', () => {
    expect(normaliseHashtag('#Fußball')).toBe('fussball');
    expect(normaliseHashtag('#FUSSBALL')).toBe('fussball');
    expect(normaliseHashtag('fussball')).toBe('fussball');
    expect(normaliseHashtag('#STRAẞE')).toBe('strasse');
  });
  it('keeps umlauts and folds their case, in composed or decomposed form', () => {
    expect(normaliseHashtag('#ÄrgerMitDerBahn')).toBe('ärgermitderbahn');
    expect(normaliseHashtag('#A\u0308rger')).toBe('ärger'); // decomposed Ä → NFKC composes
  });
  it('applies full case folding beyond toLowerCase: final sigma, long s, ligatures, fullwidth', () => {
    expect(fold('ΟΔΟΣ')).toBe(fold('οδος'));
    expect(fold('οδος')).toBe('οδοσ');
    expect(normaliseHashtag('#ſtau')).toBe('stau');
    expect(normaliseHashtag('#ﬁnale')).toBe('finale');
    expect(normaliseHashtag('#ＢＡＨＮ')).toBe('bahn');
  });
  it('takes the fast path only where it equals the full folding (NFKC, lower, full mappings, NFKC)', () => {
    for (let c = 0; c < 256; c++) expect(fold(`Ab${String.fromCharCode(c)}ÄÖÜß`), `U+${c.toString(16)}`).toBe(full(`Ab${String.fromCharCode(c)}ÄÖÜß`));
    for (const t of ['Straße SPASS', 'ÄRGER über die Bahn!', 'Ça va, très bien', 'ª º ¹ ¼ µ', 'naïve café', 'A\u0308rger', 'ΟΔΟΣ 🚆', 'Ｂａｈｎ 😂', 'e\u0301', '\ud800x', 'x\udc00', '한\u11a8', '\u1100\u1161',
      'Ärger über die #Bahn 😡😡 „Verspätung“ – schon wieder…', 'İstanbul ǅ ǈ Ⅻ ℃ ﬁ']) {
      expect(fold(t), t).toBe(full(t));
      expect(fullFold(t), t).toBe(full(t));
    }
  });
  it('vouches only for characters that fold alone and in any company as toLowerCase() lowers them, over all of Unicode', () => {
    // Every code point the fast path calls simple folds as lowered, between ASCII, ß and another simple character.
    const simple: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (!isSimpleFold(cp)) continue;
      const ch = String.fromCodePoint(cp);
      simple.push(ch);
      const t = `Ab${ch}ß${ch}x`;
      if (fold(t) !== full(t)) expect(fold(t), `U+${cp.toString(16)}`).toBe(full(t));
    }
    expect(simple.length).toBeGreaterThan(5_000);
    for (const ch of 'aZäÄöÖüÜéÉçñ😂🚆👍🏽\ufe0f\u200d„“”‘’–—€¿¡αΑжЖ') expect(isSimpleFold(ch.codePointAt(0)!), ch).toBe(true);
    for (const ch of 'ßẞΣςſİ…ﬁＡ½\u0301\u0308가ᄀ') expect(isSimpleFold(ch.codePointAt(0)!), ch).toBe(false);
    // NFKC composes a character with the one before only where a canonical decomposition ends in it:
    // none of those is simple, so no two simple neighbours compose.
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const parts = [...String.fromCodePoint(cp).normalize('NFD')];
      for (const p of parts.slice(1)) if (isSimpleFold(p.codePointAt(0)!)) expect(`U+${p.codePointAt(0)!.toString(16)} in U+${cp.toString(16)}`).toBe('not simple');
    }
    // And random strings of simple characters, other characters and ASCII fold alike either way.
    let seed = 11;
    const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const others = ['Σ', 'ς', 'ß', 'ẞ', 'İ', '\u0301', '\u0308', 'ﬁ', 'Ａ', '½', '\u1161', '\u11a8', '가', '\ud83d', 'A', 'b', ' ', '#'];
    for (let k = 0; k < 20_000; k++) {
      const t = Array.from({ length: 1 + rnd(8) }, () => (rnd(2) ? simple[rnd(simple.length)]! : others[rnd(others.length)]!)).join('');
      if (fold(t) !== full(t)) expect(fold(t), JSON.stringify(t)).toBe(full(t));
    }
  });
  it('rejects tags without a letter', () => {
    expect(normaliseHashtag('#2026')).toBe('');
    expect(normaliseHashtag('#___')).toBe('');
  });
});

describe('hashtag extraction', () => {
  it('ends a tag at punctuation and emoji, and needs a letter', () => {
    expect(extractHashtags('Wieder #Bahnchaos! #DB😡 und #2026 aber #G20gipfel.')).toEqual(['bahnchaos', 'db', 'g20gipfel']);
  });
  it('ignores # preceded by a letter, digit or underscore (C# is no tag)', () => {
    expect(extractHashtags('I love C# and a_#b and x#y but #real')).toEqual(['real']);
  });
  it('de-duplicates after normalisation, in order of first use', () => {
    expect(extractHashtags('#Fußball #FUSSBALL #fussball #Tor')).toEqual(['fussball', 'tor']);
  });
  it('keeps combining marks and underscores inside a tag', () => {
    expect(extractHashtags('#cafe\u0301_time ok')).toEqual(['café_time']);
  });
  it('returns nothing for text without #', () => {
    expect(extractHashtags('nothing here')).toEqual([]);
  });
});

describe('mentions and handles', () => {
  it('extracts local and remote handles', () => {
    expect(extractMentions('Hey @DB_Bahn und @anna@social.example.org, mail a@b.de')).toEqual(['@DB_Bahn', '@anna@social.example.org']);
  });
  it('normalises handles for comparison', () => {
    expect(normaliseHandle('DB_Bahn')).toBe('@db_bahn');
    expect(normaliseHandle('@DB_Bahn@X.Social')).toBe('@db_bahn@x.social');
  });
});
