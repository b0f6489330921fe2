// Watches (CONTRACTS §3): what PR teams watch, and whether a post matches one.
// Pure: compiled once per watch list, then `match` runs per post in stage A and `detect`.
import { z } from 'zod';
import { fold, normaliseHashtag, normaliseHandle } from './normalise.js';

/**
 * One route of a watch's alerts: the alerts of at least `min_severity` (and of the given event
 * types) go to the named channels; on e-mail channels to `email_to`, else the watch's, else the
 * channel's recipients. Routes add up: an alert goes wherever any of its routes sends it.
 */
export const RouteSchema = z.object({
  /** Lowest severity (1–6) this route carries; an impersonation counts as severity 3. */
  min_severity: z.number().int().min(1).max(6).default(1),
  /** Names of delivery channels (configured in the alert sink). */
  channels: z.array(z.string().min(1)).min(1, 'a route names at least one channel'),
  /** Recipients on e-mail channels for this route, instead of the watch's `email_to` or the channel's `to`. */
  email_to: z.array(z.email()).min(1).max(50).optional(),
  /** Which events this route carries: `alert` (shitstorms) and `impersonation`; both when left out. */
  types: z.array(z.enum(['alert', 'impersonation'])).min(1).optional(),
}).strict();
export type Route = z.output<typeof RouteSchema>;

export const WatchSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a lowercase slug like "deutsche-bahn"'),
  name: z.string().min(1).max(200),
  handles: z.array(z.string().min(2).max(200)).default([]),
  keywords: z.array(z.string().min(2).max(200)).default([]),
  hashtags: z.array(z.string().min(1).max(200)).default([]),
  /** Lowest severity (1–6) that opens an alert for this watch. */
  min_severity: z.number().int().min(1).max(6).default(3),
  /** Multiplies the firestorm score: above 1 alerts earlier, below 1 later. */
  sensitivity: z.number().positive().max(10).default(1),
  /** Names of delivery channels (configured in the alert sink) for every alert; empty means all. Not with `routes`. */
  channels: z.array(z.string()).default([]),
  /** Recipients of this watch's alerts on e-mail channels, instead of the channel's `to`. */
  email_to: z.array(z.email()).max(50).optional(),
  /** Which channels and recipients get which severities; replaces `channels`. Left out: every alert to `channels`. */
  routes: z.array(RouteSchema).min(1, 'give at least one route, or leave `routes` out to deliver every alert to `channels`').max(20).optional(),
  /** The brand's own further accounts (regional, support desks): look-alikes of `handles` that are legitimate, never impersonators. */
  own_accounts: z.array(z.string().min(2).max(200)).max(1000).optional(),
}).strict().superRefine((w, ctx) => {
  if (w.routes && w.channels.length) {
    ctx.addIssue({ code: 'custom', path: ['channels'], message: 'a watch with `routes` names its channels in each route: move them into a route (e.g. {"min_severity": 1, "channels": [...]})' });
  }
});
export type Watch = z.output<typeof WatchSchema>;
export const WatchListSchema = z.array(WatchSchema).superRefine((ws, ctx) => {
  const seen = new Set<string>();
  ws.forEach((w, i) => {
    if (seen.has(w.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate watch id "${w.id}"` });
    seen.add(w.id);
  });
});

/** The watches a post matches, as their ids. Built once per watch list. */
export class WatchMatcher {
  private readonly byHandle = new Map<string, string[]>();
  private readonly byTag = new Map<string, string[]>();
  /** Each keyword's pattern, and its longest word, which a text must contain for the pattern to match. */
  private readonly keywords: { re: RegExp; literal: string; id: string }[] = [];
  /** Any keyword's longest word: one search that rules out most texts for every keyword at once. */
  private readonly anyLiteral: RegExp | null = null;

  constructor(readonly watches: readonly Watch[]) {
    const add = (m: Map<string, string[]>, k: string, id: string) => m.set(k, [...(m.get(k) ?? []), id]);
    for (const w of watches) {
      for (const h of w.handles) add(this.byHandle, normaliseHandle(h), w.id);
      for (const t of w.hashtags) { const n = normaliseHashtag(t); if (n) add(this.byTag, n, w.id); }
      for (const k of w.keywords) {
        const folded = fold(k);
        const esc = escapeRegExp(folded).replace(/\s+/g, '\\s+');
        const literal = folded.split(/\s+/).reduce((a, b) => (b.length > a.length ? b : a), '');
        // Unicode word boundaries: not preceded or followed by a letter, mark, digit or underscore.
        this.keywords.push({ re: new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])${esc}(?![\\p{L}\\p{M}\\p{N}_])`, 'u'), literal, id: w.id });
      }
    }
    if (this.keywords.length) this.anyLiteral = new RegExp(this.keywords.map((k) => escapeRegExp(k.literal)).join('|'));
  }

  /**
   * The watches `post` matches (mention, reply, keyword or hashtag) as sorted ids, and among
   * them those whose handles it mentions or replies to (pressure on the target).
   */
  match(post: { text: string; hashtags: readonly string[]; mentions: readonly string[]; reply_to_author: string | null }): { watches: string[]; mentioned: string[] } {
    if (this.watches.length === 0) return NONE;
    // Most posts match nothing: no set or array is made for them.
    let ids: Set<string> | undefined;
    for (const raw of post.mentions) ids = this.addHandle(raw, ids);
    if (post.reply_to_author) ids = this.addHandle(post.reply_to_author, ids);
    const mentioned = ids ? [...ids].sort() : NONE.mentioned;
    for (const t of post.hashtags) ids = addAll(this.byTag.get(t), ids);
    if (this.anyLiteral) {
      const text = fold(post.text);
      // Most texts hold no keyword's longest word; for the rest, a substring search rules a keyword out before its pattern runs.
      if (this.anyLiteral.test(text)) {
        for (const k of this.keywords) if (text.includes(k.literal) && !ids?.has(k.id) && k.re.test(text)) (ids ??= new Set()).add(k.id);
      }
    }
    return ids ? { watches: [...ids].sort(), mentioned } : NONE;
  }

  /** `ids` with the watches on handle `raw` added, and for `@user@instance` those on `@user`. */
  private addHandle(raw: string, ids: Set<string> | undefined): Set<string> | undefined {
    const h = normaliseHandle(raw);
    ids = addAll(this.byHandle.get(h), ids);
    const at = h.indexOf('@', 1);
    return at > 0 ? addAll(this.byHandle.get(h.slice(0, at)), ids) : ids;
  }
}

/** `ids` with `hit` added; made when there is something to add. */
function addAll(hit: readonly string[] | undefined, ids: Set<string> | undefined): Set<string> | undefined {
  if (hit) for (const id of hit) (ids ??= new Set()).add(id);
  return ids;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const NONE = { watches: [] as string[], mentioned: [] as string[] };
