// `trendstream detect`: the detectors in-process over a posts file (NDJSON, `-` for stdin),
// in event time, as fast as possible; every trend and alert event as NDJSON, in the order
// decided. Invalid lines are skipped and counted on stderr; nothing else is lost.
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { InvalidPostError, parsePostLine, type Post } from '../ingest/post.js';
import { detectPosts, type DetectStats } from '../processors/detect.js';
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

/** Reads posts from an NDJSON file or stdin, skipping invalid lines (counted in `bad`). */
export async function* readPosts(input: string, bad: { lines: number; first?: string }): AsyncGenerator<Post> {
  if (input !== '-' && !existsSync(input)) throw new UsageError(`input file not found: ${input}`);
  const stream = input === '-' ? process.stdin : createReadStream(input);
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

export async function runDetect(o: { input: string; output: string; watches?: string; latenessMs: number }): Promise<DetectStats> {
  const watches = readWatches(o.watches);
  const bad = { lines: 0 } as { lines: number; first?: string };
  const posts: Post[] = [];
  for await (const p of readPosts(o.input, bad)) posts.push(p);
  const out = o.output === '-' ? process.stdout : createWriteStream(o.output);
  const stats: DetectStats = { posts: 0, late: 0, duplicates: 0, minutes: 0 };
  for (const e of detectPosts(posts, { latenessMs: o.latenessMs, watches }, stats)) {
    if (!out.write(JSON.stringify(e) + '\n')) await once(out, 'drain');
  }
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as NodeJS.WritableStream).end((err?: Error) => (err ? reject(err) : resolve())));
  if (bad.lines) process.stderr.write(`detect: skipped ${bad.lines} invalid line(s); first: ${bad.first}\n`);
  return stats;
}
