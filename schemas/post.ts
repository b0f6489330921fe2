// The Post of CONTRACTS §2: validation and normalisation of input JSON into the record
// that travels on the `posts` topic. Pure: used by every source, by `detect` and by tests.
import { z } from 'zod';
import { AvroCodec, loadSchema } from './avro.js';
import { extractHashtags, extractMentions, LANG_TAG, normaliseHashtags } from './normalise.js';

export interface Author {
  id: string;
  handle: string | null;
  followers: number | null;
  created_at: number | null;
  /** The name shown beside the handle (post format v2); null when the source gives none. Optional for older producers. */
  display_name?: string | null;
}

/** A valid, normalised post. Times are UTC epoch milliseconds; hashtags are normalised. */
export interface Post {
  id: string;
  platform: string;
  created_at: number;
  author: Author;
  text: string;
  lang: string | null;
  reply_to: string | null;
  reply_to_author: string | null;
  repost_of: string | null;
  hashtags: string[];
  mentions: string[];
  metrics: { likes: number; reposts: number; replies: number };
}

export const LIMITS = {
  /** Longest accepted text, in UTF-16 code units; longer posts are rejected, not truncated. */
  textChars: 20_000,
  idChars: 256,
  /** A post dated further ahead of the ingest clock than this is rejected (CONTRACTS §2). */
  futureMs: 5 * 60_000,
  /**
   * A post dated before this is rejected (`past_timestamp`), unless ingest.minCreatedAt says
   * otherwise: epoch-0 or year-1 dates are errors or attacks, and each day of them would be a
   * ClickHouse partition of its own.
   */
  minCreatedAt: Date.parse('2000-01-01T00:00:00Z'),
  /** Hashtags and mentions kept per post (the first ones); more are dropped and counted, the post kept. */
  hashtags: 100,
  mentions: 100,
};

/** Told how many hashtags or mentions of a post a limit dropped. */
export type OnLimit = (limit: 'hashtags' | 'mentions', dropped: number) => void;

function capped<T>(items: T[], max: number, limit: 'hashtags' | 'mentions', onLimit?: OnLimit): T[] {
  if (items.length <= max) return items;
  onLimit?.(limit, items.length - max);
  return items.slice(0, max);
}

/** Why a post was rejected: a stable code (DLQ header, metric label) and a readable detail. */
export class InvalidPostError extends Error {
  constructor(
    readonly code: 'invalid_json' | 'invalid_post' | 'future_timestamp' | 'past_timestamp' | 'too_large' | 'invalid_encoding',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidPostError';
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const timestamp = z.string().regex(RFC3339, 'must be an RFC 3339 timestamp such as 2026-11-27T10:15:02Z')
  .transform((s, ctx) => {
    const ms = Date.parse(s.replace(' ', 'T'));
    const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
    if (Number.isNaN(ms) || new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) {
      ctx.addIssue({ code: 'custom', message: 'is not a real date' });
      return z.NEVER;
    }
    return ms;
  });
/** What a platform name may be (CONTRACTS §2): a lowercase name, so `platform:id` splits at its first colon. */
export const PLATFORM = /^[a-z0-9_.-]{1,64}$/;
const idLike = z.union([z.string().min(1).max(LIMITS.idChars), z.number().int().nonnegative().transform(String)]);
const optString = z.string().max(1000).nullish().transform((v) => v ?? null);
const count = z.number().int().nonnegative().nullish().transform((v) => v ?? 0);

/** A display name as shown: NFC, controls and bidi/zero-width format characters removed, spaces collapsed, at most 200 characters; empty is null. */
function displayName(v: string | null | undefined): string | null {
  if (!v) return null;
  const s = v.normalize('NFC').replace(/[\p{Cc}\p{Cf}]/gu, '').replace(/\s+/gu, ' ').trim();
  return s ? [...s].slice(0, 200).join('') : null;
}

const PostInput = z.object({
  id: idLike,
  platform: z.string().regex(PLATFORM, 'must be a lowercase name like "mastodon"').optional().default('generic'),
  created_at: timestamp,
  author: z.object({
    id: idLike,
    handle: optString,
    followers: z.number().int().nonnegative().nullish().transform((v) => v ?? null),
    created_at: timestamp.nullish().transform((v) => v ?? null),
    display_name: z.string().max(1000).nullish().transform(displayName),
  }),
  text: z.string().max(LIMITS.textChars, `must be at most ${LIMITS.textChars} characters`),
  lang: z.string().regex(LANG_TAG, 'must be a language tag like "de"').nullish()
    .transform((v) => (v ? v.slice(0, 2).toLowerCase() : null)),
  reply_to: z.union([optString, z.number().transform(String)]),
  reply_to_author: optString,
  repost_of: z.union([optString, z.number().transform(String)]),
  hashtags: z.array(z.string().max(1000)).max(10_000).nullish(),
  mentions: z.array(z.string().max(1000)).max(10_000).nullish(),
  metrics: z.object({ likes: count, reposts: count, replies: count }).partial().nullish(),
});

function describe(err: z.ZodError): string {
  return err.issues.slice(0, 3).map((i) => {
    const path = i.path.join('.') || '(post)';
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return `${path}: is required`;
    return `${path}: ${i.message}`;
  }).join('; ');
}

/**
 * Validates one input object and returns the normalised Post; throws InvalidPostError
 * with a readable reason. `now` is the ingest clock, for the future-timestamp rule, and
 * `minCreatedAt` the earliest created_at accepted; `onLimit`
 * hears of hashtags and mentions beyond the per-post limits, which are dropped.
 */
export function toPost(input: unknown, now: number = Date.now(), onLimit?: OnLimit, minCreatedAt: number = LIMITS.minCreatedAt): Post {
  const r = PostInput.safeParse(input);
  if (!r.success) throw new InvalidPostError('invalid_post', describe(r.error));
  const p = r.data;
  if (p.created_at > now + LIMITS.futureMs) {
    throw new InvalidPostError('future_timestamp', `created_at: ${new Date(p.created_at).toISOString()} is more than 5 minutes ahead of the ingest clock`);
  }
  if (p.created_at < minCreatedAt) {
    throw new InvalidPostError('past_timestamp', `created_at: ${new Date(p.created_at).toISOString()} is before the earliest accepted time ${new Date(minCreatedAt).toISOString()} (ingest.minCreatedAt)`);
  }
  if (p.text.includes('\u0000')) throw new InvalidPostError('invalid_post', 'text: contains a NUL character');
  return {
    id: p.id,
    platform: p.platform,
    created_at: p.created_at,
    author: p.author,
    text: p.text,
    lang: p.lang,
    reply_to: p.reply_to,
    reply_to_author: p.reply_to_author,
    repost_of: p.repost_of,
    hashtags: capped(p.hashtags ? normaliseHashtags(p.hashtags) : extractHashtags(p.text), LIMITS.hashtags, 'hashtags', onLimit),
    mentions: capped(p.mentions ?? extractMentions(p.text), LIMITS.mentions, 'mentions', onLimit),
    metrics: { likes: p.metrics?.likes ?? 0, reposts: p.metrics?.reposts ?? 0, replies: p.metrics?.replies ?? 0 },
  };
}

/** Parses one NDJSON line into a Post (see toPost); bad JSON is an InvalidPostError too. */
export function parsePostLine(line: string, now?: number): Post {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new InvalidPostError('invalid_json', `not valid JSON: ${(e as Error).message}`);
  }
  return toPost(obj, now);
}

/** The Kafka key of a post: `platform:id`, so a duplicate lands on its original's partition. */
export const postKey = (p: Pick<Post, 'platform' | 'id'>): string => `${p.platform}:${p.id}`;

/** The post as CONTRACTS §2 JSON (times as ISO strings), e.g. for writing scenario files. */
export function postToJson(p: Post): Record<string, unknown> {
  return {
    ...p,
    created_at: new Date(p.created_at).toISOString(),
    author: { ...p.author, created_at: p.author.created_at === null ? null : new Date(p.author.created_at).toISOString() },
  };
}

export interface PostRecord extends Post { ingested_at: number }

let codec: AvroCodec<PostRecord> | undefined;
/** The codec of the `posts` topic (reader: the current schema v2, accepting v1 records, whose display_name reads as null). */
export const postCodec = (): AvroCodec<PostRecord> => (codec ??= new AvroCodec<PostRecord>(loadSchema('post.v2'), [loadSchema('post.v1')]));
