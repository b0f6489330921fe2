// `trendstream top`, `alerts` and `watches validate`: what a person types to see what is
// trending and burning. `top` and `alerts` ask a running process's query API (serve/api.ts),
// never the store itself: in embedded mode one process owns chdb. Exit codes as in main.ts:
// 0 ok, 1 bad arguments or input (also a rejected token), 2 a runtime failure.
import { existsSync, readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './detect.js';
import { WatchListSchema } from '../schemas/watches.js';
import { fieldErrors } from '../serve/watch-store.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export interface ApiTarget { url: string; token?: string }

/** A failure talking to the API that is not the caller's fault (unreachable, 5xx): exit 2. */
export class ApiUnavailableError extends Error {
  readonly code = 'api_unavailable';
}

/** GETs `path` from the API. Throws UsageError on 4xx (bad parameter or token), ApiUnavailableError otherwise. */
export async function getJson<T>(t: ApiTarget, path: string): Promise<T> {
  const base = t.url.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(base + path, { headers: t.token ? { authorization: `Bearer ${t.token}` } : {}, signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    throw new ApiUnavailableError(`cannot reach the trendstream API at ${base} (${cause?.code ?? cause?.message ?? (e as Error).message}): start \`trendstream demo\` or \`trendstream serve\`, or point --url at a running one`);
  }
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (!res.ok) {
    const msg = (body as { message?: string } | undefined)?.message ?? text.slice(0, 200);
    if (res.status === 401) throw new UsageError(`the API at ${base} rejected the token (${msg}): pass --token or set TRENDSTREAM_API_TOKEN`);
    if (res.status === 403) throw new UsageError(`the API at ${base} refused: ${msg}`);
    if (res.status >= 400 && res.status < 500) throw new UsageError(`the API at ${base} answered ${res.status}: ${msg}`);
    throw new ApiUnavailableError(`the API at ${base} answered ${res.status}: ${msg}`);
  }
  if (body === undefined) throw new ApiUnavailableError(`the API at ${base} answered something that is not JSON; is --url pointing at trendstream?`);
  return body as T;
}

// ---------------------------------------------------------------------------------------
// Formatting

/** A plain-text table: columns padded, numbers right-aligned. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const right = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells.map((r) => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

const hhmm = (iso: string | null) => (iso ? iso.slice(11, 16) + 'Z' : '-');

interface TrendsAnswer {
  window: string; as_of: string | null;
  trends: { hashtag: string; state: string; started_at: string | null; inauthentic: boolean; velocity: number; score: number; window: { posts: number; peak_authors_per_minute: number } }[];
}

export interface Out { write(s: string): unknown }

/** Prints the current trends as a table. */
export async function runTop(o: ApiTarget & { window: string; limit: number; json?: boolean }, out: Out = process.stdout): Promise<TrendsAnswer> {
  const a = await getJson<TrendsAnswer>(o, `/v1/trends?window=${encodeURIComponent(o.window)}&limit=${o.limit}`);
  if (o.json) { out.write(JSON.stringify(a, null, 2) + '\n'); return a; }
  if (a.trends.length === 0) {
    out.write(a.as_of ? `No hashtag is trending (stream time ${a.as_of}).\n` : 'No data yet: no minute has been decided.\n');
    return a;
  }
  out.write(`Trending hashtags · last ${a.window} of stream time up to ${a.as_of}\n\n`);
  out.write(table(['#', 'hashtag', `posts/${a.window}`, 'peak authors/min', 'velocity', 'score', 'since', 'note'],
    a.trends.map((t, i) => [i + 1, `#${t.hashtag}`, t.window.posts, t.window.peak_authors_per_minute, t.velocity, t.score, hhmm(t.started_at), t.inauthentic ? 'inauthentic (bots/campaign)' : ''])) + '\n');
  return a;
}

interface AlertsAnswer {
  alerts: { id: string; watch: string; watch_name: string | null; state: 'open' | 'resolved'; severity: number; max_severity: number; opened_at: string; updated_at: string;
    resolved_at: string | null; summary: string; inauthentic: boolean; acknowledged: unknown; feedback: { verdict: string }[] }[];
}

/** Prints open alerts, then the most recent resolved ones. */
export async function runAlerts(o: ApiTarget & { limit: number; json?: boolean }, out: Out = process.stdout): Promise<AlertsAnswer> {
  const a = await getJson<AlertsAnswer>(o, `/v1/alerts?state=all&limit=${o.limit}`);
  if (o.json) { out.write(JSON.stringify(a, null, 2) + '\n'); return a; }
  const open = a.alerts.filter((x) => x.state === 'open');
  const recent = a.alerts.filter((x) => x.state !== 'open');
  const line = (x: AlertsAnswer['alerts'][number]) => {
    const flags = [x.acknowledged ? 'acknowledged' : '', x.inauthentic ? 'inauthentic' : '', ...x.feedback.slice(-1).map((f) => `feedback: ${f.verdict}`)].filter(Boolean);
    const when = x.state === 'open' ? `opened ${x.opened_at}, updated ${x.updated_at}` : `${x.opened_at} → ${x.resolved_at}`;
    return `  ${x.watch_name ? `${x.watch_name} (${x.watch})` : x.watch} · severity ${x.severity}${x.max_severity > x.severity ? ` (peak ${x.max_severity})` : ''} · ${when}${flags.length ? ` · ${flags.join(', ')}` : ''}\n    ${x.summary}\n    id ${x.id}\n`;
  };
  out.write(`Open alerts (${open.length}):\n${open.length ? open.map(line).join('') : '  (none)\n'}`);
  out.write(`\nRecently resolved (${recent.length}):\n${recent.length ? recent.map(line).join('') : '  (none)\n'}`);
  return a;
}

/** Validates a watches file. Returns the exit code: 0 valid, 1 unreadable or invalid (every bad field printed). */
export function runWatchesValidate(file: string, out: Out = process.stdout, err: Out = process.stderr): 0 | 1 {
  if (!existsSync(file)) { err.write(`trendstream: watches file not found: ${file}\n`); return 1; }
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    err.write(`trendstream: ${file} is not valid JSON: ${(e as Error).message}\n`);
    return 1;
  }
  const r = WatchListSchema.safeParse(json);
  if (!r.success) {
    const errors = fieldErrors(r.error);
    err.write(`trendstream: ${file} is not a valid watch list (${errors.length} error${errors.length === 1 ? '' : 's'}):\n`);
    for (const e of errors) err.write(`  [${e.path || '(root)'}] ${e.message}\n`);
    return 1;
  }
  out.write(`${file}: ${r.data.length} watch${r.data.length === 1 ? '' : 'es'} OK (${r.data.map((w) => w.id).join(', ') || 'empty list'})\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------
// Commands

const positive = (name: string, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
  return n;
};

function withApi(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'query API of a running trendstream process (demo or serve)').env('TRENDSTREAM_API_URL').default(DEFAULT_API_URL))
    .addOption(new Option('--token <token>', 'bearer token with read scope').env('TRENDSTREAM_API_TOKEN'))
    .option('--json', 'print the API answer as JSON');
}

const target = (o: { url: string; token?: string }): ApiTarget => {
  let protocol = '';
  try { protocol = new URL(o.url).protocol; } catch { /* reported below */ }
  if (protocol !== 'http:' && protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL like ${DEFAULT_API_URL}, not ${JSON.stringify(o.url)}`);
  return { url: o.url, token: o.token || undefined };
};

/** Adds `top`, `alerts` and `watches validate` to the `trendstream` program. */
export function registerQueryCommands(program: Command): void {
  withApi(program.command('top')
    .description('print the hashtags trending now, as a table, from a running process\'s query API')
    .addOption(new Option('--window <window>', 'stream-time window of the counts').choices(['5m', '15m', '60m']).default('15m'))
    .option('--limit <n>', 'most trends shown (1-100)', positive('--limit', 100), 20))
    .action(async (o) => { await runTop({ ...target(o), window: o.window, limit: o.limit, json: o.json }); });

  withApi(program.command('alerts')
    .description('print open alerts and the most recently resolved ones, from a running process\'s query API')
    .option('--limit <n>', 'most alert episodes fetched (1-200)', positive('--limit', 200), 20))
    .action(async (o) => { await runAlerts({ ...target(o), limit: o.limit, json: o.json }); });

  const watches = program.command('watches').description('work with watch lists (CONTRACTS §3)');
  watches.command('validate')
    .description('check a watches file: exit 0 when valid, 1 with every bad field named')
    .argument('<file>', 'watches as a JSON array')
    .action((file: string) => {
      const code = runWatchesValidate(file);
      if (code !== 0) process.exitCode = code;
    });
}
