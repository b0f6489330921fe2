// The enriched post: a post as stage A analysed it (language, text scores, matching watches),
// which the posts sink stores as it is, so ClickHouse holds exactly what the detectors counted.
import type { Post } from './post.js';

export interface TextScores {
  /** -1 (very negative) .. 1 (very positive). */
  sentiment: number;
  /** sentiment <= -0.15 */
  negative: boolean;
  /** sentiment >= 0.15 */
  positive: boolean;
  /** toxicity >= 0.5 */
  toxic: boolean;
  /** 0..1: insults, profanity, calls to boycott or resign. */
  toxicity: number;
  /** 0..1: capitals, '!!!', intensifiers, angry emoji, strong words. */
  arousal: number;
}

export interface EnrichedPost {
  post: Post;
  lang: string;
  scores: TextScores;
  watches: string[];
}
