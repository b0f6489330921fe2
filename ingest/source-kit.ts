// Shared machinery of the streaming sources (mastodon, jetstream): the reconnect cycle, a bounded set of recently seen keys for dropping replayed events, per-batch
// metric tallies, and the batcher that hands posts on in batches with backpressure.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/log.js';
import { Backoff } from '../lib/retry.js';
import type { Metrics } from '../lib/metrics.js';
import { LANG_TAG } from '../schemas/normalise.js';
import type { Post } from '../schemas/post.js';
import type { Rejected } from '../schemas/dlq.js';

/** Where a source hands its output. Both callbacks may be retried with the same arguments. */
export interface SourceOutput {
  /** Receives a batch; resolves once the batch is durable (e.g. acknowledged by Kafka). */
  onPosts: (posts: Post[], rejected: Rejected[]) => Promise<void>;
  /** A post deleted at its source (erasure is wired elsewhere); called after the batch before it. */
  onDelete?: (platform: string, id: string) => Promise<void> | void;
}

/** A set of the most recent keys, evicting the oldest beyond `capacity`. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}

  has(key: string): boolean { return this.keys.has(key); }

  /** Adds a key; returns false when it was already present (a duplicate). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    return true;
  }

  get size(): number { return this.keys.size; }
}

/** Counts per network read, emitted to Prometheus once per read (never per event). */
export class Tally {
  received = 0;
  private readonly discarded = new Map<string, number>();
  constructor(private readonly metrics: Metrics, private readonly id: string) {}

  discard(reason: string): void { this.discarded.set(reason, (this.discarded.get(reason) ?? 0) + 1); }

  emit(): void {
    const labels = { component_kind: 'source', component_id: this.id };
    if (this.received) this.metrics.received.inc(labels, this.received);
    for (const [reason, n] of this.discarded) this.metrics.discarded.inc({ ...labels, reason }, n);
    this.received = 0;
    this.discarded.clear();
  }
}

type Item =
  | { kind: 'post'; post: Post; pos: number }
  | { kind: 'reject'; rejected: Rejected; pos: number }
  | { kind: 'delete'; platform: string; id: string; pos: number };

export interface BatcherOptions extends SourceOutput {
  id: string;
  /** Most items (posts, rejects, deletions) in one callback. */
  maxItems: number;
  /** Longest an item waits before its batch is handed on. */
  maxWaitMs: number;
  /** Items held before `full` asks the source to stop reading. */
  maxPending: number;
  retry: { initialMs: number; maxMs: number };
  metrics: Metrics;
  log: Logger;
}

/**
 * Collects a source's output and hands it on in order, one batch at a time. A failed
 * callback is retried with backoff (the batch is kept: nothing is dropped) while the source,
 * seeing `full`, stops reading. `committed` is the position (a source-defined number, e.g.
 * Jetstream's time_us) up to which everything has been handed on.
 */
export class Batcher {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private waiters: (() => void)[] = [];
  private tailPos = -Infinity;
  private committedPos = -Infinity;
  private deadline = Infinity;
  private readonly abort = new AbortController();

  constructor(private readonly o: BatcherOptions) {}

  get pending(): number { return this.queue.length; }
  get full(): boolean { return this.queue.length >= this.o.maxPending; }
  /** Position up to which every item was handed on (-Infinity before the first). */
  get committed(): number { return this.committedPos; }

  post(post: Post, pos = -Infinity): void { this.push({ kind: 'post', post, pos }); }
  reject(rejected: Rejected, pos = -Infinity): void { this.push({ kind: 'reject', rejected, pos }); }
  delete(platform: string, id: string, pos = -Infinity): void { this.push({ kind: 'delete', platform, id, pos }); }

  /** Records progress past events that produce no output (duplicates, ignored events). */
  advance(pos: number): void {
    this.tailPos = Math.max(this.tailPos, pos);
    if (!this.queue.length && !this.flushing) this.committedPos = Math.max(this.committedPos, this.tailPos);
  }

  /** Resolves when the source may read again (fewer than maxPending items held). */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hands on everything held now; resolves when it is done (or the close deadline passed). */
  async flush(): Promise<void> {
    while (this.queue.length && !this.expired()) {
      if (!this.flushing) this.flushing = this.drain().finally(() => { this.flushing = null; });
      await this.flushing;
    }
  }

  /**
   * Flushes what is held, retrying failures until `deadlineMs` from now; returns by then even
   * if the output hangs, and logs what could not be handed on.
   */
  async close(deadlineMs: number): Promise<void> {
    this.deadline = Date.now() + deadlineMs;
    let stop: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => { stop = setTimeout(() => { this.abort.abort(); resolve(); }, deadlineMs); });
    try {
      if (this.timer) { clearTimeout(this.timer); this.timer = null; }
      await Promise.race([this.flush(), expired]);
    } finally {
      clearTimeout(stop);
      for (const w of this.waiters.splice(0)) w();
    }
    if (this.queue.length) {
      this.o.log.error({ lost: this.queue.length }, 'shutdown deadline passed before the source could hand on its last batch');
    }
  }

  private expired(): boolean { return Date.now() >= this.deadline; }

  private push(item: Item): void {
    this.queue.push(item);
    this.tailPos = Math.max(this.tailPos, item.pos);
    if (this.queue.length >= this.o.maxItems) {
      if (!this.flushing) void this.flush().catch(() => {});
    } else if (!this.timer && !this.flushing) {
      this.timer = setTimeout(() => { this.timer = null; void this.flush().catch(() => {}); }, this.o.maxWaitMs);
    }
  }

  private async drain(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const backoff = new Backoff(this.o.retry);
    const labels = { component_kind: 'source', component_id: this.o.id };
    while (this.queue.length) {
      const chunk = this.queue.slice(0, this.o.maxItems);
      const posts: Post[] = [];
      const rejected: Rejected[] = [];
      const deletes: { platform: string; id: string }[] = [];
      for (const it of chunk) {
        if (it.kind === 'post') posts.push(it.post);
        else if (it.kind === 'reject') rejected.push(it.rejected);
        else deletes.push(it);
      }
      const t0 = performance.now();
      try {
        if (posts.length || rejected.length) await this.o.onPosts(posts, rejected);
        for (const d of deletes) await this.o.onDelete?.(d.platform, d.id);
      } catch (e) {
        this.o.metrics.errors.inc({ ...labels, error_type: 'delivery', stage: 'sending' });
        if (this.expired()) return;
        const delay = backoff.next();
        this.o.log.warn({ err: e, items: chunk.length, retryInMs: delay }, 'could not hand on a batch; retrying it');
        try { await sleep(Math.min(delay, Math.max(0, this.deadline - Date.now())), undefined, { signal: this.abort.signal }); } catch { return; }
        continue;
      }
      backoff.reset();
      this.queue.splice(0, chunk.length);
      if (posts.length) this.o.metrics.sent.inc(labels, posts.length);
      this.o.metrics.batchSeconds.observe(labels, (performance.now() - t0) / 1000);
      const lastPos = chunk.reduce((m, it) => Math.max(m, it.pos), -Infinity);
      this.committedPos = Math.max(this.committedPos, this.queue.length ? lastPos : Math.max(lastPos, this.tailPos));
      if (!this.full) for (const w of this.waiters.splice(0)) w();
    }
  }
}

/** Resolves when `signal` aborts (for racing a wait against a stop). */
export function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Sleeps `ms`, or returns early (false) when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try { await sleep(ms, undefined, { signal }); return true; } catch { return false; }
}

/** A connection failure: `retryable` false for answers that retrying will not change (bad token, wrong stream). */
export class SourceConnectError extends Error {
  constructor(readonly code: 'unauthorized' | 'not_found' | 'bad_request' | 'unavailable' | 'timeout' | 'network' | 'protocol', message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceConnectError';
  }
}

/** Classifies an HTTP status answered to a streaming connection. */
export function statusError(status: number, what: string, detail = ''): SourceConnectError {
  const suffix = detail ? `: ${detail.slice(0, 200)}` : '';
  if (status === 401 || status === 403) return new SourceConnectError('unauthorized', `${what} answered ${status}: check the access token${suffix}`, false);
  if (status === 404) return new SourceConnectError('not_found', `${what} answered 404: check the URL and the stream (tag, list id)${suffix}`, false);
  if (status === 400 || status === 422) return new SourceConnectError('bad_request', `${what} answered ${status}${suffix}`, false);
  return new SourceConnectError('unavailable', `${what} answered ${status}${suffix}`, true);
}

/** Keeps `value` only when it is a language tag toPost accepts (an odd tag must not cost the post). */
export function languageTag(value: unknown): string | null {
  return typeof value === 'string' && LANG_TAG.test(value) ? value : null;
}

/** What every streaming source's options carry (each source's own schema has these fields). */
export interface StreamingOptions {
  id: string;
  batchMaxPosts: number;
  batchMaxMs: number;
  maxPending: number;
  reconnect: { initialMs: number; maxMs: number };
}

/** Where a streaming source hands its output, and its telemetry. */
export interface SourceDeps extends SourceOutput {
  metrics: Metrics;
  log: Logger;
  /** The ingest clock (future-timestamp rule); tests pin it. */
  now?: () => number;
  /** Jitter source; tests pin it. */
  random?: () => number;
}

/**
 * The start/reconnect/close cycle every streaming source shares, and its batcher: connect, read
 * until the connection ends, back off (reset after a productive connection), again, until closed.
 * A source supplies one connection (`connectOnce`) and hands posts to `batcher`.
 */
export abstract class StreamingSource<O extends StreamingOptions> {
  readonly options: O;
  protected readonly metrics: Metrics;
  protected readonly log: Logger;
  protected readonly now: () => number;
  protected readonly batcher: Batcher;
  protected readonly backoff: Backoff;
  protected readonly stop = new AbortController();
  protected isConnected = false;
  private loop: Promise<void> | null = null;

  /** `peer` names the other end in logs, e.g. `Jetstream`. */
  constructor(private readonly peer: string, options: O, deps: SourceDeps) {
    this.options = options;
    this.metrics = deps.metrics;
    this.log = deps.log.child({ component: options.id });
    this.now = deps.now ?? Date.now;
    this.backoff = new Backoff({ ...options.reconnect, random: deps.random });
    this.batcher = new Batcher({
      id: options.id, maxItems: options.batchMaxPosts, maxWaitMs: options.batchMaxMs, maxPending: options.maxPending,
      retry: options.reconnect, onPosts: deps.onPosts, onDelete: deps.onDelete, metrics: deps.metrics, log: this.log,
    });
  }

  /** True while a connection is open. */
  get connected(): boolean { return this.isConnected; }

  /** Counts the hashtags and mentions of a post that the per-post limits dropped. */
  protected readonly onLimit = (limit: 'hashtags' | 'mentions', dropped: number): void => { this.metrics.limitDropped.inc({ limit }, dropped); };

  /**
   * Starts streaming in the background. Resolves after the first connection attempt: when
   * connected, or when it failed in a way worth retrying (retries go on; `connected` tells).
   * Rejects with a SourceConnectError when the peer refuses for good (bad token, no such stream).
   */
  start(): Promise<void> {
    if (this.loop) throw new Error(`${this.peer} source already started`);
    return new Promise((resolve, reject) => {
      this.loop = this.run((e) => (e && !e.retryable ? reject(e) : resolve()));
    });
  }

  /** Stops reading and reconnecting, then hands on what is held; returns within `deadlineMs`. */
  async close(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    this.stop.abort();
    this.interrupt();
    await this.loop;
    await this.batcher.close(Math.max(0, until - Date.now()));
  }

  /** One connection: resolves when it ends (true if it delivered anything), rejects when it fails. */
  protected abstract connectOnce(onConnected: () => void): Promise<boolean>;
  /** Ends the open connection at once (on close), where aborting `stop` alone does not. */
  protected interrupt(): void {}
  /** Extra fields for the reconnect log line (e.g. the cursor). */
  protected logContext(): Record<string, unknown> { return {}; }

  private async run(first: (e: SourceConnectError | null) => void): Promise<void> {
    let reported = false;
    const report = (e: SourceConnectError | null) => { if (!reported) { reported = true; first(e); } };
    const signal = this.stop.signal;
    while (!signal.aborted) {
      let productive = false;
      try {
        productive = await this.connectOnce(() => report(null));
      } catch (e) {
        const err = e instanceof SourceConnectError ? e : new SourceConnectError('network', (e as Error).message, true, { cause: e });
        if (signal.aborted) break;
        this.metrics.errors.inc({ component_kind: 'source', component_id: this.options.id, error_type: 'connection', stage: 'receiving' });
        if (!reported && !err.retryable) { report(err); this.log.error({ err }, `${this.peer} refused the connection; not retrying`); break; }
        report(err);
        if (err.retryable) this.log.warn({ err, code: err.code }, `${this.peer} connection failed`);
        else this.log.error({ err, code: err.code }, `${this.peer} refused the connection; retrying in case it was temporary`);
      }
      if (signal.aborted) break;
      if (productive) this.backoff.reset();
      const delay = this.backoff.next();
      this.log.info({ delayMs: delay, attempt: this.backoff.attempts, ...this.logContext() }, `reconnecting to ${this.peer}`);
      await pause(delay, signal);
    }
    report(null);
  }
}
