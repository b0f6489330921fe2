// Hashtag, mention and language-tag grammar of CONTRACTS §2, and the case folding shared by
// hashtags, watch keywords and handles. Pure functions: used by ingest, stage A and `detect`.

/** A post's `lang`: a language tag like "de", "en-GB" or "pt_BR". */
export const LANG_TAG = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;

const HASHTAG = /(?<![\p{L}\p{N}_])#([\p{L}\p{M}\p{N}_]+)/gu;
const HAS_LETTER = /\p{L}/u;
const MENTION = /(?<![\p{L}\p{N}_@])@[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?/gu;

// Characters whose full case folding differs from toLowerCase() (CaseFolding F entries and the
// final sigma): ß ſ ς ŉ ǰ ΐ ΰ ẖ–ẚ ẞ, the Greek iota-subscript forms, and Armenian և.
const SPECIAL_FOLD = /[ßſςŉǰΐΰẖ-ẚᾀ-ᾯᾲ-ᾴᾶᾷᾼῂ-ῄῆῇῌῒΐῖῗῢ-ῤῦῧῲ-ῴῶῷῼև]/gu;
/**
 * The scripts `fold`'s fast path vouches for: those of German and English posts, their emoji
 * and punctuation (Common, with variation selectors and joiners), and Greek and Cyrillic.
 * Others take the slow path: some newer scripts have letters that NFKC composes with the letter
 * before (Kirat Rai), which no character class here can name; a unit test checks over all of
 * Unicode that these scripts have none.
 */
const FAST_SCRIPTS = /^[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Common}\p{Variation_Selector}\p{Join_Control}]+$/u;
/** Marks, which NFKC composes with the character before or reorders; variation selectors (emoji's U+FE0F) are neither. */
const MARK = /(?!\p{Variation_Selector})\p{M}/u;

/** Unicode full case folding as specified; `fold`'s path for strings its fast path cannot vouch for. */
export function fullFold(s: string): string {
  const lower = s.normalize('NFKC').toLowerCase();
  return lower.replace(SPECIAL_FOLD, (ch) => ch.toUpperCase().toLowerCase()).normalize('NFKC');
}

const SIMPLE = 1;
const NOT_SIMPLE = 2;
const SHARP_S = 3;
/**
 * Per code point, filled as met: 0 not yet known, SIMPLE, NOT_SIMPLE, or SHARP_S for ß (simple
 * but for its full folding to "ss"). 1.1 MB, of which only the pages of code points met are
 * ever touched.
 */
const foldClass = new Uint8Array(0x110000);
for (let c = 0; c < 0x80; c++) foldClass[c] = SIMPLE;
foldClass[0xdf] = SHARP_S;

/**
 * Simple when the character and its lower case are each left alone by NFKC, are of FAST_SCRIPTS
 * and no mark (so NFKC composes them with no neighbour), hold no character with a full folding of
 * its own, and the character is not Σ (whose lower case depends on what follows). In a string of
 * such characters, `fullFold`'s NFKC passes and full mappings change nothing toLowerCase() does not.
 */
export function isSimpleFold(cp: number): boolean {
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x3a3) return false; // a lone surrogate; Σ
  const plain = (t: string) => t.normalize('NFKC') === t && FAST_SCRIPTS.test(t) && !MARK.test(t) && !t.match(SPECIAL_FOLD);
  const ch = String.fromCodePoint(cp);
  return plain(ch) && plain(ch.toLowerCase());
}

/**
 * Unicode full case folding (CaseFolding C+F) between two NFKC passes. JavaScript has no
 * casefold: toLowerCase() covers the simple mappings, and the few full ones (ß→ss, ẞ→ss,
 * ς→σ, ſ→s, …) go through upper-then-lower. The dotless ı stays distinct from i.
 */
export function fold(s: string): string {
  // The hot path: when every character is simple (ASCII; Latin, Greek and Cyrillic letters; emoji;
  // typographic punctuation), lower-casing is the whole fold, with ß its one full mapping.
  // Scanned by hand: a regular expression test over a character class costs about twice as much.
  let sharpS = false;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp < 0x80) continue;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const pair = s.codePointAt(i)!;
      if (pair > 0xffff) { cp = pair; i++; }
    }
    let k = foldClass[cp]!;
    if (k === 0) k = foldClass[cp] = isSimpleFold(cp) ? SIMPLE : NOT_SIMPLE;
    if (k === NOT_SIMPLE) return fullFold(s);
    if (k === SHARP_S) sharpS = true;
  }
  const lower = s.toLowerCase();
  return sharpS ? lower.replaceAll('ß', 'ss') : lower;
}

/** A hashtag as compared everywhere: leading `#`s stripped, then folded. Empty when not a valid tag. */
export function normaliseHashtag(tag: string): string {
  const folded = fold(tag.replace(/^#+/, ''));
  return HAS_LETTER.test(folded) && /^[\p{L}\p{M}\p{N}_]+$/u.test(folded) ? folded : '';
}

/** Hashtags in `text` per the grammar (CONTRACTS §2), normalised, de-duplicated, in order of first use. */
export function extractHashtags(text: string): string[] {
  if (!text.includes('#')) return [];
  const seen = new Set<string>();
  for (const m of text.matchAll(HASHTAG)) {
    if (!HAS_LETTER.test(m[1]!)) continue;
    const tag = normaliseHashtag(m[1]!);
    if (tag) seen.add(tag);
  }
  return [...seen];
}

/** Normalises a list of hashtags given by the source (with or without `#`); drops invalid ones. */
export function normaliseHashtags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const t of tags) {
    const tag = normaliseHashtag(t);
    if (tag) seen.add(tag);
  }
  return [...seen];
}

/** Mentions (`@user` or `@user@instance`) in `text`, as written. */
export function extractMentions(text: string): string[] {
  if (!text.includes('@')) return [];
  return [...new Set(text.match(MENTION) ?? [])];
}

/** A handle in comparable form: leading `@` ensured, folded. `@DB_Bahn@x.social` → `@db_bahn@x.social`. */
export function normaliseHandle(handle: string): string {
  const h = fold(handle.trim());
  return h.startsWith('@') ? h : `@${h}`;
}
