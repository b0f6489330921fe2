// Lexicon-based sentiment, toxicity and arousal scoring for short German and English posts.
//
// Pure and fast (called per post in the hot path): one tokenising pass (see language.ts), then
// a linear scoring pass over the tokens with precompiled lexicons (lexicon.ts). Words are
// interned by the tokeniser; what a word means (lexicon entry, stemmed or compound reading) is
// worked out once per word and memoised by word id, so in the steady state a post costs no
// regular expressions and allocates only its result object.
//
// Model, in short:
// - every sentiment word contributes its weight; an intensifier/diminisher right before it
//   scales it; a negator up to 3 tokens before it (same clause) turns it into -0.6 × weight;
//   German "nicht" after a verb ("gefällt mir nicht") negates the word before it;
// - "but"-words: what precedes counts half, what follows 1.5 ×;
// - emoji/emoticons add their own weights; '!' strengthens the overall direction;
// - sarcasm markers ("na super", "oh great", 🙃, /s) and a short positive coda after a
//   complaint ("… Great.") turn positive words negative;
// - sentiment = S / sqrt(S² + 1) (so -1..1); negative/positive at ∓0.15;
// - lexicon toxicity = 1 - Π(1 - t) over insults, profanity, boycott and resignation calls,
//   raised when the post addresses someone ("du", "ihr", "you");
// - toxicity: for German and English, the learnt model of toxicity.ts (hashed words, bigrams,
//   character n-grams, with the lexicon's scores as features), scaled so that 0.5 is its tuned
//   decision threshold; toxic at >= 0.5. Other languages keep the lexicon/emoji toxicity.

import {
  detectFromTokens, tokenise, wordOf, wordTableGeneration,
  T_BREAK, T_CAPS, T_ELONG, T_EXCL, T_HASHPART, T_HASHTAG, T_HASHWHOLE, type TokenBuffer,
} from './language.js';
import { DE, EMOJI, EN, MIXED, type LanguageLexicon, type LexEntry, type Phrase } from './lexicon.js';
import type { TextScores } from '../../schemas/scores.js';
import { denseFeatures, MODELS as LEARNT, N_DENSE, sigmoid, sparseFeatures, type ToxicityModel } from './toxicity.js';

/** Thresholds of the `negative` / `positive` / `toxic` flags. */
export const SENTIMENT_THRESHOLD = 0.15;
export const TOXIC_THRESHOLD = 0.5;

const NEG_FACTOR = -0.6; // "nicht gut" = -0.6 × gut
const NEG_SCOPE = 3; // tokens
const CONTRAST_BEFORE = 0.5;
const CONTRAST_AFTER = 1.5;
const CAPS_BOOST = 1.25;
const ELONG_BOOST = 1.2;
const EXCL_STEP = 0.08;

// Token flags as local constants (cross-module bindings cost more in some module loaders).
const F_BREAK = T_BREAK, F_CAPS = T_CAPS, F_ELONG = T_ELONG, F_EXCL = T_EXCL;
const F_HASHPART = T_HASHPART, F_HASHTAG = T_HASHTAG, F_HASHWHOLE = T_HASHWHOLE;

// ---------------------------------------------------------------------------------------------
// Word information, precompiled per language

const K_NEG = 1, K_CONTRAST = 2, K_INT = 4, K_SECOND = 8, K_SARC_TAG = 16;
const K_POSTNEG = 32; // German negators that can follow the verb: nicht, nie, niemals
const K_WEDER = 64, K_NOCH = 128; // weder … noch
const K_DEMAND = 256; // "raus!"
const K_SLASH_S = 512; // "/s"
const POSTNEG_DE = ['nicht', 'nich', 'net', 'nie', 'niemals'];

interface Info {
  readonly s: number;
  readonly t: number;
  readonly kind: number;
  /** Intensifier multiplier (1 when not an intensifier). */
  readonly mult: number;
  /** Value when negated for words that only matter negated ("funktioniert nicht"), else 0. */
  readonly negOnly: number;
  readonly phrases: readonly Phrase[] | null;
}

/**
 * Every Info is made here, so that all of them share one object shape: the hot loop reads them
 * for every token, and Infos of several shapes (object literals, spread copies) sent its
 * optimised code back to the interpreter when a word of a shape not seen before came along.
 */
function makeInfo(s: number, t: number, kind: number, mult: number, negOnly: number, phrases: readonly Phrase[] | null): Info {
  return { s, t, kind, mult, negOnly, phrases };
}

const EMPTY: Info = makeInfo(0, 0, 0, 1, 0, null);
const NEGATOR: Info = makeInfo(0, 0, K_NEG, 1, 0, null);
const SARC_TAGS = ['sarkasmus', 'ironie', 'sarcasm', 'irony', 'ironieaus', 'notsarcasm'];

const DE_SUFFIXES = [
  'esten', 'ester', 'estes', 'estem', 'enden', 'ender', 'endes', 'endem', 'ungen',
  'este', 'sten', 'ster', 'stes', 'stem', 'ende', 'ste', 'end', 'ung', 'ern',
  'em', 'en', 'er', 'es', 'st', 'e', 'n', 's', 't',
];
const DE_INFLECTION = ['e', 'en', 'em', 'er', 'es', 'n', 's'];
const DE_DEGREE = ['er', 'st', 'est'];
const DE_PARTICIPLE = ['t', 'et', 'en', 'n'];

function derived(s: number, t: number): Info {
  return makeInfo(Math.min(1, Math.max(-1, s)), t, 0, 1, 0, null);
}

function undouble(b: string): string | null {
  const n = b.length;
  return n >= 4 && b.charCodeAt(n - 1) === b.charCodeAt(n - 2) ? b.slice(0, -1) : null;
}

/** Collapses runs of 3+ equal characters to `keep` characters ("suuuper" → "suuper"/"super"). */
function collapse(w: string, keep: number): string {
  let out = '';
  let run = 0;
  let prev = '';
  for (const ch of w) {
    if (ch === prev) run++;
    else { run = 1; prev = ch; }
    if (run <= keep) out += ch;
  }
  return out;
}

class Model {
  readonly direct = new Map<string, Info>();
  readonly words: ReadonlyMap<string, LexEntry>;
  // Info per word id, for plain words and for whole hashtags (which get compound analysis); they
  // grow with the ids (a full-size array per model cost 10 ms to allocate and again to clear).
  private readonly byId: (Info | undefined)[] = [];
  private readonly byIdTag: (Info | undefined)[] = [];
  private generation = -1;
  /**
   * The first three characters (see `prefix3`) of every lexicon word. A German stem candidate is
   * a prefix of the word (or of what follows its "ge-"), so a word whose prefix is missing here
   * has no stemmed reading: most new words are ruled out without slicing a string.
   */
  private readonly prefixes = new Set<number>();

  /** Learnt toxicity models used for this lexicon (both for the mixed one: the higher score counts). */
  readonly learnt: readonly ToxicityModel[];

  constructor(readonly lex: LanguageLexicon, readonly kind: 'de' | 'en' | 'mixed') {
    this.words = lex.words;
    for (const w of lex.words.keys()) if (w.length >= 3) this.prefixes.add(prefix3(w, 0));
    this.learnt = (kind === 'mixed' ? ['de', 'en'] : [kind]).flatMap((l) => LEARNT.get(l) ?? []);
    const get = (w: string) => this.direct.get(w) ?? EMPTY;
    const set = (w: string, patch: Partial<Info>) => {
      const i = { ...get(w), ...patch };
      this.direct.set(w, makeInfo(i.s, i.t, i.kind, i.mult, i.negOnly, i.phrases));
    };
    for (const [w, e] of lex.words) set(w, { s: e.s, t: e.t });
    for (const w of lex.negators) set(w, { kind: get(w).kind | K_NEG });
    for (const w of lex.contrast) set(w, { kind: get(w).kind | K_CONTRAST });
    for (const [w, m] of lex.intensifiers) set(w, { kind: get(w).kind | K_INT, mult: m });
    for (const [w, v] of lex.negOnly) set(w, { negOnly: v });
    for (const w of lex.secondPerson) set(w, { kind: get(w).kind | K_SECOND });
    for (const [w, ps] of lex.phrases) set(w, { phrases: ps });
    for (const w of SARC_TAGS) set(w, { kind: get(w).kind | K_SARC_TAG });
    set('/s', { kind: K_SLASH_S });
    if (kind !== 'en') {
      for (const w of POSTNEG_DE) set(w, { kind: get(w).kind | K_POSTNEG });
      set('weder', { kind: get('weder').kind | K_WEDER });
      set('noch', { kind: get('noch').kind | K_NOCH });
      set('raus', { kind: get('raus').kind | K_DEMAND });
    }
    if (kind !== 'de') {
      for (const [w, inf] of this.direct) if (w.endsWith("n't")) set(w, { kind: inf.kind | K_NEG });
    }
  }

  /** Drops the per-id caches when the word table has been reset. */
  sync(): void {
    const g = wordTableGeneration();
    if (g === this.generation) return;
    this.byId.length = 0;
    this.byIdTag.length = 0;
    this.generation = g;
  }

  /** Everything known about the token with word id `id` (memoised per id). */
  get(id: number, flags: number): Info {
    if (id < 0) return EMPTY;
    const tag = (flags & F_HASHWHOLE) !== 0;
    const arr = tag ? this.byIdTag : this.byId;
    let r = id < arr.length ? arr[id] : undefined;
    if (r === undefined) {
      r = this.info(wordOf(id), tag);
      while (arr.length <= id) arr.push(undefined);
      arr[id] = r;
    }
    return r;
  }

  /** Everything known about a folded word. */
  info(w: string, hashtag: boolean): Info {
    return this.direct.get(w) ?? this.derive(w, hashtag);
  }

  private derive(w: string, hashtag: boolean): Info {
    if (this.kind !== 'de' && w.endsWith("n't")) return NEGATOR;
    const e = this.lookup(w);
    if (e) return e;
    // Elongated words: "suuuper", "worstttt", "sooo".
    if (/(.)\1\1/u.test(w)) {
      for (const keep of [2, 1]) {
        const c = collapse(w, keep);
        const d = this.direct.get(c);
        if (d !== undefined) return d;
        const l = this.lookup(c);
        if (l) return l;
      }
    }
    if (w.includes('*')) {
      const plain = w.replace(/\*+/g, '');
      if (plain.length >= 3) {
        const l = this.direct.get(plain) ?? this.lookup(plain);
        if (l && (l.s !== 0 || l.t !== 0)) return l;
      }
    }
    if (this.kind === 'de' || (hashtag && this.kind === 'mixed')) {
      const c = this.compoundDe(w, hashtag);
      if (c) return c;
    }
    if (hashtag && this.kind !== 'de') {
      const c = this.compoundLists(w, 6, EN.compoundSuffix, EN.compoundPrefix);
      if (c) return c;
    }
    return EMPTY;
  }

  /** Lexicon entry of `w` after removing inflection (no compounds). */
  private lookup(w: string): Info | null {
    const e = this.words.get(w);
    if (e) return derived(e.s, e.t);
    if (w.endsWith("'s")) {
      const b = this.words.get(w.slice(0, -2));
      if (b) return derived(b.s, b.t);
    }
    if (this.kind === 'de') return this.stemDe(w);
    if (this.kind === 'en') return this.stemEn(w);
    return null;
  }

  private hit(c: string | null): Info | null {
    if (c === null || c.length < 3) return null;
    const e = this.words.get(c);
    return e ? derived(e.s, e.t) : null;
  }

  /** Could `stemDe` find a reading of w.slice(at)? False when it surely cannot. */
  private mayStemDe(w: string, at: number): boolean {
    const n = w.length - at;
    return n >= 3 && (this.prefixes.has(prefix3(w, at))
      || (n >= 6 && w.charCodeAt(at) === 103 && w.charCodeAt(at + 1) === 101 && this.prefixes.has(prefix3(w, at + 2))));
  }

  private stemDe(w: string): Info | null {
    if (!this.mayStemDe(w, 0)) return null;
    const n = w.length;
    for (let i = 0; i < DE_SUFFIXES.length; i++) {
      const suf = DE_SUFFIXES[i]!;
      if (n - suf.length >= 3 && w.endsWith(suf)) {
        const h = this.hit(w.slice(0, n - suf.length));
        if (h) return h;
      }
    }
    // Inflected comparatives / superlatives: "schlechteren", "schönsten".
    for (let i = 0; i < DE_INFLECTION.length; i++) {
      const inf = DE_INFLECTION[i]!;
      if (!w.endsWith(inf)) continue;
      const b = w.slice(0, n - inf.length);
      for (let j = 0; j < DE_DEGREE.length; j++) {
        const deg = DE_DEGREE[j]!;
        if (b.length - deg.length >= 3 && b.endsWith(deg)) {
          const h = this.hit(b.slice(0, b.length - deg.length));
          if (h) return h;
        }
      }
    }
    // Participles: "geärgert" → "ärgert" → "ärger".
    if (n >= 6 && w.startsWith('ge')) {
      const b = w.slice(2);
      const h = this.hit(b);
      if (h) return h;
      for (let i = 0; i < DE_PARTICIPLE.length; i++) {
        const suf = DE_PARTICIPLE[i]!;
        if (b.length - suf.length >= 3 && b.endsWith(suf)) {
          const k = this.hit(b.slice(0, b.length - suf.length));
          if (k) return k;
        }
      }
    }
    return null;
  }

  /** The first of the candidates that is a lexicon word. */
  private tryAll(a: string | null, b: string | null = null, c: string | null = null): Info | null {
    return this.hit(a) ?? this.hit(b) ?? this.hit(c);
  }

  private stemEn(w: string): Info | null {
    const n = w.length;
    if (n < 4) return null;
    if (w.endsWith('ies') || w.endsWith('ied')) return this.tryAll(w.slice(0, -3) + 'y', w.slice(0, -1));
    if (w.endsWith('ily')) return this.tryAll(w.slice(0, -3) + 'y');
    if (w.endsWith('iest')) return this.tryAll(w.slice(0, -4) + 'y');
    if (w.endsWith('ier')) return this.tryAll(w.slice(0, -3) + 'y');
    if (w.endsWith('ing')) {
      const b = w.slice(0, -3);
      return this.tryAll(b, b + 'e', undouble(b));
    }
    if (w.endsWith('ed')) {
      const b = w.slice(0, -2);
      return this.tryAll(b, w.slice(0, -1), undouble(b));
    }
    if (w.endsWith('ly')) {
      const b = w.slice(0, -2);
      return this.tryAll(b, w.slice(0, -1) + 'e', b + 'e');
    }
    if (w.endsWith('est')) {
      const b = w.slice(0, -3);
      return this.tryAll(b, b + 'e', undouble(b));
    }
    if (w.endsWith('er')) {
      const b = w.slice(0, -2);
      return this.tryAll(b, b + 'e', undouble(b));
    }
    if (w.endsWith('es')) {
      const r = this.tryAll(w.slice(0, -2), w.slice(0, -1));
      if (r) return r;
    }
    if (w.endsWith('s') && !w.endsWith('ss')) return this.tryAll(w.slice(0, -1));
    return null;
  }

  /** German compounds: intensifying prefixes, known stems, then any strong lexicon word as head. */
  private compoundDe(w: string, hashtag: boolean): Info | null {
    const n = w.length;
    const lex = this.kind === 'mixed' ? DE : this.lex;
    const intens = lex.intensPrefix;
    for (let i = 0; i < intens.length; i++) {
      const p = intens[i]![0], m = intens[i]![1];
      if (n - p.length >= 3 && w.startsWith(p)) {
        const rest = w.slice(p.length);
        const e = this.words.get(rest);
        const r = e ? derived(e.s, e.t) : this.stemDeOnly(rest);
        if (r && r.s !== 0) return derived(r.s * m, r.t);
      }
    }
    if (n < (hashtag ? 6 : 7)) return null;
    const l = this.compoundLists(w, hashtag ? 6 : 7, lex.compoundSuffix, lex.compoundPrefix);
    if (l) return l;
    if (this.kind !== 'de' || n < 8) return null;
    // Generic head: the longest strong lexicon word (>= 6 letters) the compound ends with; shorter
    // heads only through the curated stem lists ("Zeitspanne" must not end in "Panne").
    for (let k = 3; k <= n - 6; k++) {
      if (!this.mayStemDe(w, k)) continue; // no lexicon word, no stem: nothing to find
      const head = w.slice(k);
      const h = this.words.get(head);
      const r = h ? derived(h.s, h.t) : this.stemDe(head);
      if (r && Math.abs(r.s) >= 0.4) return derived(flipFor(w.slice(0, k), r.s) * 0.9, r.t * 0.8);
    }
    return null;
  }

  private stemDeOnly(w: string): Info | null {
    return this.kind === 'mixed' ? null : this.stemDe(w);
  }

  private compoundLists(
    w: string, min: number,
    suffixes: readonly (readonly [string, LexEntry])[], prefixes: readonly (readonly [string, LexEntry])[],
  ): Info | null {
    const n = w.length;
    if (n < min) return null;
    for (let i = 0; i < suffixes.length; i++) {
      const stem = suffixes[i]![0], e = suffixes[i]![1];
      if (n - stem.length >= 3 && w.endsWith(stem)) return derived(flipFor(w.slice(0, n - stem.length), e.s) * 0.9, e.t);
    }
    for (let i = 0; i < prefixes.length; i++) {
      const stem = prefixes[i]![0], e = prefixes[i]![1];
      if (n - stem.length >= 3 && w.startsWith(stem)) return derived(e.s * 0.9, e.t);
    }
    return null;
  }
}

/** Three characters of `w` from `at` as one number (for `Model.prefixes`). */
function prefix3(w: string, at: number): number {
  return w.charCodeAt(at) * 4294967296 + w.charCodeAt(at + 1) * 65536 + w.charCodeAt(at + 2);
}

/** "Unglück", "Misserfolg": a positive head after un-/miss- is negative. */
function flipFor(modifier: string, s: number): number {
  return s > 0 && (modifier.endsWith('un') || modifier.endsWith('miss')) ? -s : s;
}

const MODELS = {
  de: new Model(DE, 'de'),
  en: new Model(EN, 'en'),
  mixed: new Model(MIXED, 'mixed'),
};

// ---------------------------------------------------------------------------------------------
// Scoring

let contrib = new Float64Array(256);
let negated = new Uint8Array(256);

function ensureCapacity(n: number): void {
  if (n <= contrib.length) return;
  let cap = contrib.length;
  while (cap < n) cap *= 2;
  contrib = new Float64Array(cap);
  negated = new Uint8Array(cap);
}

function isScored(inf: Info): boolean {
  return inf.s !== 0 || inf.negOnly !== 0;
}

/**
 * Does token j continue the clause of token i? Not after a boundary, and hashtag parts only
 * continue other parts of the same tag.
 */
function sameClause(tk: TokenBuffer, i: number, j: number): boolean {
  const f = tk.flags[j]!;
  return (f & (F_BREAK | F_HASHWHOLE)) === 0 && (f & F_HASHTAG) === (tk.flags[i]! & F_HASHTAG);
}

/** Is there a sentiment word among the next `k` tokens of the same clause? */
function scoredAhead(m: Model, tk: TokenBuffer, i: number, k: number, withNegOnly: boolean): boolean {
  for (let j = i + 1; j < tk.n && j <= i + k; j++) {
    if (!sameClause(tk, i, j)) return false;
    const inf = m.get(tk.id[j]!, tk.flags[j]!);
    if (inf.s !== 0 || (withNegOnly && inf.negOnly !== 0)) return true;
    if (inf.phrases && matchPhrase(tk, j, inf.phrases)) return true;
  }
  return false;
}

function matchPhrase(tk: TokenBuffer, i: number, list: readonly Phrase[]): Phrase | null {
  outer: for (let q = 0; q < list.length; q++) {
    const p = list[q]!;
    const len = p.words.length;
    if (i + len > tk.n) continue;
    for (let k = 1; k < len; k++) {
      if (!sameClause(tk, i, i + k) || wordOf(tk.id[i + k]!) !== p.words[k]) continue outer;
    }
    return p;
  }
  return null;
}

// Emoji pass results (module-level scratch, see `emojiPass`).
let emS = 0;
let emAngry = 0;
let emSarcasm = false;
let emKeep = 1;
let emMaxT = 0;

function emojiPass(tk: TokenBuffer): void {
  emS = 0;
  emAngry = 0;
  emSarcasm = false;
  emKeep = 1;
  emMaxT = 0;
  for (let k = 0; k < tk.nEmoji; k++) {
    const e = EMOJI.get(tk.emoji[k]!);
    if (e === undefined) continue;
    emS += e.s;
    if (e.angry) emAngry++;
    if (e.sarcasm) emSarcasm = true;
    if (e.t > 0) {
      emKeep *= 1 - e.t;
      if (e.t > emMaxT) emMaxT = e.t;
    }
  }
}

/** Fallback for languages without a lexicon: emoji, emoticons, '!' and capitals only. */
function neutralScores(tk: TokenBuffer): TextScores {
  emojiPass(tk);
  return finish(tk, emS, 0, emKeep, isAllCaps(tk), emAngry, 0, null);
}

function isAllCaps(tk: TokenBuffer): boolean {
  return tk.letterWords >= 2 && tk.capsWords >= tk.letterWords * 0.6;
}

/**
 * Sentiment, toxicity and arousal of one post.
 *
 * `lang`: 'de' or 'en' select the lexicon; `null` detects the language first; 'und' (or an
 * empty string) uses the English and German lexicons together without stemming; any other
 * language gets the neutral fallback, where only emoji, emoticons, '!' and capitals count.
 */
export function analyse(text: string, lang: string | null): TextScores {
  return analyseText(text, lang).scores;
}

/** `analyse`, also giving the language it used (the detected one when `lang` is null), from one tokenising pass. */
export function analyseText(text: string, lang: string | null): { lang: string; scores: TextScores } {
  const tk = tokenise(text);
  const used = lang ?? detectFromTokens(tk);
  const m = modelFor(used);
  return { lang: used, scores: m === null ? neutralScores(tk) : score(m, tk, m.learnt) };
}

/** The learnt toxicity model's inputs for one post, as `analyseText` builds them (for training). */
export function toxicityFeatures(text: string, lang: 'de' | 'en', bits: number): { sparse: number[]; dense: Float64Array } {
  capture = { bits, sparse: [], dense: new Float64Array(N_DENSE) };
  score(modelFor(lang)!, tokenise(text), []);
  const c = capture;
  capture = null;
  return c;
}

let capture: { bits: number; sparse: number[]; dense: Float64Array } | null = null;

/** 'de', 'DE', 'de-AT' → the German model; 'en…' → English; 'und'/'' → mixed; else none. */
function modelFor(lang: string): Model | null {
  if (lang === 'de') return MODELS.de;
  if (lang === 'en') return MODELS.en;
  let code = lang.toLowerCase();
  const dash = code.search(/[-_]/);
  if (dash > 0) code = code.slice(0, dash);
  return code === 'de' ? MODELS.de : code === 'en' ? MODELS.en : code === 'und' || code === '' ? MODELS.mixed : null;
}

function score(m: Model, tk: TokenBuffer, learnt: readonly ToxicityModel[] | null): TextScores {
  m.sync();
  const n = tk.n;
  ensureCapacity(n);
  contrib.fill(0, 0, n);
  negated.fill(0, 0, n);

  let negLeft = 0;
  let pendingMult = 1;
  let pendingLeft = 0;
  let clauseStart = 0;
  let lastContrast = -1;
  let skipParts = false;
  let wederSeen = false;
  let sarcasm = false;
  let sarcasmEmoji = false;
  let keep = 1; // Π(1 - t)
  let maxT = 0;
  let secondPerson = false;
  let intensUsed = 0;
  let strongWords = 0;
  let lastBreak = 0;
  const allCaps = isAllCaps(tk);

  for (let i = 0; i < n; i++) {
    const f = tk.flags[i]!;
    if ((f & F_BREAK) !== 0) {
      negLeft = 0;
      pendingMult = 1;
      pendingLeft = 0;
      clauseStart = i;
      lastBreak = i;
    }
    if ((f & F_HASHPART) !== 0 && skipParts) continue;
    const inf = m.get(tk.id[i]!, f);
    const kind = inf.kind;

    if ((f & F_HASHWHOLE) !== 0) {
      skipParts = false;
      if ((kind & K_SARC_TAG) !== 0) { sarcasm = true; skipParts = true; continue; }
      if (inf.s !== 0 || inf.t !== 0) {
        contrib[i] = inf.s;
        if (inf.t > 0) { keep *= 1 - inf.t; if (inf.t > maxT) maxT = inf.t; }
        if (Math.abs(inf.s) >= 0.75) strongWords++;
        skipParts = true;
        continue;
      }
      // A single-word tag without a score may still be an ordinary word (e.g. "#nicht").
      if (i + 1 < n && (tk.flags[i + 1]! & F_HASHPART) !== 0) continue;
    }

    if ((kind & K_SLASH_S) !== 0) { sarcasm = true; continue; }

    if (inf.phrases !== null) {
      const p = matchPhrase(tk, i, inf.phrases);
      if (p !== null) {
        const len = p.words.length;
        if (p.mult !== 0) {
          pendingMult = p.mult;
          pendingLeft = 2;
        } else {
          let v = p.s;
          if (negLeft > 0 && v !== 0) { v *= NEG_FACTOR; negated[i] = 1; }
          contrib[i] = v * pendingMult;
          pendingMult = 1;
          pendingLeft = 0;
          if (p.t > 0) { keep *= 1 - p.t; if (p.t > maxT) maxT = p.t; }
          if (p.sarcasm) sarcasm = true;
          negLeft = 0;
        }
        i += len - 1;
        continue;
      }
    }

    if ((kind & K_SECOND) !== 0) secondPerson = true;

    if ((kind & K_NEG) !== 0 || ((kind & K_NOCH) !== 0 && wederSeen)) {
      if ((kind & K_WEDER) !== 0) wederSeen = true;
      if ((kind & K_POSTNEG) !== 0 && !scoredAhead(m, tk, i, NEG_SCOPE, true)) {
        // Verb-final negation: "Das gefällt mir nicht", "Der Support antwortet nicht".
        for (let j = i - 1; j >= clauseStart && j >= i - NEG_SCOPE; j--) {
          if (negated[j]) break;
          const pj = m.get(tk.id[j]!, tk.flags[j]!);
          if (!isScored(pj)) continue;
          contrib[j] = pj.negOnly !== 0 ? pj.negOnly : contrib[j]! * NEG_FACTOR;
          negated[j] = 1;
          break;
        }
        continue;
      }
      negLeft = NEG_SCOPE;
      continue;
    }
    if ((kind & K_CONTRAST) !== 0) {
      lastContrast = i;
      negLeft = 0;
      continue;
    }
    if ((kind & K_INT) !== 0 && scoredAhead(m, tk, i, 2, false)) {
      pendingMult = inf.mult;
      pendingLeft = 2;
      intensUsed++;
      if (inf.t > 0) { keep *= 1 - inf.t; if (inf.t > maxT) maxT = inf.t; }
      if (negLeft > 0) negLeft--;
      continue;
    }

    if (inf.s !== 0 || inf.t !== 0 || (inf.negOnly !== 0 && negLeft > 0)) {
      let v = inf.s;
      let t = inf.t;
      if (negLeft > 0) {
        if (inf.negOnly !== 0) v = inf.negOnly;
        else v *= NEG_FACTOR;
        t *= 0.3;
        negated[i] = 1;
      }
      v *= pendingMult;
      if ((f & F_CAPS) !== 0 && !allCaps) v *= CAPS_BOOST;
      if ((f & F_ELONG) !== 0) v *= ELONG_BOOST;
      contrib[i] = v;
      if (Math.abs(v) >= 0.75) strongWords++;
      // "Trainer raus!", "Rücktritt!": a demand, when shouted.
      if ((f & F_EXCL) !== 0 && t >= 0.3) t += 0.1;
      if (t > 0) { keep *= 1 - t; if (t > maxT) maxT = t; }
      pendingMult = 1;
      pendingLeft = 0;
    } else if ((kind & K_DEMAND) !== 0 && (f & F_EXCL) !== 0) {
      keep *= 0.55;
      if (0.45 > maxT) maxT = 0.45;
    }
    if (negLeft > 0) negLeft--;
    if (pendingLeft > 0 && --pendingLeft === 0) pendingMult = 1;
  }

  // Emoji and emoticons.
  emojiPass(tk);
  keep *= emKeep;
  if (emMaxT > maxT) maxT = emMaxT;
  sarcasmEmoji = emSarcasm;

  // Sarcasm: explicit markers flip positive words; an eye-roll emoji only when the post
  // already mixes praise with complaint.
  let pos = 0, neg = 0;
  for (let i = 0; i < n; i++) {
    const v = contrib[i]!;
    if (v > 0) pos += v;
    else if (v < 0) neg += v;
  }
  if (sarcasm || (sarcasmEmoji && pos > 0 && neg < 0)) {
    for (let i = 0; i < n; i++) if (contrib[i]! > 0) contrib[i] = contrib[i]! * -0.5;
  } else if (pos > 0 && neg < 0 && lastBreak > 0 && n - lastBreak <= 4 && lastContrast < lastBreak) {
    // A short positive coda after a complaint ("… Great.", "Toll gemacht.", "Danke!").
    let before = 0, coda = 0, codaNeg = false;
    for (let i = 0; i < lastBreak; i++) before += contrib[i]!;
    for (let i = lastBreak; i < n; i++) {
      coda += contrib[i]!;
      if (contrib[i]! < 0 || negated[i]) codaNeg = true;
    }
    if (before <= -0.3 && coda > 0 && !codaNeg) {
      for (let i = lastBreak; i < n; i++) contrib[i] = contrib[i]! * -0.6;
    }
  }

  let S = 0;
  for (let i = 0; i < n; i++) {
    let v = contrib[i]!;
    if (v === 0) continue;
    if (lastContrast >= 0) v *= i < lastContrast ? CONTRAST_BEFORE : CONTRAST_AFTER;
    S += v;
  }
  S += emS;
  if (secondPerson && maxT >= 0.3) keep *= 0.75;
  if (tk.exclam > 0 && keep < 1) keep *= 0.9;
  return finish(tk, S, intensUsed, keep, allCaps, emAngry, strongWords, learnt);
}

const dense = new Float64Array(N_DENSE);

function finish(
  tk: TokenBuffer, lexS: number, intensUsed: number, keep: number, allCaps: boolean,
  angry: number, strongWords: number, learnt: readonly ToxicityModel[] | null,
): TextScores {
  let S = lexS;
  if (S !== 0 && tk.exclam > 0) S += (S > 0 ? EXCL_STEP : -EXCL_STEP) * Math.min(tk.exclam, 4);
  const sentiment = S / Math.sqrt(S * S + 1);
  let toxicity = 1 - keep;

  let a = Math.min(tk.exclam, 6) * 0.12 + (tk.maxExclamRun >= 3 ? 0.15 : 0) + tk.interrobang * 0.1;
  a += Math.min(tk.capsWords, 3) * 0.15 + (allCaps ? 0.3 : 0);
  a += intensUsed * 0.1 + angry * 0.25 + strongWords * 0.1 + tk.elongated * 0.1;
  if (capture !== null) {
    denseFeatures(tk, toxicity, sentiment, 1 - Math.exp(-(a + toxicity * 0.4)), allCaps, capture.dense);
    capture.sparse = sparseFeatures(tk, capture.bits);
  } else if (learnt !== null && learnt.length > 0) {
    denseFeatures(tk, toxicity, sentiment, 1 - Math.exp(-(a + toxicity * 0.4)), allCaps, dense);
    let z = learnt[0]!.logit(tk, dense);
    for (let k = 1; k < learnt.length; k++) z = Math.max(z, learnt[k]!.logit(tk, dense));
    toxicity = sigmoid(z);
  }
  const arousal = 1 - Math.exp(-(a + toxicity * 0.4));

  return {
    sentiment,
    negative: sentiment <= -SENTIMENT_THRESHOLD,
    positive: sentiment >= SENTIMENT_THRESHOLD,
    toxic: toxicity >= TOXIC_THRESHOLD,
    toxicity,
    arousal,
  };
}
