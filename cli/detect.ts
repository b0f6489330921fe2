// `trendstream detect`: the detectors in-process over a posts file (NDJSON, `-` for stdin),
// in event time, as fast as possible; every trend and alert event as NDJSON, in the order
// decided. Invalid lines are skipped and counted on stderr; nothing else is lost.
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { InvalidPostError, parsePostLine, type Post } from '../ingest/post.js';
import { SingleBar } from 'cli-progress';
import { Detection, type DetectStats } from '../processors/detect.js';
import { WatchListSchema, type Watch } from '../processors/watches.js';

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

export async function runDetect(o: { input: string; output: string; watches?: string; latenessMs: number }): Promise<DetectStats> {
  const watches = readWatches(o.watches);
  const bad = { lines: 0 } as { lines: number; first?: string };
  const bytes = { read: 0 };
  const bar = progress(o.input);
  const out = o.output === '-' ? process.stdout : createWriteStream(o.output);
  const detection = new Detection({ latenessMs: o.latenessMs, watches });
  const write = async (events: readonly unknown[]) => {
    for (const e of events) if (!out.write(JSON.stringify(e) + '\n')) await once(out, 'drain');
  };
  for await (const p of readPosts(o.input, bad, bytes)) {
    const events = detection.offer(p);
    if (events.length) await write(events);
    if ((detection.stats.posts & 4095) === 0) bar.update(bytes.read, detection.stats.posts);
  }
  await write(detection.finish());
  bar.stop();
  const stats = detection.stats;
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as NodeJS.WritableStream).end((err?: Error) => (err ? reject(err) : resolve())));
  if (bad.lines) process.stderr.write(`detect: skipped ${bad.lines} invalid line(s); first: ${bad.first}\n`);
  return stats;
}
