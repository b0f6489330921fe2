// Bluesky source: Jetstream (WebSocket, one JSON event per message) mapped to the Post of
// CONTRACTS §2. It tracks the cursor (time_us of the last event read) and after a
// reconnect resumes a little before it, dropping the events it already saw: no gaps, no
// duplicates. Deletions surface through onDelete; erasure is wired elsewhere.
import WebSocket from 'ws';
import { z } from 'zod';
import { extractHashtags } from '../schemas/normalise.js';
import { InvalidPostError, toPost } from '../schemas/post.js';
import {
  languageTag, RecentKeys, SourceConnectError, statusError, StreamingSource, Tally, type SourceDeps,
} from './source-kit.js';

export const POST_COLLECTION = 'app.bsky.feed.post';

export const JetstreamOptionsSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,40}$/).default('jetstream').describe('component_id of this source in metrics and logs'),
  url: z.url({ protocol: /^wss?$/ }).default('wss://jetstream2.us-east.bsky.network/subscribe').describe('Jetstream subscribe endpoint'),
  wantedDids: z.array(z.string().regex(/^did:[a-z]+:[A-Za-z0-9._:%-]+$/, 'must be a DID')).max(10_000).default([])
    .describe('Only these accounts (empty: everyone)'),
  cursor: z.number().int().nonnegative().optional().describe('time_us of the last event processed by a previous run (see committedCursor)'),
  overlapMs: z.number().int().min(0).max(60_000).default(2000).describe('How far before the cursor a reconnect resumes; replayed events are dropped'),
  batchMaxPosts: z.number().int().positive().default(500),
  batchMaxMs: z.number().int().positive().default(200),
  maxPending: z.number().int().positive().default(5000).describe('Held items before reading pauses (backpressure)'),
  reconnect: z.object({
    initialMs: z.number().int().positive().default(1000),
    maxMs: z.number().int().positive().default(60_000),
  }).strict().prefault({}),
  heartbeatMs: z.number().int().positive().default(15_000).describe('Ping interval; a connection silent for a whole interval (no event, no pong) is dropped'),
  connectTimeoutMs: z.number().int().positive().default(15_000),
  recentEvents: z.number().int().positive().default(50_000).describe('Event keys remembered to drop replays (must cover the overlap)'),
  maxMessageBytes: z.number().int().positive().default(1 << 20),
}).strict().refine((o) => o.reconnect.initialMs <= o.reconnect.maxMs, { path: ['reconnect', 'initialMs'], message: 'must not exceed reconnect.maxMs' });

export type JetstreamOptions = z.output<typeof JetstreamOptionsSchema>;
export type JetstreamOptionsInput = z.input<typeof JetstreamOptionsSchema>;

export type JetstreamSourceOptions = JetstreamOptionsInput & SourceDeps;

// ---------------------------------------------------------------------------------------
// Event → Post input (pure)

interface Facet { index?: { byteStart?: unknown; byteEnd?: unknown }; features?: { $type?: unknown; tag?: unknown; did?: unknown }[] }
export interface PostRecord {
  text?: unknown; createdAt?: unknown; langs?: unknown; facets?: unknown; tags?: unknown;
  reply?: { parent?: { uri?: unknown }; root?: { uri?: unknown } };
}
export interface JetstreamEvent {
  did?: unknown; time_us?: unknown; kind?: unknown;
  commit?: { rev?: unknown; operation?: unknown; collection?: unknown; rkey?: unknown; record?: PostRecord; cid?: unknown };
  identity?: { did?: unknown; handle?: unknown };
}

/** The at-uri of a record: the post id on platform `bluesky`. */
export const atUri = (did: string, collection: string, rkey: string): string => `at://${did}/${collection}/${rkey}`;

/** The DID of an at-uri (`at://did:plc:x/app.bsky.feed.post/k` → `did:plc:x`). */
const didOf = (uri: unknown): string | null => (typeof uri === 'string' ? /^at:\/\/(did:[^/]+)\//.exec(uri)?.[1] ?? null : null);

/** Facet byte ranges are UTF-8 offsets into the text, not JavaScript string indices. */
function byteSlice(bytes: Buffer, start: unknown, end: unknown): string | null {
  if (typeof start !== 'number' || typeof end !== 'number' || !Number.isInteger(start) || !Number.isInteger(end)) return null;
  if (start < 0 || end > bytes.length || start >= end) return null;
  return bytes.subarray(start, end).toString('utf8');
}

/**
 * Maps an `app.bsky.feed.post` record to the Post input of CONTRACTS §2. Hashtags come from
 * tag facets, the record's outline tags and the text (by the CONTRACTS grammar); mentions from
 * mention facets as written (`@alice.bsky.social`). `handles` knows DIDs' handles (from
 * mention facets and identity events) for the author and the author replied to.
 */
export function recordToInput(did: string, rkey: string, record: PostRecord, handles: ReadonlyMap<string, string> = new Map()): { input: Record<string, unknown>; learned: [string, string][] } {
  const text = record.text;
  const tags: string[] = [];
  const mentions: string[] = [];
  const learned: [string, string][] = [];
  if (typeof text === 'string' && Array.isArray(record.facets)) {
    const bytes = Buffer.from(text, 'utf8');
    for (const f of record.facets as Facet[]) {
      for (const feat of Array.isArray(f?.features) ? f.features : []) {
        if (feat?.$type === 'app.bsky.richtext.facet#tag' && typeof feat.tag === 'string') tags.push(feat.tag);
        if (feat?.$type === 'app.bsky.richtext.facet#mention') {
          const written = byteSlice(bytes, f.index?.byteStart, f.index?.byteEnd);
          if (written?.startsWith('@')) {
            mentions.push(written);
            if (typeof feat.did === 'string') learned.push([feat.did, written]);
          }
        }
      }
    }
  }
  if (Array.isArray(record.tags)) for (const t of record.tags) if (typeof t === 'string') tags.push(t);
  const known = new Map([...handles, ...learned]);
  const parentDid = didOf(record.reply?.parent?.uri);
  const langs = Array.isArray(record.langs) ? record.langs : [];
  return {
    learned,
    input: {
      id: atUri(did, POST_COLLECTION, rkey),
      platform: 'bluesky',
      created_at: record.createdAt,
      author: { id: did, handle: known.get(did) ?? null, followers: null, created_at: null },
      text,
      lang: languageTag(langs[0]),
      reply_to: typeof record.reply?.parent?.uri === 'string' ? record.reply.parent.uri : null,
      reply_to_author: parentDid ? known.get(parentDid) ?? null : null,
      repost_of: null,
      hashtags: [...new Set([...tags, ...(typeof text === 'string' ? extractHashtags(text) : [])])].slice(0, 100),
      // Without facets the client marked nothing: let toPost find mentions in the text.
      ...(Array.isArray(record.facets) ? { mentions: [...new Set(mentions)].slice(0, 100) } : {}),
      metrics: { likes: 0, reposts: 0, replies: 0 },
    },
  };
}

/** A key naming one Jetstream event, for dropping the ones a resumed connection replays. */
export function eventKey(e: JetstreamEvent): string {
  const c = e.commit;
  return `${String(e.time_us)}|${String(e.did)}|${String(e.kind)}|${c ? `${String(c.rev)}|${String(c.operation)}|${String(c.collection)}|${String(c.rkey)}` : ''}`;
}

// ---------------------------------------------------------------------------------------
// The source

/**
 * Streams Jetstream posts into `onPosts` batches. `start()` connects in the background;
 * `close(deadlineMs)` stops reading and hands on what it holds within the deadline.
 */
export class JetstreamSource extends StreamingSource<JetstreamOptions> {
  private readonly seen: RecentKeys;
  private readonly handles = new Map<string, string>();
  private ws: WebSocket | null = null;
  private readCursor: number | null;
  private readonly cursors: (number | null)[] = [];

  constructor(o: JetstreamSourceOptions) {
    const { onPosts, onDelete, metrics, log, now, random, ...rest } = o;
    super('Jetstream', JetstreamOptionsSchema.parse(rest), { onPosts, onDelete, metrics, log, now, random });
    this.readCursor = this.options.cursor ?? null;
    this.seen = new RecentKeys(this.options.recentEvents);
  }

  /** time_us of the newest event read (the resume point of the next reconnect, less the overlap). */
  get cursor(): number | null { return this.readCursor; }
  /** time_us up to which every event was handed on: persist it and pass it as `cursor` after a restart. */
  get committedCursor(): number | null { return Number.isFinite(this.batcher.committed) ? this.batcher.committed : null; }
  /** The cursor each connection asked for (null: live tail), for tests and logs. */
  get requestedCursors(): readonly (number | null)[] { return this.cursors; }

  /** The subscribe URL for the next connection (resuming `overlapMs` before the cursor). */
  subscribeUrl(): { url: URL; cursor: number | null } {
    const u = new URL(this.options.url);
    u.searchParams.set('wantedCollections', POST_COLLECTION);
    for (const did of this.options.wantedDids) u.searchParams.append('wantedDids', did);
    const cursor = this.readCursor === null ? null : Math.max(0, this.readCursor - this.options.overlapMs * 1000);
    if (cursor !== null) u.searchParams.set('cursor', String(cursor));
    return { url: u, cursor };
  }

  protected override interrupt(): void { this.ws?.terminate(); }

  protected override logContext(): Record<string, unknown> { return { cursor: this.readCursor }; }

  /** One connection: resolves when it closes (true if it delivered events), rejects when it fails. */
  protected connectOnce(onConnected: () => void): Promise<boolean> {
    const { url, cursor } = this.subscribeUrl();
    this.cursors.push(cursor);
    return new Promise<boolean>((resolve, reject) => {
      const ws = new WebSocket(url, {
        handshakeTimeout: this.options.connectTimeoutMs, maxPayload: this.options.maxMessageBytes,
        headers: { 'user-agent': 'trendstream (streaming source)' },
      });
      this.ws = ws;
      let productive = false;
      let failure: SourceConnectError | null = null;
      let heard = true;
      let heartbeat: NodeJS.Timeout | null = null;
      const tally = new Tally(this.metrics, this.options.id);
      const fail = (e: SourceConnectError) => { failure ??= e; ws.terminate(); };

      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { if (body.length < 500) body += c; });
        res.on('end', () => fail(statusError(res.statusCode ?? 0, `Jetstream at ${url.host}`, body)));
        res.on('error', () => fail(statusError(res.statusCode ?? 0, `Jetstream at ${url.host}`)));
      });
      ws.on('open', () => {
        this.isConnected = true;
        this.log.info({ host: url.host, cursor }, 'Jetstream connected');
        onConnected();
        heartbeat = setInterval(() => {
          if (ws.isPaused) { heard = true; return; }
          if (!heard) { fail(new SourceConnectError('timeout', `no event and no pong for ${this.options.heartbeatMs} ms`, true)); return; }
          heard = false;
          ws.ping();
        }, this.options.heartbeatMs);
      });
      ws.on('pong', () => { heard = true; });
      ws.on('message', (data: WebSocket.RawData) => {
        heard = true;
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        if (this.onMessage(buf, tally)) productive = true;
        tally.emit();
        if (this.batcher.full && !ws.isPaused) {
          ws.pause();
          void this.batcher.room().then(() => { heard = true; ws.resume(); });
        }
      });
      ws.on('error', (e) => {
        failure ??= e instanceof SourceConnectError ? e
          : /maxPayload|Max payload/i.test(e.message) ? new SourceConnectError('protocol', `a message exceeded ${this.options.maxMessageBytes} bytes`, true, { cause: e })
          : /handshake/i.test(e.message) ? new SourceConnectError('timeout', `no handshake within ${this.options.connectTimeoutMs} ms`, true, { cause: e })
          : new SourceConnectError('network', `Jetstream connection error: ${e.message}`, true, { cause: e });
      });
      ws.on('close', (code, reason) => {
        if (heartbeat) clearInterval(heartbeat);
        this.isConnected = false;
        this.ws = null;
        tally.emit();
        if (this.stop.signal.aborted) { resolve(productive); return; }
        if (failure) { reject(failure); return; }
        this.log.warn({ code, reason: reason.toString().slice(0, 200) }, 'Jetstream closed the connection');
        resolve(productive);
      });
    });
  }

  /** Handles one message; true when it was a new post or deletion event. */
  private onMessage(buf: Buffer, tally: Tally): boolean {
    tally.received++;
    const source = this.options.id;
    const reject = (code: string, reason: string, pos?: number) => {
      tally.discard(code);
      this.batcher.reject({ raw: buf, code, reason, source }, pos);
    };
    let e: JetstreamEvent;
    try {
      const parsed: unknown = JSON.parse(buf.toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) { reject('invalid_post', 'message is not a JSON object'); return false; }
      e = parsed as JetstreamEvent;
    } catch (err) {
      reject('invalid_json', `message is not valid JSON: ${(err as Error).message}`);
      return false;
    }
    const t = e.time_us;
    if (typeof e.did !== 'string' || typeof e.kind !== 'string' || typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
      reject('invalid_post', 'not a Jetstream event: needs did, kind and an integer time_us');
      return false;
    }
    if (!this.seen.add(eventKey(e))) {
      tally.discard('duplicate');
      this.batcher.advance(t);
      return false;
    }
    if (this.readCursor === null || t > this.readCursor) this.readCursor = t;
    if (e.kind === 'identity' && typeof e.identity?.handle === 'string') this.learn(e.did, `@${e.identity.handle}`);
    const c = e.commit;
    if (e.kind !== 'commit' || !c || c.collection !== POST_COLLECTION) {
      tally.discard('ignored');
      this.batcher.advance(t);
      return false;
    }
    if (typeof c.rkey !== 'string' || !/^[A-Za-z0-9._:~-]{1,512}$/.test(c.rkey)) { reject('invalid_post', 'commit without a valid rkey', t); return false; }
    if (c.operation === 'delete') {
      this.batcher.delete('bluesky', atUri(e.did, POST_COLLECTION, c.rkey), t);
      return true;
    }
    if (c.operation !== 'create') {
      // Updates: a post counts once, as first seen.
      tally.discard('ignored');
      this.batcher.advance(t);
      return false;
    }
    if (!c.record || typeof c.record !== 'object') { reject('invalid_post', 'create without a record', t); return false; }
    try {
      const { input, learned } = recordToInput(e.did, c.rkey, c.record, this.handles);
      for (const [did, handle] of learned) this.learn(did, handle);
      this.batcher.post(toPost(input, this.now(), this.onLimit), t);
    } catch (err) {
      reject(err instanceof InvalidPostError ? err.code : 'invalid_post', (err as Error).message, t);
    }
    return true;
  }

  /** Remembers a DID's handle (bounded: the oldest is forgotten first). */
  private learn(did: string, handle: string): void {
    this.handles.delete(did);
    this.handles.set(did, handle);
    if (this.handles.size > 50_000) {
      const oldest = this.handles.keys().next();
      if (!oldest.done) this.handles.delete(oldest.value);
    }
  }
}
