// Impersonation: accounts whose handle or display name imitates a watched handle or brand name
// (UTS #39 confusables, a small Damerau–Levenshtein distance, separators, digits, words such
// as "official" or "support") and that are young or address the watch. Pure and per post, so
// stage A and `detect` decide alike; one `opened` event per (watch, account).
import type { ImpersonationEvent, Reason } from '../schemas/events.js';
import { isoSeconds } from '../schemas/events.js';
import type { Post } from '../schemas/post.js';
import { type Watch, WatchMatcher } from '../schemas/watches.js';
import { skeleton } from './confusables.js';

export interface ImpersonationOptions {
  /** An account created at most this long before its post counts as new (default 30 days). */
  youngMs?: number;
  /** (watch, account) pairs remembered as reported, the least recently seen as a candidate (new, or addressing a watch) dropped first (default 100,000). */
  capacity?: number;
}

/** Words impostors add to a brand's handle or name (en, de); stripped before comparing. */
const BRAND_WORDS = ['kundenservice', 'customercare', 'offiziell', 'official', 'service', 'support', 'helpdesk', 'hilfe', 'care', 'help', 'team', 'real', 'desk', 'info', 'the', 'hq'];
/** Short regional tokens (separated only: `acme_air_de`), stripped like brand words. */
const REGIONS = new Set(['de', 'at', 'ch', 'uk', 'us', 'eu', 'fr', 'es', 'it', 'nl', 'intl', 'global']);
/** Look-alikes that say they are not the brand: fans and declared parody. Matched on the compact skeleton. */
const INNOCENT = /parod|satir|spoof|fake|notaffiliated|nichtoffiziell|unofficial|inoffiziell|fan|ilove|lover|stan$/;

/** A name in comparable form: lower case, UTS #39 skeleton, marks and everything but letters, digits and separators removed. */
export function comparable(s: string): string {
  return skeleton(s.toLowerCase()).toLowerCase().replace(/\p{M}/gu, '').replace(/[^\p{L}\p{N}_.\-\s]/gu, '').slice(0, 80);
}

/** The account part of a handle: `@acme_air@x.social` → `acme_air`, `@acme.bsky.social` → `acme`. */
export function handleName(handle: string): string {
  const h = handle.trim().replace(/^@/, '');
  const at = h.indexOf('@');
  return (at > 0 ? h.slice(0, at) : h).replace(/\.bsky\.social$/i, '');
}

const ownName = (h: string): string => handleName(h).normalize('NFC').toLowerCase();

/** Rows of `editDistance`'s table, reused: three rows are all the recurrence reads. */
let rows = [new Int32Array(0), new Int32Array(0), new Int32Array(0)];

/** Damerau–Levenshtein distance (optimal string alignment), stopping early above `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (rows[0]!.length <= n) rows = [new Int32Array(n + 1), new Int32Array(n + 1), new Int32Array(n + 1)];
  // prev2, prev and cur are rows i-2, i-1 and i.
  let [prev2, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = Infinity;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    const done = prev2;
    prev2 = prev;
    prev = cur;
    cur = done;
  }
  return prev[n]!;
}

/** Edits tolerated for a target of this length: none up to 4 characters, 1 up to 8, then 2. */
export const allowedEdits = (n: number): number => (n <= 4 ? 0 : n <= 8 ? 1 : 2);

interface Core { core: string; words: string[]; digits: boolean; separators: boolean }

/**
 * The candidate's cores: separators, regional tokens and brand words removed, once with digits
 * read as their look-alike letters (the skeleton's 0 → o, 1 → l) and once with digits dropped.
 */
function cores(raw: string): Core[] {
  const out: Core[] = [];
  const hasDigits = /\d/.test(raw);
  for (const noDigits of hasDigits ? [false, true] : [false]) {
    const tokens = comparable(noDigits ? raw.replace(/\d+/g, '') : raw).split(/[_.\-\s]+/).filter(Boolean);
    const separators = tokens.length > 1;
    let s = tokens.filter((t, i) => !(i > 0 && REGIONS.has(t))).join('');
    const words: string[] = [];
    for (let changed = true; changed;) {
      changed = false;
      for (const w of BRAND_WORDS) {
        if (s.length - w.length < 3) continue;
        if (s.startsWith(w)) { s = s.slice(w.length); words.push(w); changed = true; }
        else if (s.endsWith(w)) { s = s.slice(0, -w.length); words.push(w); changed = true; }
      }
    }
    out.push({ core: s, words, digits: noDigits, separators });
  }
  return out;
}

interface Target { key: string; label: string }
interface CompiledWatch { w: Watch; targets: Target[]; own: Set<string> }

export interface Imitation { imitates: string; by: 'handle' | 'display_name'; distance: number; confusable: boolean; words: string[]; digits: boolean; separators: boolean }

interface Prepared { by: Imitation['by']; cores: Core[]; confusable: boolean; innocent: boolean }

/** What a name (a handle's account part or a display name) is compared by: computed once per post, not per watch. */
function prepare(name: string, by: Imitation['by']): Prepared {
  const c = comparable(name);
  const plain = name.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  return {
    by,
    cores: c.length < 3 ? [] : cores(name),
    confusable: comparable(plain) !== plain.replace(/[^\p{L}\p{N}_.\-\s]/gu, ''),
    innocent: INNOCENT.test(c.replace(/[_.\-\s]/g, '')),
  };
}

/** Whether the prepared name imitates one of the targets; the closest one. */
function imitation(p: Prepared, targets: readonly Target[]): Imitation | null {
  let best: Imitation | null = null;
  for (const k of p.cores) {
    for (const t of targets) {
      const max = allowedEdits(t.key.length);
      const d = editDistance(k.core, t.key, max);
      if (d <= max && (!best || d < best.distance)) best = { imitates: t.label, by: p.by, distance: d, confusable: p.confusable && d === 0, words: k.words, digits: k.digits, separators: p.by === 'handle' && k.separators };
    }
  }
  return best;
}

/**
 * Finds impersonators in a stream of posts. `offer` is called once per post (stage A per
 * partition, `detect` over the whole file); it returns at most one `opened` event per watch
 * for the author, never for the same (watch, account) twice while the pair is remembered.
 * Memory is bounded by `capacity` pairs (LRU); a pair forgotten and seen again is reported
 * again with the same id, which downstream deduplicates (ClickHouse, webhook idempotency key).
 */
export class ImpersonationDetector {
  private readonly watches: CompiledWatch[];
  private readonly reported = new Map<string, true>();
  /** Which watches a post addresses, when the caller does not say (made at first need: stage A always says). */
  private matcher: WatchMatcher | undefined;
  private readonly youngMs: number;
  private readonly capacity: number;

  constructor(watches: readonly Watch[], o: ImpersonationOptions = {}) {
    this.youngMs = o.youngMs ?? 30 * 86_400_000;
    this.capacity = o.capacity ?? 100_000;
    this.watches = watches.map((w) => {
      const targets: Target[] = w.handles.map((h) => ({ key: comparable(handleName(h)).replace(/[_.\-\s]/g, ''), label: h }));
      const name = comparable(w.name).replace(/[_.\-\s]/g, '');
      if (name.length >= 4 && !targets.some((t) => t.key === name)) targets.push({ key: name, label: w.name });
      // The brand's accounts by their exact name (case folded, no skeleton: `@аcmeair` is not `@acmeair`).
      const own = new Set([...w.handles, ...(w.own_accounts ?? [])].map((h) => ownName(h)));
      return { w, targets: targets.filter((t) => t.key.length >= 3), own };
    });
  }

  /**
   * The impersonation events `post` decides (usually none). Never throws on odd input.
   * `addressed`: the ids of the watches whose handles the post mentions or replies to (the
   * `mentioned` of WatchMatcher.match, which stage A has at hand); worked out here when not given.
   */
  offer(post: Post, addressed?: readonly string[]): ImpersonationEvent[] {
    if (this.watches.length === 0) return [];
    const a = post.author;
    const ageMs = a.created_at === null ? null : post.created_at - a.created_at;
    const young = ageMs !== null && ageMs <= this.youngMs;
    const mentioned = addressed ?? (this.matcher ??= new WatchMatcher(this.watches.map((cw) => cw.w))).match(post).mentioned;
    // Only a new account or one addressing a watch is a candidate, for any watch.
    if (!young && mentioned.length === 0) return [];
    const handle = a.handle ? handleName(a.handle) : '';
    const account = `${post.platform}:${a.id}`;
    const own = handle ? ownName(handle) : '';
    let out: ImpersonationEvent[] | undefined;
    let names: { handle: Prepared | null; display: Prepared | null } | undefined;
    for (const cw of this.watches) {
      const key = `${cw.w.id}\u0000${account}`;
      if (this.reported.has(key)) { this.reported.delete(key); this.reported.set(key, true); continue; }
      if (own && cw.own.has(own)) continue;
      const addresses = mentioned.includes(cw.w.id);
      if (!young && !addresses) continue;
      names ??= { handle: handle ? prepare(handle, 'handle') : null, display: a.display_name ? prepare(a.display_name, 'display_name') : null };
      // Either name being a declared fan or parody clears the account.
      if (names.handle?.innocent || names.display?.innocent) break;
      const m = (names.handle ? imitation(names.handle, cw.targets) : null) ?? (names.display ? imitation(names.display, cw.targets) : null);
      if (!m) continue;
      this.remember(key);
      (out ??= []).push(this.event(post, cw.w, m, young ? ageMs : null, addresses));
    }
    return out ?? [];
  }

  private remember(key: string): void {
    this.reported.set(key, true);
    if (this.reported.size > this.capacity) this.reported.delete(this.reported.keys().next().value!);
  }

  private event(post: Post, w: Watch, m: Imitation, ageMs: number | null, addresses: boolean): ImpersonationEvent {
    const reasons: Reason[] = [{ code: m.by === 'handle' ? 'imitates_handle' : 'imitates_display_name', value: m.distance, baseline: 0 }];
    const how: string[] = [];
    if (m.confusable) { reasons.push({ code: 'confusable', value: 1, baseline: 0 }); how.push('confusable characters'); }
    if (m.distance) how.push(`${m.distance} edit${m.distance > 1 ? 's' : ''}`);
    if (m.separators) { reasons.push({ code: 'separators', value: 1, baseline: 0 }); how.push('separators'); }
    if (m.digits) { reasons.push({ code: 'digits', value: 1, baseline: 0 }); how.push('digits'); }
    if (m.words.length) { reasons.push({ code: 'brand_words', value: m.words.length, baseline: 0 }); how.push(`"${m.words.join('", "')}"`); }
    if (ageMs !== null) reasons.push({ code: 'account_age_days', value: Math.round(ageMs / 86_400_000 * 10) / 10, baseline: this.youngMs / 86_400_000 });
    if (addresses) reasons.push({ code: 'addresses_watch', value: 1, baseline: 0 });
    const a = post.author;
    const who = a.handle ?? a.display_name ?? a.id;
    const ctx = [ageMs !== null ? `account ${Math.floor(ageMs / 86_400_000)} days old` : '', addresses ? 'addresses the watch' : ''].filter(Boolean).join(', ');
    return {
      id: `impersonation:${w.id}:${post.platform}:${a.id}:opened`,
      type: 'impersonation',
      state: 'opened',
      watch: w.id,
      account: { platform: post.platform, id: a.id, handle: a.handle ?? '' },
      imitates: m.imitates,
      detected_at: isoSeconds(post.created_at),
      reasons,
      summary: `${who} imitates ${m.imitates} by its ${m.by === 'handle' ? 'handle' : 'display name'}${how.length ? ` (${how.join(', ')})` : ''}; ${ctx}`,
      samples: [{ platform: post.platform, id: post.id }],
    };
  }
}

/** Every impersonation event over `posts` in order: what `detect` writes beside the trend and alert events. */
export function* detectImpersonation(posts: Iterable<Post>, watches: readonly Watch[], o?: ImpersonationOptions): Generator<ImpersonationEvent> {
  const d = new ImpersonationDetector(watches, o);
  for (const p of posts) yield* d.offer(p);
}
