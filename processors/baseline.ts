// Empirical-Bayes baselines for the firestorm detector: what is normal for one watch, from a
// prior that gives way as evidence accumulates (counted in posts, and forgotten over stream
// time), and a predictive test of whether a new minute is normal by that measure. Pure.

/**
 * A share, such as negative posts among a watch's posts: a Beta posterior, `priorPosts`
 * pseudo-posts at `prior` plus the decayed counts seen. With few posts the prior dominates;
 * after a few times `priorPosts` posts the data does.
 */
export class ShareBaseline {
  hits = 0;
  posts = 0;

  constructor(readonly prior: number, readonly priorPosts: number) {}

  /** The posterior mean: the share this baseline considers normal. */
  get mean(): number { return (this.hits + this.prior * this.priorPosts) / (this.posts + this.priorPosts); }

  /**
   * The most hits among `m` posts that still count as normal: the beta-binomial predictive
   * mean plus `z` standard deviations, plus one. Wide while evidence is thin, so a baseline
   * that started off wrong is not locked out of the data that corrects it.
   */
  upper(m: number, z: number): number {
    const p = this.mean;
    const a = this.posts + this.priorPosts;
    return m * p + z * Math.sqrt((m * p * (1 - p) * (a + m)) / (a + 1)) + 1;
  }

  add(hits: number, posts: number): void { this.hits += hits; this.posts += posts; }

  scale(f: number): void { this.hits *= f; this.posts *= f; }

  snapshot(): ShareSnapshot { return { prior: this.prior, priorPosts: this.priorPosts, hits: this.hits, posts: this.posts }; }

  static fromSnapshot(s: ShareSnapshot): ShareBaseline {
    const b = new ShareBaseline(s.prior, s.priorPosts);
    b.hits = s.hits;
    b.posts = s.posts;
    return b;
  }
}
export interface ShareSnapshot { prior: number; priorPosts: number; hits: number; posts: number }

/**
 * A rate, such as a watch's distinct authors per post of the whole stream: a Gamma posterior,
 * `priorCount` pseudo-events at `prior`, plus the decayed counts and exposure seen.
 */
export class RateBaseline {
  count = 0;
  exposure = 0;

  constructor(readonly prior: number, readonly priorCount: number) {}

  get mean(): number { return (this.count + this.priorCount) / (this.exposure + this.priorCount / this.prior); }

  /** The most events over `exposure` that still count as normal: the negative-binomial predictive mean + `z` sd + 1. */
  upper(exposure: number, z: number): number {
    const l = this.mean * exposure;
    return l + z * Math.sqrt(l + (l * l) / (this.count + this.priorCount)) + 1;
  }

  add(count: number, exposure: number): void { this.count += count; this.exposure += exposure; }

  scale(f: number): void { this.count *= f; this.exposure *= f; }

  snapshot(): RateSnapshot { return { prior: this.prior, priorCount: this.priorCount, count: this.count, exposure: this.exposure }; }

  static fromSnapshot(s: RateSnapshot): RateBaseline {
    const b = new RateBaseline(s.prior, s.priorCount);
    b.count = s.count;
    b.exposure = s.exposure;
    return b;
  }
}
export interface RateSnapshot { prior: number; priorCount: number; count: number; exposure: number }
