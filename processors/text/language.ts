// Language identification for short social-media posts, and the tokeniser shared with
// `sentiment.ts`. Pure and allocation-light: one hand-written scanner over the UTF-16 code
// units (no regular expressions in the hot path), a reused module-level token buffer, and
// stop-word / diacritic / character-trigram evidence that is written out in this file.
//
// Hashtags, mentions and URLs carry no language evidence and are ignored by `detectLanguage`.

import { fold } from '../../schemas/normalise.js';
import { eldSource, loadEldTable, type EldData } from './eld-table.js';

// ELD's detector (eld/small's code) over the table of eld-table.ts, built on first use.
interface Eld { detect(text: string): { language: string; isReliable(): boolean } }
const { createEld } = (await import(eldSource('languageDetector.js'))) as { createEld(): { instance: Eld; loadData(d: EldData): string } };
let eld: Eld | null = null;

export const LANGS = ['de', 'en', 'fr', 'es', 'it', 'nl'] as const;
export type Lang = (typeof LANGS)[number];
const NL = LANGS.length;
const DE = 0, EN = 1, FR = 2, ES = 3, IT = 4, NLD = 5;

// ---------------------------------------------------------------------------------------------
// Word table: every distinct folded word gets a small integer id. Lookups hash the characters of
// the post in place (folding as they go), so a word seen before costs one probe and allocates
// nothing. Per-word facts (language evidence here, sentiment information in sentiment.ts) are
// cached by id. The table is bounded: when it fills up it is emptied between two posts and
// `wordTableGeneration()` changes, so callers caching by id know to drop their caches.
//
// Words are identified by two independent 32-bit hashes of their folded code units plus their
// folded length (one slot holds all of it, so a probe touches one cache line and never the key
// string). Two different words are confused only if all 64 hash bits and the length agree: with
// at most 2^17 words stored that is below 2^-47 (~7e-15) per lookup.

const MAX_WORDS = 1 << 16; // the table is emptied (between posts) once it holds this many words
const SLOT_BITS = 17; // >= 2 slots per word until MAX_WORDS: short probe sequences, and a table (2 MB) that stays in cache better
const SLOT_MASK = (1 << SLOT_BITS) - 1;
/** Word ids are always below this bound (a single huge text may exceed MAX_WORDS, not this). */
export const MAX_WORD_IDS = 1 << 17;
// Slot k: [h1, h2, folded length, id + 1] at 4k .. 4k+3; id + 1 = 0 marks an empty slot.
const slots = new Int32Array(4 << SLOT_BITS);
const keys: string[] = [];
let generation = 0;

/** Rows of NL numbers (evidence per language) in one growing array. */
class Rows {
  // Small at first, so that the warm-up (warm-up.ts) already takes the growing branch below:
  // taken first in a post, it sent the optimised language check back to the interpreter.
  data = new Float64Array(NL * 4);
  n = 0;
  /** Appends a copy of `v`; returns its row number. */
  add(v: Float64Array): number {
    if ((this.n + 1) * NL > this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data.set(v, this.n * NL);
    return this.n++;
  }
}
// Per word id: its stop-word / elision evidence as row `evRow[id] - 1` of `evRows` (0: none),
// and its character n-gram evidence as row `triRow[id] - 1` of `triRows` (0: not computed yet,
// -1: none), computed lazily. Flat rows, not an array object per word: the language check reads
// them for every token, and one object per word cost a pointer chase and a cache miss each.
const evRow = new Int32Array(MAX_WORD_IDS);
const triRow = new Int32Array(MAX_WORD_IDS);
const evRows = new Rows();
const triRows = new Rows();

/** Changes whenever word ids are reassigned (see the comment above). */
export function wordTableGeneration(): number {
  return generation;
}

/** The folded form of the word with this id. */
export function wordOf(id: number): string {
  return keys[id] ?? '';
}

/** Empties the word table (ids are reassigned from 0; `wordTableGeneration()` changes, so per-id caches are dropped). */
export function resetWordTable(): void {
  slots.fill(0);
  triRow.fill(0, 0, keys.length);
  keys.length = 0;
  evRows.n = 0;
  triRows.n = 0;
  generation++;
}

// The two hashes, one code unit at a time: FNV-1a, and a multiply-xorshift (MurmurHash2 mixing).
// Both start from fixed seeds; `hash2Step` needs `h2 ^ (h2 >>> 13)` to spread the high bits.
const H1_SEED = 0x811c9dc5 | 0, H2_SEED = 0x9747b28c | 0;

function insertWord(key: string, h1: number, h2: number, pos: number): number {
  const id = keys.length;
  if (id >= MAX_WORD_IDS) return -1; // a single enormous text: stop learning new words
  keys.push(key);
  const e = wordEvidence(key);
  evRow[id] = e === null ? 0 : evRows.add(e) + 1;
  const o = pos << 2;
  slots[o] = h1;
  slots[o + 1] = h2;
  slots[o + 2] = key.length;
  slots[o + 3] = id + 1;
  return id;
}

function find(h1: number, h2: number, len: number): number {
  let pos = h1 & SLOT_MASK;
  for (;;) {
    const o = pos << 2;
    // The next slot is computed on every probe, not only on a collision: a first collision
    // otherwise met an addition V8 had never seen run and sent the word scanner back to the
    // interpreter, the warm-up being too small to collide.
    const next = (pos + 1) & SLOT_MASK;
    const v = slots[o + 3]!;
    if (v === 0) return -1 - pos; // not found: -1 - free slot
    if (slots[o] === h1 && slots[o + 1] === h2 && slots[o + 2] === len) return v - 1;
    pos = next;
  }
}

/** Id of a folded word given as a string (inserted when new). */
export function internWord(key: string): number {
  let h1 = H1_SEED, h2 = H2_SEED;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  const r = find(h1, h2, key.length);
  return r >= 0 ? r : insertWord(key, h1, h2, -1 - r);
}

// Folding of one code unit for the in-place path: ASCII and Latin-1 letters, where `fold` is
// plain lower-casing (and ß → ss, handled by the callers). Everything else takes the slow path.
function foldUnit(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  if (c === 0x2019) return 39;
  return c >= 0xc0 && c <= 0xde ? c + 32 : c;
}

/** Folded form of text[start, end) for the in-place path (built once, when a word is new). */
function foldSpan(text: string, start: number, end: number): string {
  // Built from char codes, so that the key does not keep the whole post alive (a slice could).
  let out = '';
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j);
    out += c === 0xdf ? 'ss' : String.fromCharCode(foldUnit(c));
  }
  return out;
}

/** Id of text[start, end) (in-place path, see `scanWord`), given its hashes and folded length. */
function lookupHashed(text: string, start: number, end: number, h1: number, h2: number, len: number): number {
  const r = find(h1, h2, len);
  return r >= 0 ? r : insertWord(foldSpan(text, start, end), h1, h2, -1 - r);
}

/**
 * Id of fold(text[start, end)) for a span of word characters (a hashtag or one of its parts):
 * hashed in place when they are ASCII or Latin-1 letters, digits and '_', where `fold` is the
 * lower-casing of FOLD plus ß → ss; through `fold()` otherwise.
 */
function internSpan(text: string, start: number, end: number): number {
  let h1 = H1_SEED, h2 = H2_SEED, n = 0;
  for (let j = start; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c >= 256 || (LATIN[c] === 0 && c !== 95)) return internWord(fold(text.slice(start, end)));
    let u = FOLD[c]!;
    if (c === 0xdf) { // ß → ss
      h1 = Math.imul(h1 ^ 115, 0x01000193);
      h2 = Math.imul(h2 ^ 115, 0x5bd1e995);
      h2 ^= h2 >>> 13;
      n++;
      u = 115;
    }
    h1 = Math.imul(h1 ^ u, 0x01000193);
    h2 = Math.imul(h2 ^ u, 0x5bd1e995);
    h2 ^= h2 >>> 13;
    n++;
  }
  return lookupHashed(text, start, end, h1, h2, n);
}

/** Id of text[start, end) via `fold()` (any script). */
function lookupFolded(text: string, start: number, end: number): number {
  let raw = text.slice(start, end);
  if (raw.includes('\u2019')) raw = raw.replace(/\u2019/g, "'");
  return internWord(fold(raw));
}

// ---------------------------------------------------------------------------------------------
// Tokeniser

/** Token flags (bit set). */
export const T_HASHTAG = 1; // comes from a hashtag (whole tag or one of its CamelCase parts)
export const T_HASHWHOLE = 2; // the whole hashtag, folded
export const T_HASHPART = 4; // one CamelCase part of the preceding whole hashtag
export const T_CAPS = 8; // written in capitals (>= 3 letters, no lower case)
export const T_BREAK = 16; // a clause boundary precedes this token
export const T_EXCL = 32; // immediately followed by '!'
export const T_ELONG = 64; // has a letter repeated 3+ times ("suuuper")

/**
 * The token buffer filled by `tokenise`. It is a single module-level object, reused by every
 * call (the analysis is synchronous, so this is safe); copy what you need before tokenising again.
 */
export interface TokenBuffer {
  n: number;
  /** Word ids (see `wordOf`), `id[0..n)`; -1 for a word that could not be stored. */
  id: Int32Array;
  flags: Uint8Array;
  /** Emoji code points, and pseudo code points for ASCII emoticons (see lexicon.EMOTICON). */
  emoji: Int32Array;
  nEmoji: number;
  exclam: number;
  maxExclamRun: number;
  question: number;
  interrobang: number;
  /** Words (not hashtags) with >= 4 letters written in capitals, and all words with letters. */
  capsWords: number;
  letterWords: number;
  elongated: number;
  /** Diacritic evidence per language, indexed like LANGS. */
  cues: Float64Array;
}

const buf: TokenBuffer = {
  n: 0,
  id: new Int32Array(256),
  flags: new Uint8Array(256),
  emoji: new Int32Array(64),
  nEmoji: 0,
  exclam: 0,
  maxExclamRun: 0,
  question: 0,
  interrobang: 0,
  capsWords: 0,
  letterWords: 0,
  elongated: 0,
  cues: new Float64Array(NL),
};

/** The folded words currently in the buffer (for tests and debugging; allocates). */
export function tokenWords(tk: TokenBuffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < tk.n; i++) out.push(wordOf(tk.id[i]!));
  return out;
}

// ASCII classes: 1 = lower, 2 = upper, 3 = digit, 0 = other.
const ASCII = new Uint8Array(128);
for (let c = 97; c <= 122; c++) ASCII[c] = 1;
for (let c = 65; c <= 90; c++) ASCII[c] = 2;
for (let c = 48; c <= 57; c++) ASCII[c] = 3;

// Latin-1 classes for the word scanner: 1 lower, 2 upper, 3 digit, 0 other.
const LATIN = new Uint8Array(256);
LATIN.set(ASCII);
for (let c = 0xc0; c <= 0xff; c++) if (c !== 0xd7 && c !== 0xf7) LATIN[c] = c <= 0xde ? 2 : 1;
// Folded code unit per Latin-1 character (ß is expanded by the scanner).
const FOLD = new Uint16Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = foldUnit(c);

const LETTER_RE = /[\p{L}\p{M}]/u;

/** Letters and combining marks outside ASCII (approximate by blocks, exact via regex for the rest). */
function isLetterNonAscii(c: number): boolean {
  if (c <= 0xff) return c >= 0xc0 ? c !== 0xd7 && c !== 0xf7 : c === 0xaa || c === 0xb5 || c === 0xba;
  if (c < 0x2000) return true; // Latin Extended, IPA, combining marks, Greek, Cyrillic, …
  if (c < 0x2c00) return false; // punctuation, symbols, arrows, dingbats
  if (c < 0x2e00) return true;
  if (c < 0x3040) return false; // supplemental punctuation, CJK symbols
  if (c >= 0xd800 && c <= 0xdfff) return false; // astral: emoji and friends
  if (c >= 0xfe00 && c <= 0xfe0f) return false; // variation selectors
  return LETTER_RE.test(String.fromCharCode(c));
}

/**
 * text.charCodeAt(i), or 0 past the end of the text, where charCodeAt gives NaN. 0 is no word
 * character and equals none of the codes the scanner compares with, as NaN did; reading past the
 * end sent optimised code back to the interpreter the first time a post ended in an emoticon.
 */
function codeAt(text: string, i: number): number {
  return i < text.length ? text.charCodeAt(i) : 0;
}

function isWordCode(c: number): boolean {
  return c < 128 ? ASCII[c] !== 0 || c === 95 : isLetterNonAscii(c);
}

/** Adds diacritic evidence for one non-ASCII letter. */
function cue(c: number): void {
  const q = buf.cues;
  switch (c | 0x20) { // folds Latin-1 upper to lower (0xC0..0xDE → 0xE0..0xFE)
    case 0xe4: case 0xf6: case 0xfc: q[DE]! += 1; break; // ä ö ü
    case 0xff: if (c === 0xdf) q[DE]! += 1; break; // ß (0xDF | 0x20 = 0xFF)
    case 0xf1: q[ES]! += 1.5; break; // ñ
    case 0xe7: q[FR]! += 1; break; // ç
    case 0xe9: q[FR]! += 0.6; q[ES]! += 0.3; q[IT]! += 0.3; break; // é
    case 0xe8: q[FR]! += 0.6; q[IT]! += 0.6; break; // è
    case 0xea: case 0xe2: case 0xee: case 0xf4: case 0xfb: q[FR]! += 0.8; break; // ê â î ô û
    case 0xe0: q[FR]! += 0.5; q[IT]! += 0.5; break; // à
    case 0xec: case 0xf2: case 0xf9: q[IT]! += 0.8; break; // ì ò ù
    case 0xe1: case 0xed: case 0xf3: case 0xfa: q[ES]! += 0.8; break; // á í ó ú
    case 0xeb: case 0xef: q[NLD]! += 0.4; q[FR]! += 0.4; break; // ë ï
    default:
      if (c === 0x153 || c === 0x152) q[FR]! += 1.5; // œ
  }
}

function push(id: number, flags: number): void {
  const i = buf.n;
  if (i >= buf.flags.length) {
    const f = new Uint8Array(buf.flags.length * 2);
    f.set(buf.flags);
    buf.flags = f;
    const d = new Int32Array(buf.id.length * 2);
    d.set(buf.id);
    buf.id = d;
  }
  buf.id[i] = id;
  buf.flags[i] = flags;
  buf.n = i + 1;
}

function pushEmoji(cp: number): void {
  if (buf.nEmoji >= buf.emoji.length) {
    const e = new Int32Array(buf.emoji.length * 2);
    e.set(buf.emoji);
    buf.emoji = e;
  }
  buf.emoji[buf.nEmoji++] = cp;
}

let brk = true;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a);
}

/** Skips a URL starting at i; returns the index after it, or -1 when there is none. */
function skipUrl(text: string, i: number): number {
  const c = text.charCodeAt(i) | 0x20;
  let ok = false;
  if (c === 104) ok = text.startsWith('http://', i) || text.startsWith('https://', i) || text.startsWith('HTTP', i);
  else if (c === 119) ok = text.startsWith('www.', i) || text.startsWith('WWW.', i);
  if (!ok) return -1;
  let j = i;
  while (j < text.length && !isSpace(text.charCodeAt(j))) j++;
  return j;
}

/** Scans a word from `start`; pushes it; returns the index after it. */
function scanWord(text: string, start: number): number {
  const len = text.length;
  let j = start;
  let upper = 0, lower = 0, letters = 0, run = 0, prev = -1;
  let simple = true, elong = false;
  // Hashes of the folded code units (valid while `simple`), see the word table.
  let h1 = H1_SEED, h2 = H2_SEED, n = 0;
  while (j < len) {
    const c = text.charCodeAt(j);
    let u: number; // folded code unit
    if (c < 256) {
      const k = LATIN[c]!;
      if (k === 1) { lower++; letters++; if (c >= 128) cue(c); }
      else if (k === 2) { upper++; letters++; if (c >= 128) cue(c); }
      else if (k === 3) { /* digit */ }
      else if (c === 39 && letters > 0 && j + 1 < len && isWordCode(text.charCodeAt(j + 1))) { /* it's */ }
      else if (c === 42 && letters > 0) { /* f*** */ }
      else break;
      if (c === 0xdf) { // ß → ss
        h1 = Math.imul(h1 ^ 115, 0x01000193);
        h2 = Math.imul(h2 ^ 115, 0x5bd1e995);
        h2 ^= h2 >>> 13;
        n++;
        u = 115;
      } else u = FOLD[c]!;
    } else if (c === 0x2019 && letters > 0 && j + 1 < len && isWordCode(text.charCodeAt(j + 1))) {
      u = 39;
    } else if (isLetterNonAscii(c)) {
      simple = false;
      letters++;
      if (c < 0x300 || c > 0x36f) lower++; // other scripts: not treated as shouting
      cue(c);
      u = c;
    } else break;
    h1 = Math.imul(h1 ^ u, 0x01000193);
    h2 = Math.imul(h2 ^ u, 0x5bd1e995);
    h2 ^= h2 >>> 13;
    n++;
    if ((c | 0x20) === prev) { if (++run === 3 && c !== 42 && (c < 48 || c > 57)) elong = true; }
    else { run = 1; prev = c | 0x20; }
    j++;
  }
  if (j === start) return start + 1;
  if (letters === 0) return j; // a number: no token, no clause boundary
  let id: number;
  if (start > 0 && text.charCodeAt(start - 1) === 42 && text.charCodeAt(j - 1) === 42) {
    // "*really*" is emphasis, not censoring ("f***" keeps its stars).
    let end = j;
    while (end > start + 1 && text.charCodeAt(end - 1) === 42) end--;
    id = lookupFolded(text, start, end);
  } else id = simple ? lookupHashed(text, start, j, h1, h2, n) : lookupFolded(text, start, j);
  let flags = brk ? T_BREAK : 0;
  brk = false;
  if (lower === 0 && upper >= 3) flags |= T_CAPS;
  if (elong) { flags |= T_ELONG; buf.elongated++; }
  buf.letterWords++;
  if (lower === 0 && upper >= 4) buf.capsWords++;
  push(id, flags);
  return j;
}

/** Scans a hashtag body from `start` (just after '#'); returns the index after it. */
function scanHashtag(text: string, start: number): number {
  const len = text.length;
  let j = start;
  let letters = 0;
  while (j < len) {
    const c = text.charCodeAt(j);
    if (c < 128 ? ASCII[c] !== 0 || c === 95 : isLetterNonAscii(c)) {
      if (c >= 128 || ASCII[c] === 1 || ASCII[c] === 2) letters++;
      j++;
    } else break;
  }
  if (letters === 0) return j;
  push(internSpan(text, start, j), T_HASHTAG | T_HASHWHOLE | T_BREAK);
  // CamelCase / snake_case parts: split at lower→Upper and at '_'.
  let partStart = start;
  let parts = 0;
  for (let k = start + 1; k <= j; k++) {
    const c = k < j ? text.charCodeAt(k) : 0;
    const p = text.charCodeAt(k - 1);
    const split = k === j || c === 95 || (c >= 65 && c <= 90 && ((p >= 97 && p <= 122) || (p >= 0xdf && p <= 0xff)));
    if (!split) continue;
    if (k < j || parts > 0) {
      const s = text.charCodeAt(partStart) === 95 ? partStart + 1 : partStart;
      if (k > s) {
        push(internSpan(text, s, k), T_HASHTAG | T_HASHPART);
        parts++;
      }
    }
    partStart = k;
  }
  brk = true;
  return j;
}

/** Recognises an ASCII emoticon at i; returns its length (0 if none) and pushes it. */
function emoticon(text: string, i: number, c: number): number {
  const n1 = codeAt(text, i + 1);
  const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
  if (c === 60) { // <3 </3
    if (n1 === 51) { pushEmoji(0xf0008); return 2; }
    if (n1 === 47 && codeAt(text, i + 2) === 51) { pushEmoji(0xf0009); return 3; }
    return 0;
  }
  if (c === 94) { // ^^ ^_^
    if (n1 === 94) { pushEmoji(0xf000b); return 2; }
    if (n1 === 95 && codeAt(text, i + 2) === 94) { pushEmoji(0xf000b); return 3; }
    return 0;
  }
  if (c === 62) { // >:(
    if (n1 === 58 && codeAt(text, i + 2) === 40) { pushEmoji(0xf000a); return 3; }
    return 0;
  }
  // : ; =
  if (prev < 128 && ASCII[prev] !== 0) return 0; // "20:30", "Thema:"
  let k = i + 1;
  let d = codeAt(text, k);
  if (d === 45 || d === 39) d = codeAt(text, ++k); // :-) :'(
  const after = codeAt(text, k + 1);
  const wordAfter = k + 1 < text.length && isWordCode(after);
  let cp = 0;
  switch (d) {
    case 41: case 93: cp = c === 59 ? 0xf0003 : 0xf0001; break; // ) ]
    case 68: cp = wordAfter ? 0 : 0xf0002; break; // D
    case 40: case 91: cp = n1 === 39 ? 0xf0005 : 0xf0004; break; // ( [
    case 47: case 92: case 124: cp = wordAfter || (c === 58 && after === 47) ? 0 : 0xf0006; break; // / \ |
    case 80: case 112: cp = wordAfter ? 0 : 0xf0007; break; // P p
    case 42: cp = 0xf0001; break; // :*
  }
  if (cp === 0) return 0;
  pushEmoji(cp);
  return k + 1 - i;
}

const SLASH_S = '/s';

/**
 * Splits `text` into folded word tokens and collects emoji, punctuation and capitalisation cues.
 * URLs and mentions are skipped; hashtags become a whole-tag token plus CamelCase parts.
 * Returns the shared, reused buffer.
 */
export function tokenise(text: string): TokenBuffer {
  if (keys.length >= MAX_WORDS) resetWordTable();
  buf.n = 0;
  buf.nEmoji = 0;
  buf.exclam = 0;
  buf.maxExclamRun = 0;
  buf.question = 0;
  buf.interrobang = 0;
  buf.capsWords = 0;
  buf.letterWords = 0;
  buf.elongated = 0;
  buf.cues.fill(0);
  brk = true;
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const k = ASCII[c]!;
      if (k !== 0) {
        const lc = c | 0x20;
        if (lc === 104 || lc === 119) { // h, w: maybe a URL
          const u = skipUrl(text, i);
          if (u >= 0) { i = u; brk = true; continue; }
        }
        i = scanWord(text, i);
        continue;
      }
      switch (c) {
        case 32:
          i++;
          continue;
        case 35: { // '#'
          const p = i > 0 ? text.charCodeAt(i - 1) : 32;
          if (i + 1 < len && isWordCode(text.charCodeAt(i + 1)) && !isWordCode(p)) i = scanHashtag(text, i + 1);
          else i++;
          continue;
        }
        case 64: { // '@': a mention (or the domain of an e-mail address)
          let j = i + 1;
          while (j < len) {
            const d = text.charCodeAt(j);
            if (isWordCode(d) || d === 64 || d === 45) j++;
            else if (d === 46 && j + 1 < len && isWordCode(text.charCodeAt(j + 1))) j++;
            else break;
          }
          i = j;
          continue;
        }
        case 33: { // '!'
          let j = i;
          while (j < len && text.charCodeAt(j) === 33) j++;
          const r = j - i;
          buf.exclam += r;
          if (r > buf.maxExclamRun) buf.maxExclamRun = r;
          if (buf.n > 0) buf.flags[buf.n - 1]! |= T_EXCL;
          if ((i > 0 && text.charCodeAt(i - 1) === 63) || codeAt(text, j) === 63) buf.interrobang++;
          brk = true;
          i = j;
          continue;
        }
        case 63: // '?'
          buf.question++;
          brk = true;
          i++;
          continue;
        case 58: case 59: case 61: case 60: case 62: case 94: { // : ; = < > ^
          const l = emoticon(text, i, c);
          if (l > 0) { brk = true; i += l; continue; }
          if (c !== 61 && c !== 94) brk = true;
          i++;
          continue;
        }
        case 46: case 44: case 40: case 41: case 91: case 93: case 123: case 125: case 34:
        case 10: case 13: case 124:
          brk = true;
          i++;
          continue;
        case 47: // '/': "/s" marks sarcasm; otherwise a separator
          if ((codeAt(text, i + 1) | 0x20) === 115 && !isWordCode(codeAt(text, i + 2)) && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
            push(internWord(SLASH_S), T_BREAK);
            i += 2;
          } else i++;
          brk = true;
          continue;
        case 45: // '-' as a dash between spaces is a boundary, inside words it just splits
          if (i > 0 && isSpace(text.charCodeAt(i - 1))) brk = true;
          i++;
          continue;
        default:
          i++;
          continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const cp = text.codePointAt(i)!;
      // Skin tones, tag characters and regional indicators only modify or spell other emoji.
      if (!(cp >= 0x1f3fb && cp <= 0x1f3ff) && !(cp >= 0xe0000 && cp <= 0xe007f) && !(cp >= 0x1f1e6 && cp <= 0x1f1ff)) {
        pushEmoji(cp);
        brk = true;
      }
      i += 2;
      continue;
    }
    if (isLetterNonAscii(c)) {
      i = scanWord(text, i);
      continue;
    }
    if (c >= 0x2190 && c <= 0x2bff) { // symbols and dingbats: ❤ ☀ ⭐ ✅ …
      pushEmoji(c);
      brk = true;
    } else if (c === 0x2026 || c === 0x2013 || c === 0x2014 || c === 0x201e || c === 0x201c || c === 0x201d
      || c === 0xab || c === 0xbb || c === 0xbf || c === 0xa1 || c === 0x3002 || c === 0xff01 || c === 0xff1f) {
      if (c === 0xbf || c === 0xa1) buf.cues[ES]! += 1.5; // ¿ ¡
      brk = true;
    }
    i++;
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Language evidence (hand-written for this project)

const STOPWORDS: Record<Lang, string> = {
  de: `der die das den dem des ein eine einen einem einer eines und oder aber nicht kein keine
    keinen ist sind war waren bin bist hat habe hab haben hatte wird werden wurde ich du er sie es
    wir ihr mich mir dich dir uns euch sich mein meine dein deine unser mit von zu zum zur im auf
    aus bei nach für über unter vor durch gegen ohne um am an als auch noch schon nur sehr so wie
    was wer wo warum wann wenn dann dass weil doch ja nein mal jetzt heute morgen gestern immer
    wieder hier da dort gibt gut echt voll gar einfach ganz mehr viel alle alles nichts nix man
    kann muss soll will diese dieser dieses jemand weiß geht eure euer bitte danke leider endlich
    erst seit bis ab sind seid habt gibt's nie niemand etwas sowas eigentlich gerade grad halt
    eben also ob zwar sondern sowie in`,
  en: `the a an and or but not no is are was were be been being am i you he she it we they me him
    her us them my your his its our their this that these those there here what which who why how
    when where to of in on at for with from by about as into over after before than then so very
    just really too also can could will would should may might must do does did don't doesn't
    didn't can't won't isn't it's i'm you're that's there's have has had get got go going gonna
    all some any every much many more most other again still only even now today tonight tomorrow
    yesterday up out off down back if because while until since yet ever never always thanks please
    anyone someone something nothing everything been i've i'll they're we're let's
    im dont cant wont aint ain't isnt didnt doesnt thats youre ive ill lol lmao lmfao smh omg wtf
    stfu tbh idk u ur ya yo yall y'all gotta wanna tryna finna bout cuz tho dat dis lil
    like know want love people good got make need think feel say said new look day night
    bitch bitches hoe hoes fuck fucking fucked shit ass damn pussy nigga niggas trash`,
  fr: `le la les un une des du de et est sont était suis es être ai as avons avez ont je tu il elle
    on nous vous ils elles me te se moi toi lui leur ce cette ces cet mon ma mes ton ta tes son sa
    ses notre votre pas ne plus très trop bien mais ou où donc car que qui quoi quand comment
    pourquoi avec sans pour par sur sous dans chez en au aux encore déjà toujours jamais rien tout
    tous toute aujourd'hui demain hier merci bonjour oui non vraiment c'est j'ai n'est qu'il
    voilà alors aussi fait peu a`,
  es: `el la los las un una unos unas y o pero no sí es son está están estoy estaba fue ser era de
    del al en con por para sin sobre entre que qué como cómo cuando dónde porque muy más menos
    mucho poco ya también todo todos nada hoy mañana ayer aquí yo tú él ella nosotros ellos me te
    se le lo les mi mis tu su sus nuestro este esta esto ese esa gracias hola hay tiene tengo hace
    vez otra otro pues bien siempre nunca así a`,
  it: `il lo la i gli le un uno una e è ed o ma non sì di del della dei delle dello al alla ai
    agli in nel nella con per su da dal dalla tra fra che chi come quando dove perché molto più
    meno anche già ancora sempre mai tutto tutti oggi domani ieri io tu lui lei noi voi loro mi ti
    ci vi si mio mia tuo tua suo sua questo questa quello quella sono sei siamo siete ho hai ha
    abbiamo hanno era stato grazie ciao c'è ecco bene niente però quindi cosa a`,
  nl: `de het een en of maar niet geen is zijn was waren ben bent heb hebt heeft hebben had ik je
    jij u hij zij ze wij we jullie mij me mijn jouw haar ons onze van op te in aan voor met naar
    bij uit over door om tot dan als dat die dit deze wat wie waar waarom hoe wanneer ook nog al
    wel heel erg veel meer er hier daar vandaag morgen gisteren niets niks altijd nooit weer echt
    alleen toch dus omdat want bedankt zo kan kunnen moet wordt worden`,
};

// Frequent character trigrams per language; '_' marks a word boundary.
const TRIGRAMS: Record<Lang, string> = {
  de: `_de der die _di ie_ ich _ei ein en_ sch _sc che cht ch_ nde und _un er_ ung ng_ gen den _ge
    ten ter ber _be eit ine ier ste _ve ver _zu auf ach lic ei_ ge_ ht_ _mi mit _ni nic _da das
    as_ st_ _wi ene te_ _ha ehr rei _ke kei tz_ _sp ück ß_ eu_ _ü`,
  en: `_th the he_ _an and nd_ ing ng_ _to to_ _of of_ ion tio _in ed_ _wa _is is_ er_ _be _fo
    for or_ _yo you ou_ ly_ _ha hat tha _it _wh _re ve_ ent ll_ _no ay_ _so _ca all es_ ght igh
    _on ow_ _we re_ thi his _my ry_ ver _wi wit ith ck_`,
  fr: `_le les es_ _de de_ ent nt_ _la la_ _qu que ue_ _et et_ ion _pa pas _po our ait _un une ne_
    _en _ce ce_ tre re_ _co eau aux ux_ ais _di _au _pr _ma oir _so _se _je _vo vou ous _ne _tr
    ans é_ _é ét eu_ ai_`,
  es: `_de de_ _la la_ os_ _el el_ _qu que ue_ _en en_ as_ ent _lo los _co con _es es_ ado do_ _po
    por _pa par ara _un _se ien nte _ha ión _mu muy uy_ _ta _pe ero _no no_ mos ar_ cio _me est
    sta _ya ten ñ ón_ ía_ _y_`,
  it: `_di di_ _il il_ _la la_ _ch che he_ _co _pe per er_ ell lla one _no non on_ _un to_ re_
    _de del ent _in ato ata _qu _ma zio ne_ _so ono _ci gli _gl _al _an tto _mo olt _se are ere
    ità _e_ _è_ li_ ti_ io_ zz cc`,
  nl: `_de de_ _he het et_ _ee een en_ _va van an_ _ge _ni nie iet _ik ik_ ijk _zi _wa _da dat _me
    _vo voo oor aar _ma maa _te _op op_ _ij ij_ _ve _ze cht sch _ge gen ten _in _we eer _no _aa
    oe_ ele aa ee oo uu`,
};

function triKey(a: number, b: number, c: number): number {
  return a * 4294967296 + b * 65536 + c;
}

/** Word → evidence per language (shared words split their weight). */
const STOP = new Map<string, Float64Array>();
/** Trigram key → evidence per language; also bigram keys (a=0) for the short entries. */
const TRI = new Map<number, Float64Array>();

(() => {
  const owners = new Map<string, number[]>();
  LANGS.forEach((lang, li) => {
    for (const w of STOPWORDS[lang].split(/\s+/)) {
      if (!w) continue;
      const k = fold(w);
      const o = owners.get(k) ?? [];
      if (!o.includes(li)) o.push(li);
      owners.set(k, o);
    }
  });
  for (const [w, o] of owners) {
    const v = new Float64Array(NL);
    for (const li of o) v[li] = 1 / o.length;
    STOP.set(w, v);
  }
  const triOwners = new Map<number, number[]>();
  LANGS.forEach((lang, li) => {
    for (const t of TRIGRAMS[lang].split(/\s+/)) {
      if (!t) continue;
      const s = fold(t).replace(/_/g, ' ');
      const codes = [...s].map((ch) => ch.charCodeAt(0));
      // Shorter entries (one or two characters) are matched as bigram / unigram keys.
      const key = codes.length >= 3 ? triKey(codes[0]!, codes[1]!, codes[2]!)
        : codes.length === 2 ? triKey(0, codes[0]!, codes[1]!) : triKey(0, 0, codes[0]!);
      const o = triOwners.get(key) ?? [];
      if (!o.includes(li)) o.push(li);
      triOwners.set(key, o);
    }
  });
  for (const [k, o] of triOwners) {
    const v = new Float64Array(NL);
    for (const li of o) v[li] = 1 / o.length;
    TRI.set(k, v);
  }
})();

const score = new Float64Array(NL);
const ZERO = new Float64Array(NL);

/** Evidence weights, tuned on hand-written examples (see test/unit/sentiment.test.ts). */
const TRI_WEIGHT = 0.12;
const MIN_SCORE = 1.0;
const MIN_MARGIN = 0.45;

/** Stop-word and elision evidence of one folded word (computed once per word). */
function wordEvidence(w: string): Float64Array | null {
  const v = STOP.get(w);
  if (v) return v;
  const ap = w.indexOf("'");
  if (ap <= 0) return null;
  const e = new Float64Array(NL);
  if (w.endsWith("n't")) e[EN] = 1;
  else if (ap === 1 || (ap === 2 && w.startsWith('qu'))) {
    const h = w.charCodeAt(0);
    // l' d' → French or Italian elision; j' c' n' s' m' t' qu' → French
    if (h === 108 || h === 100) { e[FR] = 0.6; e[IT] = 0.4; }
    else if (h === 106 || h === 99 || h === 110 || h === 115 || h === 109 || h === 116 || h === 113) e[FR] = 1;
    else return null;
  } else if (/'(s|re|ll|ve|m|d)$/.test(w)) e[EN] = 0.7;
  else return null;
  return e;
}

/** Character n-gram evidence of one folded word (computed once per word). */
function wordTrigrams(w: string): Float64Array {
  const t = new Float64Array(NL);
  let hit = false;
  let a = 32, b = 32;
  for (let k = 0; k <= w.length; k++) {
    const c = k < w.length ? w.charCodeAt(k) : 32;
    const v3 = TRI.get(triKey(a, b, c));
    const v2 = TRI.get(triKey(0, b, c));
    const v1 = c >= 128 ? TRI.get(triKey(0, 0, c)) : undefined;
    if (v3 !== undefined) { hit = true; for (let l = 0; l < NL; l++) t[l]! += v3[l]!; }
    if (v2 !== undefined) { hit = true; for (let l = 0; l < NL; l++) t[l]! += v2[l]!; }
    if (v1 !== undefined) { hit = true; for (let l = 0; l < NL; l++) t[l]! += v1[l]!; }
    a = b;
    b = c;
  }
  return hit ? t : ZERO;
}

/** Language of the tokens currently in the buffer (see `tokenise`). */
export function detectFromTokens(tk: TokenBuffer): string {
  score.fill(0);
  let words = 0;
  for (let i = 0; i < tk.n; i++) {
    if ((tk.flags[i]! & T_HASHTAG) !== 0) continue;
    words++;
    const id = tk.id[i]!;
    const r = id >= 0 ? evRow[id]! : 0;
    if (r !== 0) {
      const ev = evRows.data, o = (r - 1) * NL;
      for (let l = 0; l < NL; l++) score[l]! += ev[o + l]!;
    }
  }
  if (words === 0) return 'und';
  for (let l = 0; l < NL; l++) score[l]! += tk.cues[l]!;
  top2(score);
  if (score[best]! >= 2 && score[best]! - score[second]! >= 1) return LANGS[best]!;
  // Weak or ambiguous stop-word evidence: add character n-grams.
  for (let i = 0; i < tk.n; i++) {
    const id = tk.id[i]!;
    if ((tk.flags[i]! & T_HASHTAG) !== 0 || id < 0) continue;
    let r = triRow[id]!;
    if (r === 0) {
      const t = wordTrigrams(keys[id]!);
      r = triRow[id] = t === ZERO ? -1 : triRows.add(t) + 1;
    }
    if (r > 0) {
      const tr = triRows.data, o = (r - 1) * NL;
      for (let l = 0; l < NL; l++) score[l]! += TRI_WEIGHT * tr[o + l]!;
    }
  }
  top2(score);
  if (score[best]! < MIN_SCORE || score[best]! - score[second]! < MIN_MARGIN) return words >= FALLBACK_MIN_WORDS ? fallback(tk) : 'und';
  return LANGS[best]!;
}

/** Posts with fewer words (hashtags aside) than this stay 'und' when the evidence above is weak. */
const FALLBACK_MIN_WORDS = 2;

/**
 * Second opinion for the posts the word evidence above leaves undecided (a few per cent of
 * informal posts: slang, abbreviations, few function words): ELD (the `eld` package, byte
 * n-grams of 60 languages, deterministic), over the post's words without hashtags, mentions
 * and URLs. Its answer counts only when it deems it reliable; any of its languages may come
 * back (the analysers treat languages they have no lexicon for neutrally).
 */
function fallback(tk: TokenBuffer): string {
  let text = '';
  for (let i = 0; i < tk.n; i++) {
    const id = tk.id[i]!;
    if ((tk.flags[i]! & T_HASHTAG) !== 0 || id < 0) continue;
    text = text === '' ? keys[id]! : `${text} ${keys[id]!}`;
  }
  if (eld === null) {
    const e = createEld();
    e.loadData(loadEldTable());
    eld = e.instance;
  }
  const r = eld.detect(text);
  return r.language !== '' && r.isReliable() ? r.language : 'und';
}

// The two best languages found by `top2` (module-level: no array per post).
let best = 0, second = 1;

function top2(v: Float64Array): void {
  let b = 0, s = 1;
  if (v[1]! > v[0]!) { b = 1; s = 0; }
  for (let l = 2; l < NL; l++) {
    if (v[l]! > v[b]!) { s = b; b = l; }
    else if (v[l]! > v[s]!) s = l;
  }
  best = b;
  second = s;
}

/**
 * Language of a post: 'de', 'en', a best guess among 'fr', 'es', 'it', 'nl', or 'und' when the
 * evidence is too weak or ambiguous (very short posts, emoji only, mixed languages).
 * Hashtags, mentions and URLs are ignored.
 */
export function detectLanguage(text: string): string {
  return detectFromTokens(tokenise(text));
}
