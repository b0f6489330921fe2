// `trendstream analyze`: text analysis only (CONTRACTS §1). NDJSON `{"id", "text", "lang"?}` in,
// `{"id", "lang", "sentiment", "negative", "positive", "toxic", "toxicity", "arousal"}` out, in
// input order: the scores stage A computes for a post (processors/text), for back-filling and for
// checking a model on labelled data. A bad line is reported on stderr with its number and skipped.
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { LANG_TAG } from '../schemas/normalise.js';
import { writeScore } from '../schemas/scores.js';
import { analyseText } from '../processors/text/sentiment.js';
import { warmUp } from '../processors/text/warm-up.js';

/** Output is written in chunks of about this many bytes. */
const CHUNK = 1 << 16;
/** A file is read in chunks of this many bytes (the stream default, 64 KiB, costs more per line). */
const READ_CHUNK = 1 << 20;

export interface AnalyzeStats {
  lines: number; analysed: number; bad: number;
  /** Wall time and this process's CPU time from the first input chunk to the last line written. */
  seconds: number; cpuSeconds: number;
}

/**
 * Output lines, written as UTF-8 straight into a byte buffer: the fixed parts copied, the scores
 * digit by digit (schemas/scores.ts), an id or language tag byte by byte when it is plain ASCII.
 * (Building each line as a template string cost about 2 µs a line over the 100,000 tweets, and
 * the lines were then joined and encoded again for the write.)
 */
export class ScoreLines {
  buf = new Uint8Array(CHUNK + 1024);
  pos = 0;
  private readonly text = new TextEncoder();

  /** Scores of one input line, as an output line; throws with the reason if the line is bad (and writes nothing). */
  analyze(line: string): void {
    let v: unknown;
    try { v = JSON.parse(line); } catch { throw new Error('not valid JSON'); }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    const o = v as { id?: unknown; text?: unknown; lang?: unknown };
    const id = typeof o.id === 'number' && Number.isFinite(o.id) ? String(o.id) : o.id;
    if (typeof id !== 'string' || id === '') throw new Error('"id" must be a non-empty string (or a number)');
    if (typeof o.text !== 'string') throw new Error('"text" must be a string');
    if (o.lang !== undefined && o.lang !== null && (typeof o.lang !== 'string' || !LANG_TAG.test(o.lang))) throw new Error('"lang" must be a language tag like "de", or absent');
    const { lang, scores: s } = analyseText(o.text, (o.lang as string | null | undefined) ?? null);
    this.room(id.length * 6 + lang.length + 256); // JSON escapes take at most 6 bytes a code unit
    this.bytes(ID);
    this.string(id);
    this.bytes(LANG);
    this.string(lang);
    this.bytes(SENTIMENT);
    this.pos = writeScore(s.sentiment, this.buf, this.pos);
    this.bytes(s.negative ? NEGATIVE_TRUE : NEGATIVE_FALSE);
    this.bytes(s.positive ? POSITIVE_TRUE : POSITIVE_FALSE);
    this.bytes(s.toxic ? TOXIC_TRUE : TOXIC_FALSE);
    this.bytes(TOXICITY);
    this.pos = writeScore(s.toxicity, this.buf, this.pos);
    this.bytes(AROUSAL);
    this.pos = writeScore(s.arousal, this.buf, this.pos);
    this.bytes(END);
  }

  /** The lines written so far, as bytes (valid until the next write), and empties the buffer. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(2 * this.buf.length, this.pos + n));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  private bytes(b: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** `s` as a JSON string: byte by byte when it is printable ASCII with nothing to escape, else through JSON.stringify. */
  private string(s: string): void {
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c === 34 || c === 92 || c > 126) {
        this.pos += this.text.encodeInto(JSON.stringify(s), this.buf.subarray(this.pos)).written;
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ID = ascii('{"id":'), LANG = ascii(',"lang":'), SENTIMENT = ascii(',"sentiment":');
const NEGATIVE_TRUE = ascii(',"negative":true'), NEGATIVE_FALSE = ascii(',"negative":false');
const POSITIVE_TRUE = ascii(',"positive":true'), POSITIVE_FALSE = ascii(',"positive":false');
const TOXIC_TRUE = ascii(',"toxic":true'), TOXIC_FALSE = ascii(',"toxic":false');
const TOXICITY = ascii(',"toxicity":'), AROUSAL = ascii(',"arousal":'), END = ascii('}\n');

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
  const out = new ScoreLines();
  const flush = async () => {
    if (out.pos === 0) return;
    const bytes = out.take();
    if (fd >= 0) writeAll(fd, bytes);
    else if (!process.stdout.write(Buffer.from(bytes))) await once(process.stdout, 'drain'); // a copy: the stream keeps it
  };
  const line = (text: string) => {
    stats.lines++;
    const l = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (l.trim() === '') return;
    try {
      out.analyze(l);
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
    if (out.pos >= CHUNK) await flush();
  }
  if (rest !== '') line(rest);
  await flush();
  stats.seconds = t0 === 0 ? 0 : (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  stats.cpuSeconds = t0 === 0 ? 0 : (c.user + c.system) / 1e6;
  if (fd >= 0) closeSync(fd);
  return stats;
}

/** Writes all of `bytes` to `fd` (writeSync may write less than it was given). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
}
