// The `erasures` record: a request to erase one post or every post of an author, keyed by
// kind:platform:id on a compacted topic so every sink learns each request once and for good.
import { z } from 'zod';
import { AvroCodec, loadSchema } from './avro.js';
import { LIMITS, PLATFORM } from './post.js';

export interface Erasure {
  kind: 'post' | 'author';
  platform: string;
  /** The post id (kind post) or the author id (kind author). */
  id: string;
  requested_at: number;
  /** Who asked: `http`, `cli`, or the streaming source that saw the deletion. */
  source: string;
  /** A post of an erased author, recorded by a sink (never asked for directly). */
  derived: boolean;
  /** Who asked, never a secret (`token:<digest prefix>`, `cli:<user>`, the source); '' in v1 records. */
  actor?: string;
  /** Why, as the requester gave it; '' when none was given. */
  reason?: string;
}

/** How long a requester's reason may be. */
export const MAX_REASON_CHARS = 500;

let codec: AvroCodec<Erasure> | undefined;
export const erasureCodec = (): AvroCodec<Erasure> => (codec ??= new AvroCodec<Erasure>(loadSchema('erasure.v2'), [loadSchema('erasure.v1')]));

/** The compaction key: one record per erased post or author, however often it is asked for. */
export const erasureKey = (e: Pick<Erasure, 'kind' | 'platform' | 'id'>): string => `${e.kind}:${e.platform}:${e.id}`;

export class InvalidErasureError extends Error {
  readonly code = 'invalid_erasure';
  constructor(message: string) { super(message); this.name = 'InvalidErasureError'; }
}

export const Ref = z.object({ platform: z.string().regex(PLATFORM, 'must be a lowercase platform name like "mastodon"'), id: z.string().min(1).max(LIMITS.idChars) });

/** Parses `platform:id` (the id may contain colons; the platform cannot). */
export function parseRef(text: string, what = 'reference'): { platform: string; id: string } {
  const i = text.indexOf(':');
  const r = Ref.safeParse({ platform: text.slice(0, Math.max(i, 0)), id: text.slice(i + 1) });
  if (i < 0 || !r.success) {
    const why = i < 0 || !r.error ? 'no colon' : r.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ');
    throw new InvalidErasureError(`${what} ${JSON.stringify(text)} must look like platform:id (e.g. mastodon:109876543210): ${why}`);
  }
  return r.data;
}

