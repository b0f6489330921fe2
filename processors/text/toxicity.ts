// Learnt offensive-language scores for German and English posts: one logistic regression per
// language over hashed words, character 3–5-grams of each word, emoji and
// the lexicon's own scores (sentiment.ts), trained by scripts/train-text.ts on GermEval 2018 and
// Davidson et al. 2017 (data/, see README) and shipped as toxicity-model.bin (read once, here).
//
// Cheap in the hot path: a word's unigram and character n-gram weights are summed once per word
// id and memoised (like the lexicon readings in sentiment.ts), so a post costs one array read
// per token and a handful of dense features. (Word bigrams were tried: +0.004 macro-F1 in
// cross-validation, within its noise, for a random weight-table read per token that cost about
// 10 % of the whole analysis.) The memo
// is keyed by word id and dropped with the tokeniser's word table, so scores never depend on
// which posts came before (the live pipeline equals `detect`).

import { readFileSync } from 'node:fs';
import { MAX_WORD_IDS, wordOf, wordTableGeneration, type TokenBuffer } from './language.js';

/** Dense features after the hashed ones, in this order (see `denseFeatures`). */
export const DENSE = ['lex_toxicity', 'lex_sentiment', 'lex_arousal', 'exclam', 'all_caps', 'emoji'] as const;
export const N_DENSE = DENSE.length;

/** Number of hash bits; the model file says which it was trained with. */
export const DEFAULT_BITS = 18;

// Seeds of the feature families (distinct, so a word, an n-gram and an emoji hash independently).
const SEED_WORD = 0x2f1a3b9d | 0, SEED_GRAM = 0x61c88647 | 0, SEED_EMOJI = 0x3c6ef372 | 0;

function fnv(s: string, seed: number, from: number, to: number): number {
  let h = seed;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/** MurmurHash3's finaliser: spreads every input bit over the low bits used as an index. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Hashed indices of one folded word: the word itself and its character 3–5-grams of `<word>`
 * (`<` and `>` mark its ends). One FNV pass from each start position yields the 3-, 4- and
 * 5-gram there, each finalised with its length, so a new word costs O(length).
 */
export function wordFeatures(w: string, mask: number, out: number[]): void {
  out.push(fnv(w, SEED_WORD, 0, w.length) & mask);
  const len = w.length + 2;
  for (let i = 0; i + 3 <= len; i++) {
    let h = SEED_GRAM;
    for (let k = i; k < i + 5 && k < len; k++) {
      h = Math.imul(h ^ (k === 0 ? 60 : k === len - 1 ? 62 : w.charCodeAt(k - 1)), 0x01000193);
      if (k - i >= 2) out.push(fmix(h ^ (k - i + 1)) & mask);
    }
  }
}

function emojiIndex(cp: number, mask: number): number {
  return fmix(Math.imul(cp, 0x9e3779b1) ^ SEED_EMOJI) & mask;
}

/**
 * The sparse features of the tokens in the buffer, as hashed indices (a repeated index counts
 * twice). The model scales their sum by 1/sqrt(count). Used by training; `score` gives the same
 * sum through memoised per-word sums.
 */
export function sparseFeatures(tk: TokenBuffer, bits: number): number[] {
  const mask = (1 << bits) - 1;
  const out: number[] = [];
  for (let i = 0; i < tk.n; i++) {
    const id = tk.id[i]!;
    if (id >= 0) wordFeatures(wordOf(id), mask, out);
  }
  for (let k = 0; k < tk.nEmoji; k++) out.push(emojiIndex(tk.emoji[k]!, mask));
  return out;
}

/** Dense features from the lexicon's scores and the token buffer's cues. */
export function denseFeatures(tk: TokenBuffer, lexToxicity: number, lexSentiment: number, lexArousal: number, allCaps: boolean, out: Float64Array): Float64Array {
  out[0] = lexToxicity;
  out[1] = lexSentiment;
  out[2] = lexArousal;
  out[3] = Math.min(tk.exclam, 4) / 4;
  out[4] = allCaps ? 1 : 0;
  out[5] = Math.min(tk.nEmoji, 4) / 4;
  return out;
}

/** One language's logistic regression. `bias` already includes the tuned decision threshold. */
export class ToxicityModel {
  private readonly mask: number;
  // Per word id, 8 bytes side by side: the sum of the word's unigram and n-gram weights (float32,
  // NaN until computed) and how many features that is.
  private readonly memoBuf = new ArrayBuffer(8 * MAX_WORD_IDS);
  private readonly memo = new Float32Array(this.memoBuf).fill(NaN);
  private readonly memoInt = new Int32Array(this.memoBuf);
  private generation = wordTableGeneration();
  private readonly scratch: number[] = [];

  constructor(
    readonly bits: number,
    /**
     * 2^bits hashed weights, then N_DENSE dense weights, as stored (Int16); a weight is
     * float32(q × scale). Kept quantised rather than expanded at start-up: half the memory for
     * the random reads of new words, and no 2^19-element conversion loop before the first post.
     */
    private readonly weights: Int16Array,
    private readonly scale: number,
    private readonly bias: number,
  ) {
    this.mask = (1 << bits) - 1;
    if (weights.length !== (1 << bits) + N_DENSE) throw new Error(`toxicity model: ${weights.length} weights for ${bits} bits`);
  }

  /** Weight j, as the float32 value it was trained to be read as. */
  private weight(j: number): number {
    return Math.fround(this.weights[j]! * this.scale);
  }

  private fill(id: number): void {
    const f = this.scratch;
    f.length = 0;
    wordFeatures(wordOf(id), this.mask, f);
    let s = 0;
    for (let k = 0; k < f.length; k++) s += this.weight(f[k]!);
    const o = 2 * id;
    this.memo[o] = s;
    this.memoInt[o + 1] = f.length;
  }

  /** Logit from features as `sparseFeatures` / `denseFeatures` give them (what `logit` must equal). */
  logitOfFeatures(sparse: readonly number[], dense: Float64Array): number {
    let s = 0;
    for (const j of sparse) s += this.weight(j);
    let z = this.bias + (sparse.length > 0 ? s / Math.sqrt(sparse.length) : 0);
    const d0 = 1 << this.bits;
    for (let k = 0; k < N_DENSE; k++) z += this.weight(d0 + k) * dense[k]!;
    return z;
  }

  /** Logit of the tokens in the buffer; 0 is the decision threshold (tuned for macro-F1). */
  logit(tk: TokenBuffer, dense: Float64Array): number {
    const g = wordTableGeneration();
    if (g !== this.generation) {
      this.memo.fill(NaN);
      this.generation = g;
    }
    const mask = this.mask, memo = this.memo, memoInt = this.memoInt, ids = tk.id;
    let s = 0, count = 0;
    for (let i = 0, n = tk.n; i < n; i++) {
      const id = ids[i]!;
      if (id < 0) continue;
      const o = 2 * id;
      if (Number.isNaN(memo[o]!)) this.fill(id); // NaN marks a word not scored yet
      s += memo[o]!;
      count += memoInt[o + 1]!;
    }
    for (let k = 0; k < tk.nEmoji; k++) s += this.weight(emojiIndex(tk.emoji[k]!, mask));
    count += tk.nEmoji;
    let z = this.bias + (count > 0 ? s / Math.sqrt(count) : 0);
    const d0 = mask + 1;
    for (let k = 0; k < N_DENSE; k++) z += this.weight(d0 + k) * dense[k]!;
    return z;
  }
}

/** Model file: "TSTX", uint32 header length, JSON header, then Int16 weights per language. */
export interface ModelHeader {
  format: 3;
  bits: number;
  dense: readonly string[];
  languages: Record<string, { offset: number; scale: number; bias: number; threshold: number; cv?: Record<string, number> }>;
  trained: Record<string, unknown>;
}

export function encodeModel(header: ModelHeader, weights: Record<string, Int16Array>): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 + json.length) % 2;
  const parts: Buffer[] = [Buffer.from('TSTX'), Buffer.alloc(4), json, Buffer.alloc(pad)];
  parts[1]!.writeUInt32LE(json.length + pad);
  for (const lang of Object.keys(header.languages)) parts.push(Buffer.from(weights[lang]!.buffer, weights[lang]!.byteOffset, weights[lang]!.byteLength));
  return Buffer.concat(parts);
}

export function decodeModel(buf: Buffer): Map<string, ToxicityModel> {
  if (buf.toString('latin1', 0, 4) !== 'TSTX') throw new Error('toxicity model: not a TSTX file');
  const hlen = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString('utf8', 8, 8 + hlen).trim().replace(/\0+$/, '')) as ModelHeader;
  if (header.format !== 3 || header.dense.join() !== DENSE.join()) throw new Error('toxicity model: format or features differ from this code');
  const n = (1 << header.bits) + N_DENSE;
  const out = new Map<string, ToxicityModel>();
  for (const [lang, l] of Object.entries(header.languages)) {
    const start = 8 + hlen + l.offset * 2;
    const q = new Int16Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + n * 2));
    out.set(lang, new ToxicityModel(header.bits, q, l.scale, l.bias - Math.log(l.threshold / (1 - l.threshold))));
  }
  return out;
}

function load(): Map<string, ToxicityModel> {
  // The training script builds the file, so it must run without one (or with a stale one).
  if (process.env.TRENDSTREAM_TRAINING_TEXT === '1') return new Map();
  const url = new URL('./toxicity-model.bin', import.meta.url);
  try {
    return decodeModel(readFileSync(url));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map(); // before the first training run
    throw e;
  }
}

/** The shipped models by language ('de', 'en'), loaded once. */
export const MODELS: ReadonlyMap<string, ToxicityModel> = load();

/** 0..1, with 0.5 at the tuned decision threshold. */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
