// One configuration schema for every component (STYLE.md): zod with defaults and a
// description per field, unknown keys rejected, filled from a JSON file and environment
// variables, validated before anything connects. Errors name the field and the fix.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { JetstreamOptionsSchema } from '../ingest/jetstream.js';
import { MastodonOptionsSchema } from '../ingest/mastodon.js';
import { ApiConfigSchema, apiConfigFromEnv } from '../serve/api.js';

const port = z.number().int().min(0).max(65535);
const days = (d: number) => z.number().int().min(0).max(36_500).default(d);

/** Where the embedded store lives unless `clickhouse.path` says otherwise. */
export const DEFAULT_CHDB_PATH = '.trendstream/chdb';

export const ConfigSchema = z.object({
  kafka: z.object({
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).default([]).describe('Kafka bootstrap brokers (env KAFKA_BROKERS, comma-separated); empty starts a local broker'),
    clientId: z.string().default('trendstream'),
    topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/).default('').describe('Prefix of every topic name (env TRENDSTREAM_TOPIC_PREFIX)'),
    postsPartitions: z.number().int().min(1).default(6).describe('Partitions of the posts topic: bounds stage A and the posts sink'),
    countsPartitions: z.number().int().min(1).default(6).describe('Partitions of hashtag-counts: bounds stage B'),
    ssl: z.boolean().default(false).describe('TLS to the brokers (env KAFKA_SSL=1)'),
    sasl: z.object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string(),
      password: z.string(),
    }).strict().optional().describe('SASL credentials (env KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)'),
  }).strict().prefault({}),
  clickhouse: z.object({
    url: z.string().url().optional().describe('ClickHouse server HTTP URL (env CLICKHOUSE_URL); unset uses embedded chdb'),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier').default('trendstream'),
    username: z.string().default('default'),
    password: z.string().default('').describe('env CLICKHOUSE_PASSWORD; never logged'),
    path: z.string().default(DEFAULT_CHDB_PATH).describe('Embedded store folder (env TRENDSTREAM_CHDB_PATH)'),
    cluster: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the plain name of a cluster in the servers\' remote_servers').optional()
      .describe('ClickHouse cluster (env CLICKHOUSE_CLUSTER): migrate creates Replicated tables per shard behind Distributed ones; unset means one server'),
    retention: z.object({
      posts: days(30), hashtag_minute: days(400), watch_minute: days(400), trends: days(0), alerts: days(0), alert_feedback: days(0),
    }).strict().prefault({}).describe('Days each table keeps its rows, by their time column; 0 keeps them forever (env TRENDSTREAM_RETENTION_DAYS="posts=30,hashtag_minute=400")'),
    retentionIntervalMinutes: z.number().int().min(1).default(60).describe('How often a sink drops expired partitions on servers without TTL (ClickHouse 18.16)'),
  }).strict().refine((c) => !c.cluster || c.url, { path: ['cluster'], message: 'a cluster needs clickhouse.url (CLICKHOUSE_URL): embedded chdb is one process' }).prefault({}),
  ingest: z.object({
    port: port.default(8080).describe('HTTP port of POST /v1/posts (env TRENDSTREAM_INGEST_PORT)'),
    tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]).describe('Accepted bearer tokens (env TRENDSTREAM_INGEST_TOKENS, comma-separated); empty disables auth'),
    maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
    maxLineBytes: z.number().int().positive().default(256 * 1024),
    mastodon: z.array(MastodonOptionsSchema).default([]).describe('Mastodon streaming sources (env TRENDSTREAM_MASTODON_URL, _TOKEN, _STREAM); run each in one ingest replica only'),
    jetstream: JetstreamOptionsSchema.optional().describe('Bluesky Jetstream source (env TRENDSTREAM_JETSTREAM_URL, TRENDSTREAM_JETSTREAM_WANTED_DIDS)'),
  }).strict().superRefine((o, ctx) => {
    const ids = o.mastodon.map((m) => m.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['mastodon'], message: 'every Mastodon source needs its own id' });
  }).prefault({}),
  processor: z.object({
    latenessMs: z.number().int().min(0).max(10 * 60_000).default(60_000).describe('Allowed lateness: how far behind stream time a post may arrive and still count (60 s: the same alert and trend episodes as 120 s on 2 minutes of disorder, README Detection)'),
    idleMs: z.number().int().min(0).max(60 * 60_000).default(15_000).describe('A posts partition caught up and without input this long stops holding the watermark back until its next post; 0 waits for every partition (env TRENDSTREAM_IDLE_MS)'),
  }).strict().prefault({}),
  sink: z.object({
    batchRows: z.number().int().positive().default(50_000).describe('Rows that make the sink insert at once, whatever flushMs'),
    flushMs: z.number().int().positive().default(100).describe('How long the first rows of an insert wait for the batches of other partitions'),
  }).strict().prefault({}),
  alerting: z.object({
    channels: z.array(z.object({
      name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be a short lowercase name'),
      kind: z.enum(['slack', 'webhook']),
      url: z.string().url(),
      secret: z.string().min(16, 'webhook secrets must be at least 16 characters').optional(),
    }).strict()).default([]).describe('Alert delivery channels (env TRENDSTREAM_SLACK_WEBHOOK_URL; TRENDSTREAM_WEBHOOK_URL with TRENDSTREAM_WEBHOOK_SECRET)'),
    dashboardUrl: z.string().url().optional().describe('Link put into Slack messages'),
  }).strict().prefault({}),
  api: ApiConfigSchema.prefault({}),
  http: z.object({
    port: port.default(9464).describe('Port of /metrics, /healthz, /readyz (env TRENDSTREAM_HTTP_PORT)'),
  }).strict().prefault({}),
  shutdownMs: z.number().int().positive().default(15_000).describe('Deadline for a graceful stop on SIGTERM'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('env LOG_LEVEL'),
}).strict();

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const int = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
/** `posts=30,hashtag_minute=400` → { posts: 30, hashtag_minute: 400 }; a malformed item becomes NaN, which validation names. */
const perTable = (v: string | undefined) => {
  const items = list(v);
  return items && Object.fromEntries(items.map((i) => { const [k, n] = i.split('='); return [k!.trim(), n?.trim() ? Number(n) : NaN]; }));
};

/** The part of the configuration that environment variables set. */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const c: Record<string, Record<string, unknown>> = { kafka: {}, clickhouse: {}, ingest: {}, processor: {}, sink: {}, http: {}, alerting: {} };
  const set = (section: string, key: string, v: unknown) => { if (v !== undefined) c[section]![key] = v; };
  set('kafka', 'brokers', list(env.KAFKA_BROKERS));
  set('kafka', 'topicPrefix', env.TRENDSTREAM_TOPIC_PREFIX);
  if (env.KAFKA_SSL) set('kafka', 'ssl', env.KAFKA_SSL === '1' || env.KAFKA_SSL === 'true');
  if (env.KAFKA_SASL_MECHANISM) set('kafka', 'sasl', { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' });
  set('clickhouse', 'url', env.CLICKHOUSE_URL || undefined);
  set('clickhouse', 'password', env.CLICKHOUSE_PASSWORD);
  set('clickhouse', 'username', env.CLICKHOUSE_USER);
  set('clickhouse', 'database', env.CLICKHOUSE_DATABASE);
  set('clickhouse', 'path', env.TRENDSTREAM_CHDB_PATH);
  set('clickhouse', 'cluster', env.CLICKHOUSE_CLUSTER || undefined);
  set('clickhouse', 'retention', perTable(env.TRENDSTREAM_RETENTION_DAYS));
  set('ingest', 'port', int(env.TRENDSTREAM_INGEST_PORT));
  set('ingest', 'tokens', list(env.TRENDSTREAM_INGEST_TOKENS));
  if (env.TRENDSTREAM_MASTODON_URL) set('ingest', 'mastodon', [{ url: env.TRENDSTREAM_MASTODON_URL, token: env.TRENDSTREAM_MASTODON_TOKEN ?? '', ...(env.TRENDSTREAM_MASTODON_STREAM ? { stream: env.TRENDSTREAM_MASTODON_STREAM } : {}) }]);
  if (env.TRENDSTREAM_JETSTREAM_URL) set('ingest', 'jetstream', { url: env.TRENDSTREAM_JETSTREAM_URL, ...(env.TRENDSTREAM_JETSTREAM_WANTED_DIDS ? { wantedDids: list(env.TRENDSTREAM_JETSTREAM_WANTED_DIDS) } : {}) });
  set('processor', 'latenessMs', int(env.TRENDSTREAM_LATENESS_MS));
  set('processor', 'idleMs', int(env.TRENDSTREAM_IDLE_MS));
  set('http', 'port', int(env.TRENDSTREAM_HTTP_PORT));
  const channels = [];
  if (env.TRENDSTREAM_SLACK_WEBHOOK_URL) channels.push({ name: 'slack', kind: 'slack', url: env.TRENDSTREAM_SLACK_WEBHOOK_URL });
  if (env.TRENDSTREAM_WEBHOOK_URL) channels.push({ name: 'webhook', kind: 'webhook', url: env.TRENDSTREAM_WEBHOOK_URL, secret: env.TRENDSTREAM_WEBHOOK_SECRET });
  if (channels.length) set('alerting', 'channels', channels);
  set('alerting', 'dashboardUrl', env.TRENDSTREAM_DASHBOARD_URL);
  const out: Record<string, unknown> = {};
  const api = apiConfigFromEnv(env);
  if (Object.keys(api).length) out.api = api;
  for (const [k, v] of Object.entries(c)) if (Object.keys(v).length) out[k] = v;
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  return out as ConfigInput;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Validates a configuration: file values, overridden by env, overridden by `overrides`. */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput } = {}): Config {
  let file: Record<string, unknown> = {};
  if (opts.file) {
    try { file = JSON.parse(readFileSync(opts.file, 'utf8')); } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`);
    }
  }
  const merged = deepMerge(deepMerge(file, fromEnv(opts.env) as Record<string, unknown>), (opts.overrides ?? {}) as Record<string, unknown>);
  const r = ConfigSchema.safeParse(merged);
  if (!r.success) {
    throw new ConfigError('invalid configuration: ' + r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  return r.data;
}

/** The config with secrets replaced, for logs and `--print-config`. */
export function redact(c: Config): unknown {
  return {
    ...c,
    kafka: { ...c.kafka, sasl: c.kafka.sasl ? { ...c.kafka.sasl, password: '[redacted]' } : undefined },
    clickhouse: { ...c.clickhouse, password: c.clickhouse.password ? '[redacted]' : '' },
    ingest: { ...c.ingest, tokens: c.ingest.tokens.map(() => '[redacted]'), mastodon: c.ingest.mastodon.map((m) => ({ ...m, token: '[redacted]' })) },
    api: { ...c.api, readTokens: c.api.readTokens.map(() => '[redacted]'), adminTokens: c.api.adminTokens.map(() => '[redacted]') },
    alerting: { ...c.alerting, channels: c.alerting.channels.map((ch) => ({ ...ch, url: ch.url.replace(/\/[^/]*$/, '/[redacted]'), secret: ch.secret ? '[redacted]' : undefined })) },
  };
}
