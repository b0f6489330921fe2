// Trains the learnt toxicity models (processors/text/toxicity.ts) from the labelled corpora in
// data/ and writes processors/text/toxicity-model.bin: per language, a logistic regression
// (AdaGrad, L2, fixed seed) over the features `analyseText` builds, cross-validated by stratified
// k-fold with the decision threshold tuned for macro-F1 on the out-of-fold predictions.
//
//   npx tsx scripts/train-text.ts [--folds 5] [--quick]
//
// Deterministic: the same data and code give the same file, byte for byte.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDavidson, loadFixture, loadGermEval, macroF1, ROOT, type Labelled } from './text-data.js';

// Without the shipped model (this script writes it): imported after saying so.
process.env.TRENDSTREAM_TRAINING_TEXT = '1';
const { toxicityFeatures } = await import('../processors/text/sentiment.js');
const { DEFAULT_BITS, DENSE, encodeModel, N_DENSE } = await import('../processors/text/toxicity.js');
type ModelHeader = import('../processors/text/toxicity.js').ModelHeader;

const argv = process.argv.slice(2);
const BITS = argv.includes('--bits') ? Number(argv[argv.indexOf('--bits') + 1]) : DEFAULT_BITS;
const SEED = 20181;

interface Doc { idx: Int32Array; scale: number; dense: Float64Array; y: number }
interface Params { epochs: number; lr: number; l2: number; /** NB log-count-ratio scaling (Wang & Manning 2012), 0 = off */ nb: number }

/** mulberry32: a small seeded PRNG, so folds and shuffles are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function featurise(rows: Labelled[]): Doc[] {
  return rows.map((r) => {
    const f = toxicityFeatures(r.text, r.lang, BITS);
    return { idx: Int32Array.from(f.sparse), scale: f.sparse.length ? 1 / Math.sqrt(f.sparse.length) : 0, dense: f.dense, y: r.offensive ? 1 : 0 };
  });
}

interface Fit { w: Float64Array; bias: number }

/**
 * Naive-Bayes log-count ratios per hashed feature (Wang & Manning 2012, "Baselines and Bigrams"):
 * each feature is scaled by how much more often it occurs in offensive posts. The trained weight
 * times the ratio is what ships, so the model file and the run-time code do not change.
 */
function ratios(docs: Doc[], alpha: number): Float64Array {
  const n = 1 << BITS;
  const pos = new Float64Array(n).fill(alpha), neg = new Float64Array(n).fill(alpha);
  for (const d of docs) {
    const c = d.y === 1 ? pos : neg;
    for (const j of d.idx) c[j]! += 1;
  }
  let sp = 0, sn = 0;
  for (let j = 0; j < n; j++) { sp += pos[j]!; sn += neg[j]!; }
  const r = new Float64Array(n);
  for (let j = 0; j < n; j++) r[j] = Math.log(pos[j]! / sp) - Math.log(neg[j]! / sn);
  return r;
}

function train(docs: Doc[], p: Params, seed: number): Fit {
  const fit = trainScaled(docs, p, seed, p.nb > 0 ? ratios(docs, p.nb) : null);
  return fit;
}

function trainScaled(docs: Doc[], p: Params, seed: number, rs: Float64Array | null): Fit {
  const n = (1 << BITS) + N_DENSE;
  const w = new Float64Array(n), G = new Float64Array(n).fill(1e-8);
  let bias = 0, Gb = 1e-8;
  const d0 = 1 << BITS;
  const r = rng(seed);
  const order = docs.map((_, i) => i);
  for (let e = 0; e < p.epochs; e++) {
    shuffle(order, r);
    for (const i of order) {
      const d = docs[i]!;
      const g = sigmoidOf(logitOfScaled(w, bias, d, rs)) - d.y;
      for (let k = 0; k < d.idx.length; k++) {
        const j = d.idx[k]!;
        const gj = g * d.scale * (rs === null ? 1 : rs[j]!) + p.l2 * w[j]!;
        G[j]! += gj * gj;
        w[j]! -= (p.lr * gj) / Math.sqrt(G[j]!);
      }
      for (let k = 0; k < N_DENSE; k++) {
        const j = d0 + k;
        const gj = g * d.dense[k]! + p.l2 * w[j]!;
        G[j]! += gj * gj;
        w[j]! -= (p.lr * gj) / Math.sqrt(G[j]!);
      }
      Gb += g * g;
      bias -= (p.lr * g) / Math.sqrt(Gb);
    }
  }
  if (rs !== null) for (let j = 0; j < rs.length; j++) w[j]! *= rs[j]!;
  return { w, bias };
}

function logitOfScaled(w: Float64Array, bias: number, d: Doc, rs: Float64Array | null): number {
  if (rs === null) return logitOf(w, bias, d);
  let s = 0;
  for (let k = 0; k < d.idx.length; k++) s += w[d.idx[k]!]! * rs[d.idx[k]!]!;
  let z = bias + s * d.scale;
  const d0 = 1 << BITS;
  for (let k = 0; k < N_DENSE; k++) z += w[d0 + k]! * d.dense[k]!;
  return z;
}

function logitOf(w: Float64Array, bias: number, d: Doc): number {
  let s = 0;
  for (let k = 0; k < d.idx.length; k++) s += w[d.idx[k]!]!;
  let z = bias + s * d.scale;
  const d0 = 1 << BITS;
  for (let k = 0; k < N_DENSE; k++) z += w[d0 + k]! * d.dense[k]!;
  return z;
}

const sigmoidOf = (z: number) => 1 / (1 + Math.exp(-z));

/** Stratified fold number per document. */
function folds(docs: Doc[], k: number, seed: number): Int32Array {
  const r = rng(seed);
  const f = new Int32Array(docs.length);
  for (const y of [0, 1]) {
    const idx = shuffle(docs.map((d, i) => (d.y === y ? i : -1)).filter((i) => i >= 0), r);
    idx.forEach((i, n) => { f[i] = n % k; });
  }
  return f;
}

/** The probability threshold with the best macro-F1, and that F1. */
function bestThreshold(p: Float64Array, gold: boolean[]): { threshold: number; f1: number } {
  let best = { threshold: 0.5, f1: -1 };
  for (let t = 0.05; t <= 0.951; t += 0.01) {
    const f1 = macroF1(Array.from(p, (x) => x >= t), gold);
    if (f1 > best.f1 + 1e-12) best = { threshold: Math.round(t * 100) / 100, f1 };
  }
  return best;
}

/** Out-of-fold probabilities of `docs` (the first `nEval` of them are scored; the rest always train). */
function crossValidate(docs: Doc[], nEval: number, k: number, p: Params): Float64Array {
  const f = folds(docs.slice(0, nEval), k, SEED);
  const oof = new Float64Array(nEval);
  for (let fold = 0; fold < k; fold++) {
    const tr = docs.filter((_, i) => i >= nEval || f[i] !== fold);
    const fit = train(tr, p, SEED + fold);
    for (let i = 0; i < nEval; i++) if (f[i] === fold) oof[i] = sigmoidOf(logitOf(fit.w, fit.bias, docs[i]!));
  }
  return oof;
}

function quantise(w: Float64Array): { q: Int16Array; scale: number } {
  let max = 0;
  for (const x of w) max = Math.max(max, Math.abs(x));
  const scale = max / 32767 || 1;
  return { q: Int16Array.from(w, (x) => Math.round(x / scale)), scale };
}

const args = process.argv.slice(2);
const K = Number(args[args.indexOf('--folds') + 1]) || 5;
const quick = args.includes('--quick');
// A small grid (each row costs one k-fold run); earlier runs found epochs 6–20, learning rates
// 0.05–0.2 and L2 1e-6–1e-5 within ±0.005 macro-F1 of each other.
const grid: Params[] = quick ? [{ epochs: 10, lr: 0.1, l2: 1e-6, nb: 0.25 }] : [
  { epochs: 10, lr: 0.1, l2: 1e-6, nb: 0 }, { epochs: 10, lr: 0.1, l2: 1e-6, nb: 0.25 },
];
if (args.includes('--grid')) grid.splice(0, grid.length, ...(JSON.parse(args[args.indexOf('--grid') + 1]!) as Params[]));

const corpora: Record<'de' | 'en', { name: string; rows: Labelled[] }> = {
  de: { name: 'GermEval 2018 training split (OFFENSE vs OTHER)', rows: loadGermEval() },
  en: { name: 'Davidson et al. 2017, half (hate or offensive vs neither)', rows: loadDavidson() },
};

const header: ModelHeader = { format: 3, bits: BITS, dense: DENSE, languages: {}, trained: { seed: SEED, folds: K } };
const weights: Record<string, Int16Array> = {};
let offset = 0;
const only = args.includes('--lang') ? args[args.indexOf('--lang') + 1] : null;
for (const lang of ['de', 'en'] as const) {
  if (only !== null && lang !== only) continue;
  const { name, rows } = corpora[lang];
  // The hand-labelled fixtures join every training fold; only the corpus is scored.
  const fixtures: Labelled[] = loadFixture(lang).map((r) => ({ text: r.text, lang, offensive: r.toxic }));
  const t0 = Date.now();
  const docs = featurise([...rows, ...fixtures]);
  const gold = rows.map((r) => r.offensive);
  let best: { p: Params; threshold: number; f1: number; f1At05: number } | null = null;
  for (const p of grid) {
    const oof = crossValidate(docs, rows.length, K, p);
    const t = bestThreshold(oof, gold);
    const f1At05 = macroF1(Array.from(oof, (x) => x >= 0.5), gold);
    console.log(`${lang} ${JSON.stringify(p)}: CV macro-F1 ${t.f1.toFixed(4)} at threshold ${t.threshold} (${f1At05.toFixed(4)} at 0.5)`);
    if (!best || t.f1 > best.f1) best = { p, threshold: t.threshold, f1: t.f1, f1At05 };
  }
  const fit = train(docs, best!.p, SEED);
  const w = new Float64Array(fit.w);
  const { q, scale } = quantise(w);
  weights[lang] = q;
  header.languages[lang] = { offset, scale, bias: fit.bias, threshold: best!.threshold,
    cv: { macro_f1: Number(best!.f1.toFixed(4)), macro_f1_at_0_5: Number(best!.f1At05.toFixed(4)), posts: rows.length, folds: K } };
  header.trained[lang] = { data: name, fixtures: fixtures.length, ...best!.p };
  offset += q.length;
  console.log(`${lang}: ${name}: ${rows.length} posts, best ${JSON.stringify(best!.p)}, CV macro-F1 ${best!.f1.toFixed(4)} at threshold ${best!.threshold} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
const out = only !== null ? path.join(ROOT, `processors/text/toxicity-model.${only}-only.tmp`) : path.join(ROOT, 'processors/text/toxicity-model.bin');
const bin = encodeModel(header, weights);
writeFileSync(out, bin);
console.log(`wrote ${path.relative(ROOT, out)} (${(bin.length / 1048576).toFixed(2)} MB)`);
