// Hashtag, mention and language-tag grammar of CONTRACTS §2, and the case folding shared by
// hashtags, watch keywords and handles. Pure functions: used by ingest, stage A and `detect`.

/** A post's `lang`: a language tag like "de", "en-GB" or "pt_BR". */
export const LANG_TAG = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;

const HASHTAG = /(?<![\p{L}\p{N}_])#([\p{L}\p{M}\p{N}_]+)/gu;
const HAS_LETTER = /\p{L}/u;
const MENTION = /(?<![\p{L}\p{N}_@])@[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?/gu;

// biome-ignore lint/suspicious/noControlCharactersInRegex: a range test over every code unit, control characters included
const ASCII_ONLY = /^[\x00-\x7f]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const LATIN1_LETTERS = /^[\x00-\x9f\xc0-\xff]*$/;
// Characters whose full case folding differs from toLowerCase() (CaseFolding F entries and the
// final sigma): ß ſ ς ŉ ǰ ΐ ΰ ẖ–ẚ ẞ, the Greek iota-subscript forms, and Armenian և.
const SPECIAL_FOLD = /[ßſςŉǰΐΰẖ-ẚᾀ-ᾯᾲ-ᾴᾶᾷᾼῂ-ῄῆῇῌῒΐῖῗῢ-ῤῦῧῲ-ῴῶῷῼև]/gu;

/**
 * Unicode full case folding (CaseFolding C+F) between two NFKC passes. JavaScript has no
 * casefold: toLowerCase() covers the simple mappings, and the few full ones (ß→ss, ẞ→ss,
 * ς→σ, ſ→s, …) go through upper-then-lower. The dotless ı stays distinct from i.
 */
export function fold(s: string): string {
  // Fast paths for the common cases in the hot loop. ASCII: lower-casing is the whole fold.
  // Latin-1 letters (German, French, …) without the symbols U+00A0–U+00BF: NFKC leaves them
  // alone and toLowerCase() stays within them, so only ß needs its full folding.
  if (ASCII_ONLY.test(s)) return s.toLowerCase();
  if (LATIN1_LETTERS.test(s)) return s.toLowerCase().replaceAll('ß', 'ss');
  const lower = s.normalize('NFKC').toLowerCase();
  return lower.replace(SPECIAL_FOLD, (ch) => ch.toUpperCase().toLowerCase()).normalize('NFKC');
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
