// A post's text scores (processors/text computes them; stage A's `posts-enriched` record and the
// posts table carry them; `trendstream analyze` writes them) and their text form.

export interface TextScores {
  /** -1 (very negative) .. 1 (very positive). */
  sentiment: number;
  /** sentiment <= -0.15 */
  negative: boolean;
  /** sentiment >= 0.15 */
  positive: boolean;
  /** toxicity >= 0.5 */
  toxic: boolean;
  /** 0..1: offensive language (insults, profanity, slurs, calls to boycott or resign); 0.5 is the decision threshold. */
  toxicity: number;
  /** 0..1: capitals, '!!!', intensifiers, angry emoji, strong words. */
  arousal: number;
}

// Powers of ten that are exact doubles, for `writeScore`.
const POW10 = Array.from({ length: 18 }, (_, p) => 10 ** p);
const digits = new Uint8Array(24);

/**
 * Writes a score as the pipeline stores it (Avro `float`, ClickHouse `Float32`) into `out` at
 * `pos` as ASCII: the shortest decimal that reads back to that float32 (0.9460443 for
 * 0.9460443398114056, what a Float32 column returns). Returns the position after it; `out`
 * needs 32 bytes free. Written digit by digit, with no string: `analyze` writes three a line.
 */
export function writeScore(x: number, out: Uint8Array, pos: number): number {
  const f = Math.fround(x);
  const a = Math.abs(f);
  if (f === 0 || !(a >= 1e-9 && a < 1e9)) { // 0, and outside any score's range: NaN and ±Infinity are not JSON
    return writeAscii(f === 0 ? '0' : Number.isFinite(f) ? String(f) : 'null', out, pos);
  }
  let p = 0;
  // Fewest decimals first; stop where the scaled value would no longer be an exact integer.
  while (Math.fround(Math.round(a * POW10[p]!) / POW10[p]!) !== a && p + 1 < POW10.length && a * POW10[p + 1]! < 2 ** 53) p++;
  let n = Math.round(a * POW10[p]!);
  let k = 0;
  do {
    const q = Math.floor(n / 10);
    digits[k++] = 48 + n - q * 10;
    n = q;
  } while (n > 0 || k <= p); // at least one digit before the point
  if (f < 0) out[pos++] = 45; // '-'
  while (k > 0) {
    if (k === p) out[pos++] = 46; // '.'
    out[pos++] = digits[--k]!;
  }
  return pos;
}

function writeAscii(s: string, out: Uint8Array, pos: number): number {
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}
