// `trendstream detect`: the detectors in-process over a posts file (NDJSON, `-` for stdin),
// in event time, as fast as possible; every trend, alert and impersonation event as NDJSON, in the order
// decided. Invalid lines are skipped and counted on stderr; nothing else is lost.
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { type InvalidPostError, parsePostLine, type Post } from '../schemas/post.js';
import { SingleBar } from 'cli-progress';
import { Detection, type DetectStats } from '../processors/detect.js';
import { ImpersonationDetector } from '../processors/impersonation.js';
import type { Config } from '../app/config.js';
import { openStore } from '../lib/clickhouse/client.js';
import { WatchListSchema, type Watch } from '../schemas/watches.js';
import { ident, quote, chTime } from '../lib/clickhouse/sql.js';

export class UsageError extends Error {
  readonly code = 'usage';
}

export function readWatches(file: string | undefined): Watch[] {
  if (!file) return [];
  if (!existsSync(file)) throw new UsageError(`watches file not found: ${file}`);
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new UsageError(`watches file ${file} is not valid JSON: ${(e as Error).message}`); }
  const r = WatchListSchema.safeParse(json);
  if (!r.success) throw new UsageError(`watches file ${file}: ${r.error.issues.slice(0, 3).map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
  return r.data;
}

/** Reads posts from an NDJSON file or stdin, skipping invalid lines (counted in `bad`); `bytes` tracks progress. */
export async function* readPosts(input: string, bad: { lines: number; first?: string }, bytes?: { read: number }): AsyncGenerator<Post> {
  if (input !== '-' && !existsSync(input)) throw new UsageError(`input file not found: ${input}`);
  const stream = input === '-' ? process.stdin : createReadStream(input);
  if (bytes) stream.on('data', (c: Buffer | string) => { bytes.read += c.length; });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    try { yield parsePostLine(line, Infinity); } catch (e) {
      bad.lines++;
      if (!bad.first) bad.first = `line ${n}: ${(e as InvalidPostError).message}`;
    }
  }
}

/**
 * A progress bar with rate and ETA on stderr when it is a terminal (and the input a file of
 * known size); nothing otherwise, so pipes and logs stay clean.
 */
function progress(input: string): { update(bytes: number, posts: number): void; stop(): void } {
  if (!process.stderr.isTTY || input === '-') return { update() {}, stop() {} };
  const total = statSync(input).size;
  const bar = new SingleBar({
    stream: process.stderr, format: 'detect |{bar}| {percentage}% · {posts} posts · {rate} posts/s · ETA {eta_formatted}', hideCursor: true, etaBuffer: 50,
  });
  const t0 = Date.now();
  bar.start(total, 0, { posts: 0, rate: 0 });
  return {
    update(bytes, posts) { bar.update(bytes, { posts: posts.toLocaleString('en'), rate: Math.round(posts / Math.max(0.001, (Date.now() - t0) / 1000)).toLocaleString('en') }); },
    stop() { bar.update(total); bar.stop(); },
  };
}

/**
 * Posts of a past time range from ClickHouse `posts` (deduplicated), in event-time order:
 * backtesting what a setting would have raised. Values are validated, then quoted.
 */
export async function* readPostsFromStore(config: Config, from: number, to: number): AsyncGenerator<Post> {
  const store = openStore(config.clickhouse);
  try {
    const db = ident(config.clickhouse.database);
    const rs = await store.query({
      query: `SELECT platform, id, toUnixTimestamp(created_at) * 1000 + created_at_ms AS t, author_id, author_handle, author_followers,
                toUnixTimestamp(author_created_at) * 1000 AS author_t, text, lang, reply_to, reply_to_author, repost_of, hashtags, mentions, likes, reposts, replies
              FROM ${db}.posts FINAL
              WHERE created_at >= toDateTime(${quote(chTime(from))}, 'UTC') AND created_at < toDateTime(${quote(chTime(to))}, 'UTC')
              ORDER BY t, platform, id`,
      format: 'JSONEachRow',
    });
    type Row = { platform: string; id: string; t: string | number; author_id: string; author_handle: string; author_followers: number; author_t: string | number;
      text: string; lang: string; reply_to: string; reply_to_author: string; repost_of: string; hashtags: string[]; mentions: string[]; likes: number; reposts: number; replies: number };
    for await (const rows of rs.stream<Row>()) {
      for (const row of rows) {
        const r = row.json();
        yield {
          id: r.id, platform: r.platform, created_at: Number(r.t), text: r.text, lang: r.lang || null,
          author: { id: r.author_id, handle: r.author_handle || null, followers: Number(r.author_followers), created_at: Number(r.author_t) || null },
          reply_to: r.reply_to || null, reply_to_author: r.reply_to_author || null, repost_of: r.repost_of || null,
          hashtags: r.hashtags, mentions: r.mentions, metrics: { likes: Number(r.likes), reposts: Number(r.reposts), replies: Number(r.replies) },
        };
      }
    }
  } finally {
    await store.close();
  }
}

export interface DetectRun {
  input?: string;
  /** Instead of a file: the posts of [from, to) from ClickHouse. */
  range?: { from: number; to: number; config: Config };
  output: string;
  watches?: string;
  latenessMs: number;
  /** Backtesting overrides: trend sensitivity, and every watch's sensitivity / opening severity. */
  trendSensitivity?: number;
  watchSensitivity?: number;
  minSeverity?: number;
}

export async function runDetect(o: DetectRun): Promise<DetectStats> {
  if ((o.input === undefined) === (o.range === undefined)) throw new UsageError('give either --input FILE or --from and --to (posts from ClickHouse)');
  const watches = readWatches(o.watches).map((w) => ({
    ...w, sensitivity: o.watchSensitivity ?? w.sensitivity, min_severity: o.minSeverity ?? w.min_severity,
  }));
  const bad = { lines: 0 } as { lines: number; first?: string };
  const bytes = { read: 0 };
  const bar = o.input ? progress(o.input) : { update() {}, stop() {} };
  const out = o.output === '-' ? process.stdout : createWriteStream(o.output);
  const detection = new Detection({ latenessMs: o.latenessMs, watches, trends: o.trendSensitivity ? { sensitivity: o.trendSensitivity } : undefined });
  // Per post, as stage A sees them, so both emit the same impersonation events.
  const impersonation = new ImpersonationDetector(watches);
  const write = async (events: readonly unknown[]) => {
    for (const e of events) if (!out.write(JSON.stringify(e) + '\n')) await once(out, 'drain');
  };
  const posts = o.input ? readPosts(o.input, bad, bytes) : readPostsFromStore(o.range!.config, o.range!.from, o.range!.to);
  for await (const p of posts) {
    const events = detection.offer(p);
    if (events.length) await write(events);
    const impostors = impersonation.offer(p);
    if (impostors.length) await write(impostors);
    if ((detection.stats.posts & 4095) === 0) bar.update(bytes.read, detection.stats.posts);
  }
  await write(detection.finish());
  bar.stop();
  const stats = detection.stats;
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as NodeJS.WritableStream).end((err?: Error) => (err ? reject(err) : resolve())));
  if (bad.lines) process.stderr.write(`detect: skipped ${bad.lines} invalid line(s); first: ${bad.first}\n`);
  return stats;
}
