// 32-bit SimHash of a post's words: near-duplicate texts (bot and click-farm campaigns that
// vary a template) land within a few bits of each other. Pure and allocation-light.
import { hash32 } from '../sketch.js';

const WORD = /[\p{L}\p{N}_#@]+/gu;

export function simhash(text: string): number {
  const acc = new Int16Array(32);
  let n = 0;
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0];
    if (w.length < 2 || w.startsWith('http')) continue;
    const h = hash32(w);
    for (let b = 0; b < 32; b++) acc[b]! += (h >>> b) & 1 ? 1 : -1;
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
