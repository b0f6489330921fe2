// The `posts-enriched` record: a post as stage A analysed it (language, text scores, matching
// watches), written in stage A's transaction and stored by the posts sink as it is, so the text
// is analysed once and ClickHouse holds exactly what the detectors counted.
import { AvroCodec, loadSchema } from './avro.js';
import { postCodec, type Post, type PostRecord } from './post.js';
import type { TextScores } from './scores.js';

export interface EnrichedPost {
  post: Post;
  lang: string;
  scores: TextScores;
  watches: string[];
}

interface Wire extends TextScores { post: Buffer; lang: string; watches: string[] }
let codec: AvroCodec<Wire> | undefined;
const c = () => (codec ??= new AvroCodec<Wire>(loadSchema('enriched-post.v1')));

/** The record of a post stage A analysed: `post` is its `posts` record's bytes, passed through unchanged. */
export function encodeEnriched(post: Buffer, e: Omit<EnrichedPost, 'post'>): Buffer {
  const s = e.scores;
  return c().encode({ post, lang: e.lang, sentiment: s.sentiment, negative: s.negative, positive: s.positive, toxic: s.toxic,
    toxicity: s.toxicity, arousal: s.arousal, watches: e.watches });
}

/** Decodes a `posts-enriched` record and the post inside it; throws SchemaError when either is not one. */
export function decodeEnriched(buf: Buffer): EnrichedPost & { post: PostRecord } {
  const w = c().decode(buf);
  return { post: postCodec().decode(w.post), lang: w.lang, watches: w.watches,
    scores: { sentiment: w.sentiment, negative: w.negative, positive: w.positive, toxic: w.toxic, toxicity: w.toxicity, arousal: w.arousal } };
}
