// Erasure, the applying side. Every sink process reads the whole compacted `erasures` topic
// into an ErasureSet and keeps tailing it; the posts and alerts sinks drop the rows of erased
// posts and authors (and redact alert samples that point at erased posts) before inserting,
// so no replay of `posts` or `alerts` brings them back. Rows already in ClickHouse are removed
// by mutations (ALTER … DELETE / UPDATE), issued by one consumer group over the topic.
//
// Ordering: a sink inserts a batch, then catches up with the topic's end and applies to the
// rows it just wrote any erasure it had not seen when it filtered them, before committing.
// An erasure acknowledged before that catch-up is applied by the sink; one acknowledged
// later is applied by the erasure consumer, whose mutation then covers the inserted rows.
// Either way the erasure wins, even when it was requested before the post reached the sink.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { exitOnFatalCrash } from '../../lib/kafka/client.js';
import { topicOffsets } from '../../lib/kafka/offsets.js';
import type { Logger } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { Store } from '../../lib/clickhouse/client.js';
import { alterTarget } from '../../lib/clickhouse/ddl.js';
import { erasureCodec, type Erasure } from '../../schemas/erasure.js';
import { ErasureProducer } from '../../lib/kafka/erasures.js';
import { chTime, ident, quote } from '../../lib/clickhouse/sql.js';

type Rows = Map<string, Record<string, unknown>[]>;
interface Ref { platform: string; id: string }

/**
 * Erased posts and authors, in the order learned (`version` counts them). Pure. The keys are
 * kept for good (every row is filtered against them); the requests themselves only while a
 * batch in flight may still ask for them (`since`): the newest `keep`, so that a sink that
 * learns every Bluesky delete does not hold each full record forever.
 */
export class ErasureSet {
  private readonly posts = new Set<string>();
  private readonly authors = new Set<string>();
  private entries: Erasure[] = [];
  /** How many requests were dropped from the front of `entries`. */
  private base = 0;

  constructor(private readonly keep = 10_000) {}

  get version(): number { return this.base + this.entries.length; }
  get size(): { post: number; author: number } { return { post: this.posts.size, author: this.authors.size }; }

  /** Adds a request; false when the post or author was already erased. */
  add(e: Erasure): boolean {
    const set = e.kind === 'post' ? this.posts : this.authors;
    const key = `${e.platform}:${e.id}`;
    if (set.has(key)) return false;
    set.add(key);
    this.entries.push(e);
    if (this.entries.length >= 2 * this.keep) {
      const drop = this.entries.length - this.keep;
      this.entries = this.entries.slice(drop);
      this.base += drop;
    }
    return true;
  }

  /** The requests learned after `version`; null when some of them are no longer held (ask `concerning` instead). */
  since(version: number): Erasure[] | null { return version >= this.base ? this.entries.slice(version - this.base) : null; }

  /** Every erased post or author a row of `tables` belongs to (posts by id or author; alerts by sample), as requests to apply. */
  concerning(tables: Rows): Erasure[] {
    const hit = new Map<string, Erasure>();
    const note = (kind: 'post' | 'author', platform: string, id: string) =>
      hit.set(`${kind}:${platform}:${id}`, { kind, platform, id, requested_at: 0, source: 'sink', derived: false });
    for (const r of tables.get('posts') ?? []) {
      const [platform, id, author] = [String(r.platform), String(r.id), String(r.author_id)];
      if (this.postErased(platform, id)) note('post', platform, id);
      if (this.authorErased(platform, author)) note('author', platform, author);
    }
    for (const r of tables.get('alerts') ?? []) {
      redactSamples(String(r.samples), (x) => { if (this.postErased(x.platform, x.id)) note('post', x.platform, x.id); return false; });
    }
    return [...hit.values()];
  }

  postErased(platform: string, id: string): boolean { return this.posts.has(`${platform}:${id}`); }
  authorErased(platform: string, authorId: string): boolean { return this.authors.has(`${platform}:${authorId}`); }
}

/** An alert row's `samples` (JSON) without the posts `erased` says are gone; the same text when none is. */
export function redactSamples(samples: string, erased: (r: Ref) => boolean): string {
  let refs: Ref[];
  try { refs = JSON.parse(samples) as Ref[]; } catch { return samples; }
  if (!Array.isArray(refs) || !refs.some((r) => erased(r))) return samples;
  return JSON.stringify(refs.filter((r) => !erased(r)));
}

/**
 * The batch without erased rows: `posts` rows of erased posts or authors dropped, `alerts`
 * samples redacted; other tables untouched. `derived` are post erasures to record for posts
 * dropped only because their author is erased (so that alert samples and replays know them).
 */
export function filterErased(tables: Rows, set: ErasureSet): { tables: Rows; dropped: number; derived: Ref[] } {
  const out: Rows = new Map();
  let dropped = 0;
  const derived: Ref[] = [];
  for (const [table, rows] of tables) {
    if (table === 'posts') {
      out.set(table, rows.filter((r) => {
        const [platform, id] = [String(r.platform), String(r.id)];
        if (set.postErased(platform, id)) { dropped++; return false; }
        if (set.authorErased(platform, String(r.author_id))) { dropped++; derived.push({ platform, id }); return false; }
        return true;
      }));
    } else if (table === 'alerts') {
      out.set(table, rows.map((r) => {
        const samples = redactSamples(String(r.samples), (s) => set.postErased(s.platform, s.id));
        return samples === r.samples ? r : { ...r, samples };
      }));
    } else {
      out.set(table, rows);
    }
  }
  return { tables: out, dropped, derived };
}

/** The requests among `entries` that concern a row of `tables` (posts by id or author; alerts by sample). */
export function concerning(entries: readonly Erasure[], tables: Rows): Erasure[] {
  if (!entries.length) return [];
  const set = new ErasureSet(Infinity);
  for (const e of entries) set.add(e);
  const hit = new Set(set.concerning(tables).map((e) => `${e.kind}:${e.platform}:${e.id}`));
  return entries.filter((e) => hit.has(`${e.kind}:${e.platform}:${e.id}`));
}

const tuples = (refs: readonly Ref[]) => refs.map((r) => `(${quote(r.platform)}, ${quote(r.id)})`).join(', ');

/** The `posts` rows of posts erased by id and of every post of erased authors, as a WHERE condition; null when there are none. */
export function erasedPostsWhere(posts: readonly Ref[], authors: readonly Ref[]): string | null {
  const where = [
    ...(posts.length ? [`(platform, id) IN (${tuples(posts)})`] : []),
    ...(authors.length ? [`(platform, author_id) IN (${tuples(authors)})`] : []),
  ];
  return where.length ? where.join(' OR ') : null;
}

/** `ALTER TABLE … UPDATE` giving each alert row (by event id) its redacted samples; null when none changed. */
export function alertsUpdateSql(target: string, redacted: ReadonlyMap<string, string>): string | null {
  if (!redacted.size) return null;
  const cases = [...redacted].map(([id, samples]) => `id = ${quote(id)}, ${quote(samples)}`).join(', ');
  return `ALTER TABLE ${target} UPDATE samples = multiIf(${cases}, samples) WHERE id IN (${[...redacted.keys()].map(quote).join(', ')})`;
}

export interface ErasuresOptions {
  topic: string;
  /** Consumer group prefix: the erasure consumer is `<group>-sink-erasures`. */
  group: string;
  store: Store;
  database: string;
  cluster?: string;
  metrics: Metrics;
  log: Logger;
  /** Longest a sink waits for the erasure reader to reach the topic's end before failing its batch. */
  catchUpMs?: number;
}

const CHUNK = 200;

/**
 * The erasure set of this process and the erasure consumer. `start` returns once every
 * request already on the topic is known; sinks then call `filter` before and `settle` after
 * each insert. `startApplying` then starts the erasure consumer beside the sinks.
 */
export class Erasures {
  readonly set = new ErasureSet();
  private readonly reader: Consumer;
  private readonly applier: Consumer;
  private readonly admin: Admin;
  private readonly producer: ErasureProducer;
  /** Next offset to read, per partition of the topic. */
  private readonly position = new Map<number, bigint>();
  private running = false;

  constructor(kafka: Kafka, private readonly o: ErasuresOptions) {
    // Every process reads every request: a group of its own, never committed (it starts from the beginning each time).
    this.reader = kafka.consumer({ groupId: `${o.group}-erasure-set-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    this.applier = kafka.consumer({ groupId: `${o.group}-sink-erasures`, allowAutoTopicCreation: false });
    this.admin = kafka.admin();
    this.producer = new ErasureProducer(kafka, o.topic, o.metrics);
  }

  get ready(): boolean { return this.running; }

  async start(): Promise<void> {
    await Promise.all([this.admin.connect(), this.producer.start()]);
    const codec = erasureCodec();
    exitOnFatalCrash(this.reader, this.o.log);
    await this.reader.connect();
    await this.reader.subscribe({ topic: this.o.topic, fromBeginning: true });
    await this.reader.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (!m.value) continue;
          try { this.set.add(codec.decode(m.value)); } catch (e) {
            this.o.metrics.errors.inc({ component_kind: 'sink', component_id: 'erasures', error_type: 'decode', stage: 'receiving' });
            this.o.log.error({ err: e, offset: m.offset }, 'undecodable erasure request skipped');
          }
        }
        this.position.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
        this.o.metrics.erasureEntries.set({ kind: 'post' }, this.set.size.post);
        this.o.metrics.erasureEntries.set({ kind: 'author' }, this.set.size.author);
      },
    });
    await this.caughtUp(120_000);
  }

  /** Starts the erasure consumer (joins its group beside the sinks: after a crash that can wait out a session). */
  async startApplying(): Promise<void> {
    const codec = erasureCodec();
    exitOnFatalCrash(this.applier, this.o.log);
    await this.applier.connect();
    await this.applier.subscribe({ topic: this.o.topic, fromBeginning: true });
    await this.applier.run({
      autoCommit: true, eachBatchAutoResolve: true,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const entries = batch.messages.flatMap((m) => { try { return m.value ? [codec.decode(m.value)] : []; } catch { return []; } });
        for (const e of entries) this.set.add(e);
        try {
          await this.audit(entries);
          await this.apply(entries);
        } catch (e) {
          this.o.metrics.errors.inc({ component_kind: 'sink', component_id: 'erasures', error_type: 'clickhouse', stage: 'sending' });
          this.o.log.warn({ err: e, requests: entries.length }, 'could not apply erasure requests; retrying them');
          throw e;
        }
      },
    });
    this.running = true;
  }

  /** Resolves once this process knows every request acknowledged before the call; throws after `catchUpMs`. */
  async caughtUp(timeoutMs = this.o.catchUpMs ?? 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const ends = await topicOffsets(this.admin, this.o.topic);
    const behind = () => ends.some((p) => BigInt(p.high) > BigInt(p.low) && (this.position.get(p.partition) ?? 0n) < BigInt(p.high));
    while (behind()) {
      if (Date.now() > until) throw new Error(`the erasure reader did not reach the end of ${this.o.topic} within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** The batch without erased rows (see filterErased); records the derived post erasures before returning. */
  async filter(tables: Rows): Promise<{ tables: Rows; dropped: number }> {
    const f = filterErased(tables, this.set);
    await this.record(f.derived);
    return { tables: f.tables, dropped: f.dropped };
  }

  /**
   * After an insert of `tables` that was filtered with the set at `version`: catches up with
   * the topic and applies to ClickHouse the newer requests that concern those rows.
   */
  async settle(tables: Rows, version: number): Promise<void> {
    await this.caughtUp();
    // A batch that took longer than `keep` new requests (rare): check its rows against every key instead.
    const recent = this.set.since(version);
    const late = recent ? concerning(recent, tables) : this.set.concerning(tables);
    if (late.length) {
      this.o.log.info({ requests: late.length }, 'erasure requested while its rows were being written; applying it to them');
      await this.apply(late);
    }
  }

  /**
   * Removes the rows of `entries` from ClickHouse: posts by id and by author, and alert
   * samples pointing at them. Posts of an erased author found in ClickHouse are recorded as
   * post erasures first, so their alert samples can be found now and after any replay.
   */
  async apply(entries: readonly Erasure[]): Promise<void> {
    const db = ident(this.o.database);
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk = entries.slice(i, i + CHUNK);
      const direct = chunk.filter((e) => !e.derived);
      const authors = direct.filter((e) => e.kind === 'author');
      const refs: Ref[] = chunk.filter((e) => e.kind === 'post');
      if (authors.length) {
        const stored = await (await this.o.store.query({ query: `SELECT DISTINCT platform, id FROM ${db}.posts WHERE (platform, author_id) IN (${tuples(authors)})`, format: 'JSONEachRow' })).json<Ref>();
        await this.record(stored);
        refs.push(...stored);
      }
      // Derived posts went with their author's delete (or never reached ClickHouse): only their samples remain.
      // A mutation rewrites whole parts, so it is issued only when there is something to delete (not on a re-read of old requests).
      const where = erasedPostsWhere(direct.filter((e) => e.kind === 'post'), authors);
      if (where && await this.count(`${db}.posts`, where) > 0) await this.o.store.command({ query: `ALTER TABLE ${alterTarget(db, 'posts', this.o.cluster)} DELETE WHERE ${where}` });
      await this.redactAlerts(refs);
      for (const e of direct) this.o.metrics.erasureApplied.inc({ kind: e.kind });
    }
  }

  /** Stores who asked for each request, when and why, in `erasure_requests` (derived post erasures are no requests). */
  private async audit(entries: readonly Erasure[]): Promise<void> {
    const rows = entries.filter((e) => !e.derived).map((e) => ({
      requested_at: chTime(e.requested_at), kind: e.kind, platform: e.platform, id: e.id, source: e.source, actor: e.actor ?? '', reason: e.reason ?? '',
    }));
    if (rows.length) await this.o.store.insert({ table: `${ident(this.o.database)}.erasure_requests`, values: rows, format: 'JSONEachRow' });
  }

  private async count(table: string, where: string): Promise<number> {
    const [row] = await (await this.o.store.query({ query: `SELECT toString(count()) AS n FROM ${table} WHERE ${where}`, format: 'JSONEachRow' })).json<{ n: string }>();
    return Number(row?.n ?? 0);
  }

  private async redactAlerts(refs: readonly Ref[]): Promise<void> {
    if (!refs.length) return;
    const db = ident(this.o.database);
    const erased = new Set(refs.map((r) => `${r.platform}:${r.id}`));
    const needles = refs.map((r) => quote(JSON.stringify({ platform: r.platform, id: r.id }))).join(', ');
    const rows = await (await this.o.store.query({
      query: `SELECT id, any(samples) AS s FROM ${db}.alerts WHERE arrayExists(n -> position(samples, n) > 0, [${needles}]) GROUP BY id`, format: 'JSONEachRow',
    })).json<{ id: string; s: string }>();
    const redacted = new Map(rows.map((r) => [r.id, redactSamples(r.s, (s) => erased.has(`${s.platform}:${s.id}`))]));
    const sql = alertsUpdateSql(alterTarget(db, 'alerts', this.o.cluster), redacted);
    if (sql) await this.o.store.command({ query: sql });
  }

  /** Writes post erasures for posts of erased authors that the set does not know yet. */
  private async record(posts: readonly Ref[]): Promise<void> {
    const now = Date.now();
    const fresh = posts.filter((p) => !this.set.postErased(p.platform, p.id))
      .map((p): Erasure => ({ kind: 'post', platform: p.platform, id: p.id, requested_at: now, source: 'sink', derived: true }));
    if (!fresh.length) return;
    await this.producer.send(fresh);
    for (const e of fresh) this.set.add(e);
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.all([this.applier.disconnect(), this.reader.disconnect(), this.producer.close(), this.admin.disconnect()]);
  }
}
