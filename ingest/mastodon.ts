// Mastodon source: the streaming API (server-sent events: public, hashtag and list streams,
// bearer token) mapped to the Post of CONTRACTS §2. Mastodon has no resume cursor: after a
// reconnect the source fills the gap from the REST timeline (min_id = newest status seen)
// and drops statuses it already saw (a bounded set of recent ids).
import { z } from 'zod';
import { extractHashtags } from '../schemas/normalise.js';
import { InvalidPostError, toPost } from '../schemas/post.js';
import {
  aborted, languageTag, RecentKeys, SourceConnectError, statusError, StreamingSource, Tally, type SourceDeps,
} from './source-kit.js';

// ---------------------------------------------------------------------------------------
// Options

const StreamObject = z.discriminatedUnion('type', [
  z.object({ type: z.literal('public'), scope: z.enum(['all', 'local', 'remote']).default('all'), onlyMedia: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('hashtag'), tag: z.string().min(1).regex(/^#?[^\s#]+$/, 'must be one hashtag'), local: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('list'), list: z.string().regex(/^[A-Za-z0-9]+$/, 'must be a list id') }).strict(),
]);
export type MastodonStream = z.output<typeof StreamObject>;

/** `public`, `public:local`, `public:remote`, `hashtag:<tag>`, `hashtag:local:<tag>`, `list:<id>` (for env variables). */
export function parseStream(spec: string): MastodonStream {
  const [kind, a, b] = spec.split(':');
  if (kind === 'public' && b === undefined && (a === undefined || a === 'local' || a === 'remote')) return { type: 'public', scope: a ?? 'all', onlyMedia: false };
  if (kind === 'hashtag' && a === 'local' && b) return { type: 'hashtag', tag: b, local: true };
  if (kind === 'hashtag' && a && b === undefined) return { type: 'hashtag', tag: a, local: false };
  if (kind === 'list' && a && b === undefined) return { type: 'list', list: a };
  throw new Error(`unknown Mastodon stream ${JSON.stringify(spec)}: use public, public:local, public:remote, hashtag:<tag>, hashtag:local:<tag> or list:<id>`);
}

export const MastodonOptionsSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,40}$/).default('mastodon').describe('component_id of this source in metrics and logs'),
  url: z.url({ protocol: /^https?$/ }).describe('Instance base URL, e.g. https://mastodon.social'),
  streamingUrl: z.url({ protocol: /^https?$/ }).optional().describe("Base URL of the streaming API when it is on another host (the instance's urls.streaming_api); default: url"),
  token: z.string().min(1, 'needs an access token with read:statuses').describe('Access token (Authorization: Bearer); never logged'),
  stream: z.union([z.string().transform((s, ctx) => {
    try { return parseStream(s); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); return z.NEVER; }
  }), StreamObject]).default({ type: 'public', scope: 'all', onlyMedia: false }).describe('Which stream: public (all, local, remote), a hashtag, or a list'),
  visibilities: z.array(z.enum(['public', 'unlisted', 'private', 'direct'])).default(['public', 'unlisted'])
    .describe('Statuses of other visibilities (list streams carry followers-only posts) are dropped, never stored'),
  backfill: z.boolean().default(true).describe('After a reconnect, fetch the statuses missed meanwhile from the REST timeline'),
  backfillPages: z.number().int().min(0).max(100).default(10).describe('Most REST pages fetched per reconnect; a longer gap is logged'),
  pageSize: z.number().int().min(1).max(40).default(40),
  sinceId: z.string().regex(/^[A-Za-z0-9]+$/).optional().describe('Backfill from this status id on the first connection (e.g. the lastId of a previous run)'),
  batchMaxPosts: z.number().int().positive().default(500),
  batchMaxMs: z.number().int().positive().default(200),
  maxPending: z.number().int().positive().default(5000).describe('Held items before reading pauses (backpressure)'),
  reconnect: z.object({
    initialMs: z.number().int().positive().default(1000),
    maxMs: z.number().int().positive().default(60_000),
  }).strict().prefault({}),
  idleTimeoutMs: z.number().int().positive().default(45_000).describe('Reconnect when nothing (not even a :thump heartbeat, sent every 15 s) arrived this long'),
  connectTimeoutMs: z.number().int().positive().default(15_000),
  recentIds: z.number().int().positive().default(20_000).describe('Status ids remembered to drop replays'),
  maxFrameChars: z.number().int().positive().default(1 << 20).describe('Longer frames are rejected (too_large) and skipped'),
}).strict().refine((o) => o.reconnect.initialMs <= o.reconnect.maxMs, { path: ['reconnect', 'initialMs'], message: 'must not exceed reconnect.maxMs' });

export type MastodonOptions = z.output<typeof MastodonOptionsSchema>;
export type MastodonOptionsInput = z.input<typeof MastodonOptionsSchema>;

export type MastodonSourceOptions = MastodonOptionsInput & SourceDeps;

// ---------------------------------------------------------------------------------------
// Server-sent events

export interface SseEvent { event: string; data: string; oversized: boolean }

/**
 * An incremental text/event-stream parser (the WHATWG rules: CR, LF or CRLF line ends,
 * `:` comments, multi-line data joined by LF). Frames longer than `maxChars` come out
 * with `oversized` set and their data dropped, so memory stays bounded.
 */
export class SseParser {
  private buf = '';
  private skipLF = false;
  private event = '';
  private data: string[] = [];
  private size = 0;
  private oversized = false;
  /** Comment lines seen (`:thump` heartbeats and the `:)` greeting). */
  comments = 0;

  constructor(private readonly maxChars = 1 << 20) {}

  push(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    let s = this.buf + text;
    if (this.skipLF && s.startsWith('\n')) s = s.slice(1);
    this.skipLF = false;
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(s.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < s.length) { if (s.charCodeAt(i + 1) === 10) i++; } else this.skipLF = true;
      }
      start = i + 1;
    }
    this.buf = s.slice(start);
    if (this.buf.length > this.maxChars) { this.oversized = true; this.buf = ''; this.data = []; }
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length || this.oversized) out.push({ event: this.event || 'message', data: this.data.join('\n'), oversized: this.oversized });
      this.event = ''; this.data = []; this.size = 0; this.oversized = false;
      return;
    }
    if (line.startsWith(':')) { this.comments++; return; }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data' && !this.oversized) {
      this.size += value.length + 1;
      if (this.size > this.maxChars) { this.oversized = true; this.data = []; } else this.data.push(value);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Status → Post input (pure)

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', shy: '\u00ad', hellip: '…', mdash: '—', ndash: '–',
  laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bdquo: '„', sbquo: '‚', euro: '€', copy: '©',
  reg: '®', trade: '™', deg: '°', middot: '·', bull: '•', times: '×', auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä',
  Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', eacute: 'é', egrave: 'è', agrave: 'à', ccedil: 'ç', zwj: '\u200d', zwnj: '\u200c',
};

/** Decodes HTML character references (named, decimal, hex) in one pass: `&amp;lt;` becomes `&lt;`. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});/g, (m, ref: string) => {
    if (ref[0] === '#') {
      const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
    }
    return ENTITIES[ref] ?? m;
  });
}

const BLOCK = new Set(['p', 'div', 'blockquote', 'pre', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'tr', 'section', 'article', 'header', 'footer', 'hr', 'dl', 'dt', 'dd', 'figure', 'figcaption']);
const SKIP = new Set(['script', 'style', 'template', 'head']);
// A tag with attributes whose quoted values may hold `>`; comments and doctypes.
const TOKEN = /<!--[\s\S]*?-->|<![^>]*>|<\/?([A-Za-z][A-Za-z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>/g;

/**
 * Status HTML to plain text: tags stripped, entities decoded, line breaks kept (`<br>` one,
 * paragraphs and other blocks a blank line), source whitespace collapsed outside `<pre>`.
 * Mastodon's hidden link parts (`<span class="invisible">https://</span>`) keep the full URL.
 */
export function htmlToText(html: string): string {
  let out = '';
  let pre = 0;
  let skip = 0;
  let last = 0;
  const text = (raw: string) => {
    if (skip || !raw) return;
    out += decodeEntities(pre ? raw : raw.replace(/[ \t\r\n\f]+/g, ' '));
  };
  const breakLine = (n: number) => {
    out = out.replace(/[ \t]+$/, '');
    const have = /\n*$/.exec(out)![0].length;
    if (out.length && have < n) out += '\n'.repeat(n - have);
  };
  for (const m of html.matchAll(TOKEN)) {
    text(html.slice(last, m.index));
    last = m.index + m[0].length;
    const name = m[1]?.toLowerCase();
    if (!name) continue;
    const closing = m[0][1] === '/';
    if (SKIP.has(name)) { skip = Math.max(0, skip + (closing ? -1 : 1)); continue; }
    if (name === 'br') { out = out.replace(/[ \t]+$/, '') + '\n'; continue; }
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1));
    if (name === 'li' && !closing) { breakLine(1); out += '• '; continue; }
    if (BLOCK.has(name)) breakLine(name === 'li' || name === 'tr' || name === 'dt' || name === 'dd' ? 1 : 2);
  }
  text(html.slice(last));
  return out.split('\n').map((l) => l.replace(/^[ \t]+|[ \t]+$/g, '')).join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

interface Account { id?: unknown; acct?: unknown; url?: unknown; followers_count?: unknown; created_at?: unknown }
interface Mention { id?: unknown; acct?: unknown; url?: unknown }
export interface Status {
  id?: unknown; created_at?: unknown; content?: unknown; spoiler_text?: unknown; language?: unknown; visibility?: unknown;
  in_reply_to_id?: unknown; in_reply_to_account_id?: unknown; reblog?: Status | null; account?: Account;
  tags?: { name?: unknown }[]; mentions?: Mention[]; favourites_count?: unknown; reblogs_count?: unknown; replies_count?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const host = (url: unknown): string | null => { try { return typeof url === 'string' ? new URL(url).hostname : null; } catch { return null; } };
const nonNegative = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

/** `@user@instance`: remote accts carry their instance; local ones get the host of their profile URL (or `instance`). */
export function fullHandle(acct: unknown, profileUrl: unknown, instance: string): string | null {
  const a = str(acct)?.replace(/^@/, '');
  if (!a) return null;
  return a.includes('@') ? `@${a}` : `@${a}@${host(profileUrl) ?? instance}`;
}

/** An ISO timestamp toPost accepts, or null (an odd account date must not cost the post). */
function isoOrNull(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Maps a Mastodon Status to the Post input of CONTRACTS §2 (validate it with toPost). A boost
 * keeps its own id, author and time, with the boosted status's text, tags and mentions and
 * `repost_of` its id. A content warning (spoiler_text) precedes the text, as readers see it.
 */
export function statusToInput(status: Status, instance: string): Record<string, unknown> {
  const shown = status.reblog && typeof status.reblog === 'object' ? status.reblog : status;
  const account = status.account ?? {};
  const spoiler = typeof shown.spoiler_text === 'string' ? shown.spoiler_text.trim() : '';
  const body = typeof shown.content === 'string' ? htmlToText(shown.content) : shown.content;
  const text = spoiler && typeof body === 'string' ? (body ? `${spoiler}\n\n${body}` : spoiler) : body;
  const mentions = Array.isArray(shown.mentions) ? shown.mentions : [];
  const handles = new Map<string, string>();
  for (const m of mentions) {
    const h = fullHandle(m?.acct, m?.url, instance);
    const id = str(m?.id);
    if (h && id) handles.set(id, h);
  }
  const authorHandle = fullHandle(account.acct, account.url, instance);
  const replyAccount = str(status.in_reply_to_account_id);
  const replyToAuthor = replyAccount === null ? null
    : replyAccount === str(account.id) ? authorHandle : handles.get(replyAccount) ?? null;
  const tags = Array.isArray(shown.tags) ? shown.tags.map((t) => t?.name).filter((n): n is string => typeof n === 'string') : [];
  return {
    id: status.id,
    platform: 'mastodon',
    created_at: status.created_at,
    author: {
      id: account.id,
      handle: authorHandle,
      followers: nonNegative(account.followers_count),
      created_at: isoOrNull(account.created_at),
    },
    text,
    lang: languageTag(shown.language),
    reply_to: str(status.in_reply_to_id),
    reply_to_author: replyToAuthor,
    repost_of: status.reblog ? str(status.reblog.id) : null,
    // The tag list and the text can disagree (tags cut by the grammar, tags on remote posts): use both.
    hashtags: [...new Set([...tags, ...(typeof text === 'string' ? extractHashtags(text) : [])])].slice(0, 100),
    mentions: [...new Set(mentions.map((m) => fullHandle(m?.acct, m?.url, instance)).filter((h): h is string => h !== null))].slice(0, 100),
    metrics: { likes: nonNegative(status.favourites_count) ?? 0, reposts: nonNegative(status.reblogs_count) ?? 0, replies: nonNegative(status.replies_count) ?? 0 },
  };
}

/** Orders Mastodon ids (numeric strings; other servers use fixed-width sortable ids). */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// The source

/**
 * Streams one Mastodon timeline into `onPosts` batches. `start()` connects in the background;
 * `close(deadlineMs)` stops reading and hands on what it holds within the deadline.
 */
export class MastodonSource extends StreamingSource<MastodonOptions> {
  private readonly seen: RecentKeys;
  private readonly instance: string;
  private newest: string | null;
  private connections = 0;

  constructor(o: MastodonSourceOptions) {
    const { onPosts, onDelete, metrics, log, now, random, ...rest } = o;
    super('Mastodon', MastodonOptionsSchema.parse(rest), { onPosts, onDelete, metrics, log, now, random });
    this.instance = new URL(this.options.url).hostname;
    this.newest = this.options.sinceId ?? null;
    this.seen = new RecentKeys(this.options.recentIds);
  }

  /** The newest status id seen: persist it and pass it as `sinceId` to resume after a restart. */
  get lastId(): string | null { return this.newest; }

  /** The streaming URL of the configured stream. */
  streamUrl(): URL {
    const s = this.options.stream;
    const u = new URL(this.options.streamingUrl ?? this.options.url);
    const base = u.pathname.replace(/\/+$/, '');
    if (s.type === 'public') {
      u.pathname = `${base}/api/v1/streaming/public${s.scope === 'all' ? '' : `/${s.scope}`}`;
      if (s.onlyMedia) u.searchParams.set('only_media', 'true');
    } else if (s.type === 'hashtag') {
      u.pathname = `${base}/api/v1/streaming/hashtag${s.local ? '/local' : ''}`;
      u.searchParams.set('tag', s.tag.replace(/^#/, ''));
    } else {
      u.pathname = `${base}/api/v1/streaming/list`;
      u.searchParams.set('list', s.list);
    }
    return u;
  }

  /** The REST timeline of the same stream, for filling gaps. */
  timelineUrl(minId: string): URL {
    const s = this.options.stream;
    const u = new URL(this.options.url);
    const base = u.pathname.replace(/\/+$/, '');
    if (s.type === 'public') {
      u.pathname = `${base}/api/v1/timelines/public`;
      if (s.scope !== 'all') u.searchParams.set(s.scope, 'true');
      if (s.onlyMedia) u.searchParams.set('only_media', 'true');
    } else if (s.type === 'hashtag') {
      u.pathname = `${base}/api/v1/timelines/tag/${encodeURIComponent(s.tag.replace(/^#/, ''))}`;
      if (s.local) u.searchParams.set('local', 'true');
    } else {
      u.pathname = `${base}/api/v1/timelines/list/${encodeURIComponent(s.list)}`;
    }
    u.searchParams.set('min_id', minId);
    u.searchParams.set('limit', String(this.options.pageSize));
    return u;
  }

  /** One connection: resolves when the server ends the stream (true if it delivered anything). */
  protected async connectOnce(onConnected: () => void): Promise<boolean> {
    const ac = new AbortController();
    const onStop = () => ac.abort();
    this.stop.signal.addEventListener('abort', onStop);
    let idle: NodeJS.Timeout | null = null;
    let productive = false;
    const tally = new Tally(this.metrics, this.options.id);
    try {
      const url = this.streamUrl();
      const connectTimer = setTimeout(() => ac.abort(new SourceConnectError('timeout', `no answer from ${url.host} within ${this.options.connectTimeoutMs} ms`, true)), this.options.connectTimeoutMs);
      let res: Response;
      try {
        res = await fetch(url, { headers: this.headers('text/event-stream'), signal: ac.signal, redirect: 'follow' });
      } catch (e) {
        throw ac.signal.reason instanceof SourceConnectError ? ac.signal.reason : new SourceConnectError('network', `cannot reach ${url.host}: ${(e as Error).message}`, true, { cause: e });
      } finally {
        clearTimeout(connectTimer);
      }
      if (!res.ok || !res.body) {
        const detail = await res.text().catch(() => '');
        throw statusError(res.status, `Mastodon streaming API at ${url.host}`, detail);
      }
      if (!/text\/event-stream/i.test(res.headers.get('content-type') ?? '')) {
        await res.body.cancel().catch(() => {});
        throw new SourceConnectError('protocol', `${url.host} did not answer with text/event-stream (content-type ${res.headers.get('content-type')})`, true);
      }
      this.isConnected = true;
      this.connections++;
      this.log.info({ stream: this.options.stream, host: url.host, connection: this.connections }, 'Mastodon stream connected');
      onConnected();
      const gapFrom = this.newest;
      const backfill = this.options.backfill && gapFrom !== null && (this.connections > 1 || this.options.sinceId !== undefined)
        ? this.backfill(gapFrom, ac.signal).catch((e) => {
          if (ac.signal.aborted) return;
          this.metrics.errors.inc({ component_kind: 'source', component_id: this.options.id, error_type: 'connection', stage: 'receiving' });
          this.log.warn({ err: e }, 'could not fill the gap from the REST timeline; statuses posted while disconnected are missing');
        })
        : Promise.resolve();
      const parser = new SseParser(this.options.maxFrameChars);
      const decoder = new TextDecoder('utf-8');
      const idleAbort = () => ac.abort(new SourceConnectError('timeout', `nothing from the stream for ${this.options.idleTimeoutMs} ms (no heartbeat)`, true));
      idle = setTimeout(idleAbort, this.options.idleTimeoutMs);
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          idle.refresh();
          for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
            if (this.onEvent(ev, tally)) productive = true;
          }
          tally.emit();
          if (this.batcher.full) {
            clearTimeout(idle);
            await Promise.race([this.batcher.room(), aborted(ac.signal)]);
            idle = setTimeout(idleAbort, this.options.idleTimeoutMs);
          }
        }
      } catch (e) {
        if (this.stop.signal.aborted) return productive;
        throw ac.signal.reason instanceof SourceConnectError ? ac.signal.reason : new SourceConnectError('network', `stream broke: ${(e as Error).message}`, true, { cause: e });
      } finally {
        tally.emit();
        await backfill;
      }
      this.log.warn('the Mastodon server ended the stream');
      return productive;
    } finally {
      if (idle) clearTimeout(idle);
      this.isConnected = false;
      ac.abort();
      this.stop.signal.removeEventListener('abort', onStop);
    }
  }

  private headers(accept: string): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, accept, 'user-agent': 'trendstream (streaming source)' };
  }

  /** Handles one SSE event; true when it was a status or deletion. */
  private onEvent(ev: SseEvent, tally: Tally): boolean {
    tally.received++;
    const source = `${this.options.id}:${ev.event}`;
    if (ev.oversized) {
      tally.discard('too_large');
      this.batcher.reject({ raw: '', code: 'too_large', reason: `event is longer than ${this.options.maxFrameChars} characters`, source });
      return false;
    }
    if (ev.event === 'update') {
      let status: unknown;
      try { status = JSON.parse(ev.data); } catch (e) {
        tally.discard('invalid_json');
        this.batcher.reject({ raw: ev.data, code: 'invalid_json', reason: `update event is not valid JSON: ${(e as Error).message}`, source });
        return false;
      }
      this.acceptStatus(status, ev.data, source, tally);
      return true;
    }
    if (ev.event === 'delete') {
      const id = ev.data.trim();
      if (!/^[A-Za-z0-9]{1,256}$/.test(id)) {
        tally.discard('invalid_post');
        this.batcher.reject({ raw: ev.data, code: 'invalid_post', reason: 'delete event without a status id', source });
        return false;
      }
      this.batcher.delete('mastodon', id);
      return true;
    }
    // status.update (edits: a post counts once, as first seen), notifications, announcements…
    tally.discard('ignored');
    return false;
  }

  /** Deduplicates, maps and validates one status (from the stream or the REST backfill). */
  private acceptStatus(status: unknown, raw: string, source: string, tally: Tally): void {
    const s = (status && typeof status === 'object' && !Array.isArray(status) ? status : {}) as Status;
    const id = str(s.id);
    if (id !== null) {
      if (!this.seen.add(id)) { tally.discard('duplicate'); return; }
      if (this.newest === null || compareIds(id, this.newest) > 0) this.newest = id;
    }
    if (typeof s.visibility === 'string' && !this.options.visibilities.includes(s.visibility as never)) {
      tally.discard('not_public');
      return;
    }
    try {
      this.batcher.post(toPost(statusToInput(s, this.instance), this.now(), this.onLimit));
    } catch (e) {
      const code = e instanceof InvalidPostError ? e.code : 'invalid_post';
      tally.discard(code);
      this.batcher.reject({ raw, code, reason: (e as Error).message, source });
    }
  }

  /** Fetches the statuses newer than `minId` from the REST timeline, oldest first. */
  private async backfill(minId: string, signal: AbortSignal): Promise<void> {
    let cursor = minId;
    let fetched = 0;
    for (let page = 0; page < this.options.backfillPages; page++) {
      const url = this.timelineUrl(cursor);
      const res = await fetch(url, { headers: this.headers('application/json'), signal });
      if (!res.ok) throw statusError(res.status, `Mastodon timeline at ${url.host}`, await res.text().catch(() => ''));
      const body: unknown = await res.json();
      if (!Array.isArray(body)) throw new SourceConnectError('protocol', 'the timeline answer is not a JSON array', true);
      if (!body.length) { this.log.info({ fetched }, 'filled the gap from the REST timeline'); return; }
      const tally = new Tally(this.metrics, this.options.id);
      const statuses = body.filter((x): x is Status => !!x && typeof x === 'object');
      statuses.sort((a, b) => compareIds(str(a.id) ?? '', str(b.id) ?? ''));
      for (const st of statuses) {
        tally.received++;
        this.acceptStatus(st, JSON.stringify(st), `${this.options.id}:backfill`, tally);
        const id = str(st.id);
        if (id && compareIds(id, cursor) > 0) cursor = id;
      }
      tally.emit();
      fetched += statuses.length;
      await Promise.race([this.batcher.room(), aborted(signal)]);
      if (signal.aborted) return;
      if (body.length < this.options.pageSize) { this.log.info({ fetched }, 'filled the gap from the REST timeline'); return; }
    }
    this.log.warn({ fetched, pages: this.options.backfillPages }, 'gap larger than the backfill limit: older missed statuses are not fetched');
  }
}
