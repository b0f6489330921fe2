// Signals shared by the trend and firestorm detectors: distinct authors over a run of
// minutes, and whether activity looks driven by bots, fake profiles or a click farm.
// Pure functions over minute Aggregates.
import { Kmv } from '../schemas/sketch.js';
import { hamming } from './text/simhash.js';
import type { Aggregate } from '../schemas/counts.js';

/** Distinct authors over several minutes (merged sketches). */
export function distinctAuthors(aggs: readonly Aggregate[]): number {
  const k = new Kmv();
  for (const a of aggs) k.merge(a.authors);
  return k.estimate();
}

export interface Authenticity { youngShare: number; concentration: number; duplicateShare: number; inauthentic: boolean }

/**
 * Inauthentic when at least two of: most posts from young or follower-less accounts, three or
 * more posts per author, half the sampled texts near-duplicates of another; or when texts
 * are overwhelmingly near-duplicates.
 */
export function authenticity(aggs: readonly Aggregate[]): Authenticity {
  const posts = aggs.reduce((n, a) => n + a.posts, 0);
  if (posts === 0) return { youngShare: 0, concentration: 0, duplicateShare: 0, inauthentic: false };
  const youngShare = aggs.reduce((n, a) => n + a.young, 0) / posts;
  const concentration = posts / Math.max(1, distinctAuthors(aggs));
  const texts = aggs.flatMap((a) => a.texts.map((t) => t.simhash));
  let dup = 0;
  for (let i = 0; i < texts.length; i++) {
    for (let j = 0; j < texts.length; j++) if (i !== j && hamming(texts[i]!, texts[j]!) <= 4) { dup++; break; }
  }
  const duplicateShare = texts.length >= 5 ? dup / texts.length : 0;
  const signals = Number(youngShare >= 0.5) + Number(concentration >= 3) + Number(duplicateShare >= 0.5);
  return { youngShare, concentration, duplicateShare, inauthentic: signals >= 2 || duplicateShare >= 0.8 };
}
