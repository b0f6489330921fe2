// The live watch list (CONTRACTS §3) behind the query API and the pipeline: loaded from a
// JSON file (or held in memory), replaced through `PUT /v1/watches`, and re-read when someone
// edits the file, without a restart. Stage A/B and the alert sinks read `get()` per batch.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Logger } from '../lib/log.js';
import { WatchListSchema, type Watch } from '../schemas/watches.js';

/** A field of a watch list that failed validation: `path` like `0.id`. */
export interface FieldError { path: string; message: string }

/** A watch list that does not validate; `errors` name each field and what is wrong. */
export class WatchListError extends Error {
  readonly code = 'invalid_watches';
  constructor(readonly errors: FieldError[], message = `invalid watch list: ${errors.slice(0, 5).map((e) => `[${e.path || '(root)'}] ${e.message}`).join('; ')}`, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WatchListError';
  }
}

/** The field errors of a zod failure, in the shape the API and CLI print. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((i) => {
    const at = i.path.map(String);
    // One entry per unknown key, so that the path names the offending field itself.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: [...at, k].join('.'), message: 'unknown field: remove it or check its spelling' }));
    return [{ path: at.join('.'), message: i.message.replace(/^Invalid input: expected (\w+), received undefined$/, 'is required (a $1)') }];
  });
}

/** Validates a watch list (defaults filled in). Throws WatchListError naming every bad field. */
export function parseWatchList(input: unknown): Watch[] {
  const r = WatchListSchema.safeParse(input);
  if (!r.success) throw new WatchListError(fieldErrors(r.error));
  return r.data;
}

export interface WatchStoreOptions {
  /** JSON file holding the list; created by the first `put` when missing. Without it the list lives in memory only. */
  file?: string;
  /** The list to start with when there is no file (or it does not exist yet). */
  watches?: unknown;
  /** How often to look for external edits of the file; default 2000 ms. */
  pollMs?: number;
  log?: Logger;
}

const signature = (s: Stats) => `${s.ino}:${s.size}:${s.mtimeMs}`;

export class WatchStore {
  private list: Watch[];
  private seen: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Why the last external edit was not applied (the previous list stays in force), or null. */
  lastError: string | null = null;

  /**
   * Loads the list: the file when it exists, else `watches`, else empty. Throws WatchListError
   * when the initial list does not validate (fail fast at start), and starts polling the file.
   */
  constructor(private readonly o: WatchStoreOptions = {}) {
    this.list = parseWatchList(o.watches ?? []);
    if (o.file) {
      const loaded = this.readFile();
      if (loaded instanceof Error) throw loaded;
      if (loaded) this.list = loaded;
      this.timer = setInterval(() => this.poll(), o.pollMs ?? 2000);
      this.timer.unref();
    }
  }

  /** The current list: the same array instance until it changes, so callers may cache by identity. */
  get(): Watch[] {
    return this.list;
  }

  /** Validates `input`, makes it the current list and, with a file, writes it atomically (tmp + rename). Throws WatchListError. */
  put(input: unknown): Watch[] {
    const list = parseWatchList(input);
    if (this.o.file) {
      const file = this.o.file;
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
      const fd = openSync(tmp, 'w', 0o644);
      try {
        writeSync(fd, JSON.stringify(list, null, 2) + '\n');
        fsyncSync(fd);
      } finally { closeSync(fd); }
      try { renameSync(tmp, file); } catch (e) { try { unlinkSync(tmp); } catch { /* already gone */ } throw e; }
      this.seen = signature(statSync(file));
    }
    this.list = list;
    this.lastError = null;
    return list;
  }

  /** Stops watching the file. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  [Symbol.dispose](): void { this.close(); }

  /** Checks the file for an external edit now (the poller calls this every `pollMs`). */
  poll(): void {
    const loaded = this.readFile();
    if (loaded instanceof Error) {
      if (this.lastError !== loaded.message) this.o.log?.warn({ err: loaded, file: this.o.file }, 'watch list file changed but is invalid; keeping the previous list');
      this.lastError = loaded.message;
      return;
    }
    if (loaded) {
      this.list = loaded;
      this.lastError = null;
      this.o.log?.info({ file: this.o.file, watches: loaded.length }, 'watch list reloaded from file');
    }
  }

  /** The file's list when it changed since last seen; null when unchanged or absent; an Error when unreadable or invalid. */
  private readFile(): Watch[] | null | Error {
    const file = this.o.file!;
    let st: Stats;
    try { st = statSync(file); } catch { return null; }
    const sig = signature(st);
    if (sig === this.seen) return null;
    let json: unknown;
    try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
      // A half-written file (editor saving in place) shows up as bad JSON: try again next poll.
      return new WatchListError([{ path: '', message: `not valid JSON: ${(e as Error).message}` }], `watches file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    this.seen = sig;
    try { return parseWatchList(json); } catch (e) {
      const err = e as WatchListError;
      return new WatchListError(err.errors, `watches file ${file}: ${err.message}`);
    }
  }
}
