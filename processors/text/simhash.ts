// 32-bit SimHash of a post's words: near-duplicate texts (bot and click-farm campaigns that
// vary a template) land within a few bits of each other. Pure and allocation-light.
//
// A word is a maximal run of letters, digits, '_', '#' and '@' (/[\p{L}\p{N}_#@]+/u) in the
// lower-cased text; words shorter than 2 UTF-16 code units and words starting with "http" are
// skipped. Each word's hash32 votes on the 32 bits. Stage A runs this for most posts, so it scans
// the code units by hand and hashes as it goes: no regular expression, no substrings.

const WORD_CHAR = /[\p{L}\p{N}]/u;
/** Per BMP code unit: 0 not yet known, 1 word character, 2 not. */
const bmpClass = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const word = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 35 || c === 64 || (c >= 65 && c <= 90);
  bmpClass[c] = word ? 1 : 2;
}

/** Whether the code point is a word character, with `bmpClass` as a cache for the BMP. */
function isWordPoint(cp: number): boolean {
  if (cp < 65536) {
    let k = bmpClass[cp]!;
    if (k === 0) k = bmpClass[cp] = WORD_CHAR.test(String.fromCharCode(cp)) ? 1 : 2;
    return k === 1;
  }
  return WORD_CHAR.test(String.fromCodePoint(cp));
}

const acc = new Int32Array(32);

export function simhash(text: string): number {
  const s = text.toLowerCase();
  const len = s.length;
  acc.fill(0);
  let n = 0;
  let i = 0;
  while (i < len) {
    // Skip to the next word character.
    let c = s.charCodeAt(i);
    let cp = c >= 0xd800 && c <= 0xdbff ? s.codePointAt(i)! : c;
    if (!isWordPoint(cp)) { i += cp > 0xffff ? 2 : 1; continue; }
    // hash32 (FNV-1a over the code units, then fmix32) of the word, computed while scanning it.
    const start = i;
    let h = 0x811c9dc5;
    for (;;) {
      const units = cp > 0xffff ? 2 : 1;
      h = Math.imul(h ^ c, 0x01000193);
      if (units === 2) h = Math.imul(h ^ s.charCodeAt(i + 1), 0x01000193);
      i += units;
      if (i >= len) break;
      c = s.charCodeAt(i);
      cp = c >= 0xd800 && c <= 0xdbff ? s.codePointAt(i)! : c;
      if (!isWordPoint(cp)) break;
    }
    if (i - start < 2 || s.startsWith('http', start)) continue;
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    for (let b = 0; b < 32; b++) acc[b]! += (((h >>> b) & 1) << 1) - 1;
    n++;
  }
  if (n === 0) return 0;
  let out = 0;
  for (let b = 0; b < 32; b++) if (acc[b]! > 0) out |= 1 << b;
  return out >>> 0;
}

/** Number of differing bits between two SimHashes. */
export function hamming(a: number, b: number): number {
  let x = (a ^ b) >>> 0;
  let c = 0;
  while (x) { x &= x - 1; c++; }
  return c;
}
