import { describe, expect, it } from 'vitest';
import { lnGamma, poissonLog10Tail } from '../../processors/poisson.js';

describe('Poisson tail', () => {
  it('matches exact values', () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    // P(X ≥ 3 | λ = 1) = 1 − e^-1 (1 + 1 + 1/2) = 0.0803013970713942
    expect(10 ** poissonLog10Tail(3, 1)).toBeCloseTo(0.0803013970713942, 12);
    // P(X ≥ 13 | λ = 4) = 0.000487... (sum of the tail)
    let tail = 0;
    for (let i = 13; i < 100; i++) tail += Math.exp(-4 + i * Math.log(4) - lnGamma(i + 1));
    expect(10 ** poissonLog10Tail(13, 4)).toBeCloseTo(tail, 12);
  });
  it('is 0 (log of 1) at or below the mean, and very negative far above it', () => {
    expect(poissonLog10Tail(4, 4)).toBe(0);
    expect(poissonLog10Tail(100, 5)).toBeLessThan(-60);
  });
});
