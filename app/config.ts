// One configuration schema for every component: zod with defaults and a
// description per field, unknown keys rejected, filled from a JSON file and environment
// variables, validated before anything connects. Errors name the field and the fix.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_LATENESS_MS } from '../processors/detect.js';
import { ClickHouseConfigSchema, DEFAULT_CHDB_PATH } from '../lib/clickhouse/client.js';
import { KafkaConfigSchema } from '../lib/kafka/client.js';
import { JetstreamOptionsSchema } from '../ingest/jetstream.js';
import { MastodonOptionsSchema } from '../ingest/mastodon.js';
import { ApiConfigSchema } from '../serve/api.js';

const port = z.number().int().min(0).max(65535);

export const ConfigSchema = z.object({
  kafka: KafkaConfigSchema.prefault({}),
  clickhouse: ClickHouseConfigSchema.prefault({}),
  ingest: z.object({
    port: port.default(8080).describe('HTTP port of POST /v1/posts (env TRENDSTREAM_INGEST_PORT)'),
    tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]).describe('Accepted bearer tokens (env TRENDSTREAM_INGEST_TOKENS, comma-separated); empty disables auth'),
    maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
    maxLineBytes: z.number().int().positive().default(256 * 1024),
    maxLines: z.number().int().positive().max(1_000_000).default(10_000).describe('Posts (NDJSON lines or array items) one request may hold; more is answered 413 as a whole'),
    mastodon: z.array(MastodonOptionsSchema).default([]).describe('Mastodon streaming sources (env TRENDSTREAM_MASTODON_URL, _TOKEN, _STREAM); run each in one ingest replica only'),
    jetstream: JetstreamOptionsSchema.optional().describe('Bluesky Jetstream source (env TRENDSTREAM_JETSTREAM_URL, TRENDSTREAM_JETSTREAM_WANTED_DIDS)'),
  }).strict().superRefine((o, ctx) => {
    const ids = o.mastodon.map((m) => m.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['mastodon'], message: 'every Mastodon source needs its own id' });
  }).prefault({}),
  processor: z.object({
    latenessMs: z.number().int().min(0).max(10 * 60_000).default(DEFAULT_LATENESS_MS).describe('Allowed lateness: how far behind stream time a post may arrive and still count (60 s decides what 120 s does on 2 minutes of disorder, README Detection)'),
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
      url: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
      secret: z.string().min(16, 'webhook secrets must be at least 16 characters').optional(),
    }).strict().refine((ch) => ch.kind !== 'webhook' || ch.secret, { path: ['secret'], message: 'a generic webhook needs a signing secret (TRENDSTREAM_WEBHOOK_SECRET): receivers verify alerts with it' }))
      .default([]).describe('Alert delivery channels (env TRENDSTREAM_SLACK_WEBHOOK_URL; TRENDSTREAM_WEBHOOK_URL with TRENDSTREAM_WEBHOOK_SECRET)'),
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
export { DEFAULT_CHDB_PATH };
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
  const c: Record<string, Record<string, unknown>> = { kafka: {}, clickhouse: {}, ingest: {}, processor: {}, sink: {}, api: {}, http: {}, alerting: {} };
  const set = (section: string, key: string, v: unknown) => { if (v !== undefined) c[section]![key] = v; };
  set('kafka', 'brokers', list(env.KAFKA_BROKERS));
  set('kafka', 'topicPrefix', env.TRENDSTREAM_TOPIC_PREFIX);
  if (env.KAFKA_REPLICATION_FACTOR) set('kafka', 'replicationFactor', Number(env.KAFKA_REPLICATION_FACTOR));
  if (env.KAFKA_MIN_INSYNC_REPLICAS) set('kafka', 'minInsyncReplicas', Number(env.KAFKA_MIN_INSYNC_REPLICAS));
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
  set('api', 'readTokens', list(env.TRENDSTREAM_API_READ_TOKENS));
  set('api', 'adminTokens', list(env.TRENDSTREAM_API_ADMIN_TOKENS));
  set('api', 'watchesFile', env.TRENDSTREAM_WATCHES_FILE || undefined);
  set('http', 'port', int(env.TRENDSTREAM_HTTP_PORT));
  const channels = [];
  if (env.TRENDSTREAM_SLACK_WEBHOOK_URL) channels.push({ name: 'slack', kind: 'slack', url: env.TRENDSTREAM_SLACK_WEBHOOK_URL });
  if (env.TRENDSTREAM_WEBHOOK_URL) channels.push({ name: 'webhook', kind: 'webhook', url: env.TRENDSTREAM_WEBHOOK_URL, secret: env.TRENDSTREAM_WEBHOOK_SECRET });
  if (channels.length) set('alerting', 'channels', channels);
  set('alerting', 'dashboardUrl', env.TRENDSTREAM_DASHBOARD_URL);
  const out: Record<string, unknown> = {};
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
