// Count-aware significance: the upper tail of the Poisson distribution in log10, exact by
// summing terms (no normal approximation, which is far off for the small counts where
// false trends come from). Pure.

const LANCZOS = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** ln Γ(x) for x > 0 (Lanczos approximation, about 15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = 0.99999999999980993;
  const t = x + 7.5;
  for (let i = 0; i < 8; i++) a += LANCZOS[i]! / (x + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log10 P(X ≥ k) for X ~ Poisson(λ); 0 when k ≤ λ (not unusual at all). */
export function poissonLog10Tail(k: number, lambda: number): number {
  if (k <= lambda || k <= 0) return 0;
  if (lambda <= 0) return -Infinity;
  const kk = Math.floor(k);
  let logTerm = -lambda + kk * Math.log(lambda) - lnGamma(kk + 1);
  // Sum the tail in scaled form: terms shrink by λ/(i+1) < 1 beyond k > λ.
  let sum = 1;
  let ratio = 1;
  for (let i = kk; i < kk + 10_000; i++) {
    ratio *= lambda / (i + 1);
    sum += ratio;
    if (ratio < 1e-16 * sum) break;
  }
  logTerm += Math.log(sum);
  return Math.min(0, logTerm / Math.LN10);
}
