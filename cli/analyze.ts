// `trendstream analyze`: text analysis only (CONTRACTS §1). NDJSON `{"id", "text", "lang"?}` in,
// `{"id", "lang", "sentiment", "negative", "positive", "toxic", "toxicity", "arousal"}` out, in
// input order: the scores stage A computes for a post (processors/text), for back-filling and for
// checking a model on labelled data. A bad line is reported on stderr with its number and skipped.
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { analyseText } from '../processors/text/sentiment.js';
import { warmUp } from '../processors/text/warm-up.js';

/** The language tags a post may carry (ingest/post.ts accepts the same). */
const LANG_TAG = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;
/** Output is written in chunks of about this many characters. */
const CHUNK = 1 << 16;
/** A file is read in chunks of this many bytes (the stream default, 64 KiB, costs more per line). */
const READ_CHUNK = 1 << 20;

export interface AnalyzeStats {
  lines: number; analysed: number; bad: number;
  /** Wall time and this process's CPU time from the first input chunk to the last line written. */
  seconds: number; cpuSeconds: number;
}

/** Scores of one input line, as the output line (without the newline); throws with the reason if the line is bad. */
export function analyzeLine(line: string): string {
  let v: unknown;
  try { v = JSON.parse(line); } catch { throw new Error('not valid JSON'); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  const o = v as { id?: unknown; text?: unknown; lang?: unknown };
  const id = typeof o.id === 'number' && Number.isFinite(o.id) ? String(o.id) : o.id;
  if (typeof id !== 'string' || id === '') throw new Error('"id" must be a non-empty string (or a number)');
  if (typeof o.text !== 'string') throw new Error('"text" must be a string');
  if (o.lang !== undefined && o.lang !== null && (typeof o.lang !== 'string' || !LANG_TAG.test(o.lang))) throw new Error('"lang" must be a language tag like "de", or absent');
  const { lang, scores: s } = analyseText(o.text, (o.lang as string | null | undefined) ?? null);
  return `{"id":${JSON.stringify(id)},"lang":${JSON.stringify(lang)},"sentiment":${s.sentiment},"negative":${s.negative},"positive":${s.positive},"toxic":${s.toxic},"toxicity":${s.toxicity},"arousal":${s.arousal}}`;
}

/** Runs `analyze` from `input` to `output` (`-` for stdin/stdout). Rejects with UsageError when the input cannot be read. */
export async function runAnalyze(o: { input: string; output: string }): Promise<AnalyzeStats> {
  // UsageError's module (the `detect` command's) is loaded only for an error: it brings ClickHouse's client.
  const usage = async (message: string) => new (await import('./detect.js')).UsageError(message);
  if (o.input !== '-' && !existsSync(o.input)) throw await usage(`input file not found: ${o.input}`);
  const input = o.input === '-' ? process.stdin : createReadStream(o.input, { highWaterMark: READ_CHUNK });
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) resolve();
    else { input.once('open', () => resolve()); input.once('error', reject); }
  });
  await opened.catch(async (e: Error) => { throw await usage(`cannot read ${o.input}: ${e.message}`); });
  // A file is written synchronously through its descriptor (no stream queue and callbacks per chunk).
  const fd = o.output === '-' ? -1 : openSync(o.output, 'w');
  const stats: AnalyzeStats = { lines: 0, analysed: 0, bad: 0, seconds: 0, cpuSeconds: 0 };
  let t0 = 0;
  let c0 = process.cpuUsage();
  // Output lines are collected and joined once per chunk (one flat string, where `+=` per line
  // built a rope that writing had to flatten), in one array emptied after each chunk (a fresh
  // array per chunk had another elements kind and sent the optimised `line` back to the interpreter).
  const lines: string[] = [];
  let chars = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    lines.length = 0;
    chars = 0;
    if (fd >= 0) writeAll(fd, text);
    else if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  };
  const line = (text: string) => {
    stats.lines++;
    const l = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (l.trim() === '') return;
    try {
      const o = analyzeLine(l);
      lines.push(o);
      chars += o.length + 1;
      stats.analysed++;
    } catch (e) {
      stats.bad++;
      process.stderr.write(`analyze: line ${stats.lines}: ${(e as Error).message}; skipped\n`);
    }
  };
  // Lines are split by hand, a chunk at a time (readline costs a promise per line).
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    if (t0 === 0) {
      t0 = performance.now();
      c0 = process.cpuUsage();
      warmUp(); // counted in the time reported: it is part of the run
    }
    const s = rest === '' ? chunk : rest + chunk;
    let start = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
      line(s.slice(start, nl));
      start = nl + 1;
    }
    rest = s.slice(start);
    if (chars >= CHUNK) await flush();
  }
  if (rest !== '') line(rest);
  await flush();
  stats.seconds = t0 === 0 ? 0 : (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  stats.cpuSeconds = t0 === 0 ? 0 : (c.user + c.system) / 1e6;
  if (fd >= 0) closeSync(fd);
  return stats;
}

/** Writes all of `text` to `fd` (writeSync may write less than it was given). */
function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text, 'utf8');
  for (let at = 0; at < b.length;) at += writeSync(fd, b, at);
}
