import { describe, expect, it } from 'vitest';
import { extractHashtags, extractMentions, fold, normaliseHandle, normaliseHashtag } from '../../schemas/normalise.js';

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
  it('takes the Latin-1 fast path only where it equals the full folding (NFKC, lower, full mappings, NFKC)', () => {
    const full = (t: string) => t.normalize('NFKC').toLowerCase()
      .replace(/[ßſςŉǰΐΰẖ-ẚᾀ-ᾯᾲ-ᾴᾶᾷᾼῂ-ῄῆῇῌῒΐῖῗῢ-ῤῦῧῲ-ῴῶῷῼև]/gu, (ch) => ch.toUpperCase().toLowerCase()).normalize('NFKC');
    for (let c = 0; c < 256; c++) expect(fold(`Ab${String.fromCharCode(c)}ÄÖÜß`), `U+${c.toString(16)}`).toBe(full(`Ab${String.fromCharCode(c)}ÄÖÜß`));
    for (const t of ['Straße SPASS', 'ÄRGER über die Bahn!', 'Ça va, très bien', 'ª º ¹ ¼ µ', 'naïve café', 'A\u0308rger']) expect(fold(t), t).toBe(full(t));
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
