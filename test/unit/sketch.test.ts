import { describe, expect, it } from 'vitest';
import { hash32, Kmv, KMV_K } from '../../processors/sketch.js';

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
