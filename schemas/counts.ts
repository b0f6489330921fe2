// The `hashtag-counts` record: everything the detectors need about one key (a hashtag, a watch
// or the whole stream) in one minute, and how two of them merge. Merging is order-independent,
// so any batching and partitioning of stage A builds the same minutes stage B and `detect` see.
import { Kmv } from './sketch.js';

export interface Sample { platform: string; id: string; score: number; negative: boolean }
export interface TextSig { id_hash: number; simhash: number }

/** Everything the detectors need about one key in one minute. Counts are exact sums. */
export interface Aggregate {
  key: string;
  minute: number;
  posts: number;
  authors: Kmv;
  young: number;
  negative: number;
  positive: number;
  toxic: number;
  sentiment_milli: number;
  arousal_milli: number;
  pressure: number;
  texts: TextSig[];
  samples: Sample[];
}

export const TEXT_SAMPLE = 16;
export const SAMPLES = 3;
export const tagKey = (tag: string): string => `t:${tag}`;
/** The key of the whole stream's per-minute volume; stage A sends it to every stage B partition. */
export const ALL_KEY = 'g:all';
export const watchKey = (id: string): string => `w:${id}`;

export function emptyAggregate(key: string, minute: number): Aggregate {
  return { key, minute, posts: 0, authors: new Kmv(), young: 0, negative: 0, positive: 0, toxic: 0,
    sentiment_milli: 0, arousal_milli: 0, pressure: 0, texts: [], samples: [] };
}

export const byText = (a: TextSig, b: TextSig): number => a.id_hash - b.id_hash || a.simhash - b.simhash;
export const bySample = (a: Sample, b: Sample): number =>
  Number(b.negative) - Number(a.negative) || b.score - a.score || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Merges `src` into `dst` (same key and minute). Order-independent. */
export function mergeInto(dst: Aggregate, src: Aggregate): void {
  dst.posts += src.posts;
  dst.authors.merge(src.authors);
  dst.young += src.young;
  dst.negative += src.negative;
  dst.positive += src.positive;
  dst.toxic += src.toxic;
  dst.sentiment_milli += src.sentiment_milli;
  dst.arousal_milli += src.arousal_milli;
  dst.pressure += src.pressure;
  if (src.texts.length) {
    dst.texts = [...dst.texts, ...src.texts].sort(byText).slice(0, TEXT_SAMPLE);
  }
  if (src.samples.length) dst.samples = [...dst.samples, ...src.samples].sort(bySample).slice(0, SAMPLES);
}

