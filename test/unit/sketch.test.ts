import { describe, expect, it } from 'vitest';
import { hash32, Kmv, KMV_K } from '../../schemas/sketch.js';

describe('KMV distinct-count sketch', () => {
  it('is exact below K, ignoring repeats', () => {
    const k = new Kmv();
    for (let i = 0; i < 300; i++) { k.add(hash32(`a${i}`)); k.add(hash32(`a${i}`)); }
    expect(k.estimate()).toBe(300);
    expect(k.exact).toBe(true);
  });

  it('stays within 3 standard errors (3/√(K−2) ≈ 13 %) for 100,000 distinct values', () => {
    const k = new Kmv();
    for (let i = 0; i < 100_000; i++) k.add(hash32(`author-${i}`));
    expect(k.exact).toBe(false);
    expect(Math.abs(k.estimate() / 100_000 - 1)).toBeLessThan(3 / Math.sqrt(KMV_K - 2));
  });

  it('merges order-independently and round-trips through bytes', () => {
    const a = new Kmv(); const b = new Kmv(); const all = new Kmv();
    for (let i = 0; i < 5000; i++) { (i % 3 ? a : b).add(hash32(`u${i}`)); all.add(hash32(`u${i}`)); }
    const ab = Kmv.fromBytes(a.toBytes()); ab.merge(Kmv.fromBytes(b.toBytes()));
    const ba = Kmv.fromBytes(b.toBytes()); ba.merge(a);
    expect(ab.values()).toEqual(all.values());
    expect(ba.estimate()).toBe(all.estimate());
    expect(Kmv.fromBytes(new Kmv([1, 2, 3]).toBytes()).estimate()).toBe(3);
  });
});

describe('KMV merge', () => {
  // The definition: the K smallest distinct values, saturated once more than K were seen.
  const reference = (xs: number[]) => { const u = [...new Set(xs)].sort((a, b) => a - b); return { values: u.slice(0, KMV_K), exact: u.length <= KMV_K }; };

  it('equals the definition for sorted and unsorted sketches of every size around K', () => {
    let seed = 11;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (const [na, nb, range] of [[0, 0, 10], [3, 5, 6], [300, 212, 1e9], [300, 213, 1e9], [512, 512, 600], [511, 1, 1e9], [2000, 10, 4000], [10, 2000, 4000], [1500, 1500, 1e9]] as const) {
      const xa = Array.from({ length: na }, () => rnd(range));
      const xb = Array.from({ length: nb }, () => rnd(range));
      const want = reference([...xa, ...xb]);
      const fill = (xs: number[]) => { const k = new Kmv(); for (const x of xs) k.add(x); return k; };
      // Sorted with sorted (the linear merge), unsorted with sorted, and through bytes.
      const viaBytes = Kmv.fromBytes(fill(xa).toBytes()); viaBytes.merge(Kmv.fromBytes(fill(xb).toBytes()));
      const raw = new Kmv(); for (const x of xa) raw.add(x); raw.merge(fill(xb));
      for (const k of [viaBytes, raw]) {
        expect(k.values(), `${na}+${nb}`).toEqual(want.values);
        expect(k.exact, `${na}+${nb}`).toBe(want.exact);
      }
    }
  });

  it('re-sorts bytes that are not ascending instead of trusting them', () => {
    const buf = Buffer.alloc(12); buf.writeUInt32LE(9, 0); buf.writeUInt32LE(3, 4); buf.writeUInt32LE(9, 8);
    expect(Kmv.fromBytes(buf).values()).toEqual([3, 9]);
  });
});
