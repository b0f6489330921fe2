// One configuration schema for every component: zod with defaults and a
// description per field, unknown keys rejected, filled from a JSON file and environment
// variables, validated before anything connects. Errors name the field and the fix.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_LATENESS_MS } from '../processors/detect.js';
import { DEFAULT_MAX_TAGS } from '../processors/windows.js';
import { ClickHouseConfigSchema, DEFAULT_CHDB_PATH } from '../lib/clickhouse/client.js';
import { KafkaConfigSchema } from '../lib/kafka/client.js';
import { JetstreamOptionsSchema } from '../ingest/jetstream.js';
import { MastodonOptionsSchema } from '../ingest/mastodon.js';
import { ApiConfigSchema } from '../serve/api.js';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1).default('127.0.0.1');
const channelName = z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be a short lowercase name');

export const ConfigSchema = z.object({
  kafka: KafkaConfigSchema.prefault({}),
  clickhouse: ClickHouseConfigSchema.prefault({}),
  ingest: z.object({
    port: port.default(8080).describe('HTTP port of POST /v1/posts (env TRENDSTREAM_INGEST_PORT)'),
    host: host.describe('Address POST /v1/posts listens on (env TRENDSTREAM_INGEST_HOST); 0.0.0.0 to serve other hosts, as in a container'),
    tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]).describe('Accepted bearer tokens (env TRENDSTREAM_INGEST_TOKENS, comma-separated); `trendstream ingest` refuses to start without one unless insecureNoAuth'),
    maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
    maxLineBytes: z.number().int().positive().default(256 * 1024),
    maxLines: z.number().int().positive().max(1_000_000).default(10_000).describe('Posts (NDJSON lines or array items) one request may hold; more is answered 413 as a whole'),
    minCreatedAt: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), 'must be a time like 2000-01-01T00:00:00Z').default('2000-01-01T00:00:00Z')
      .describe('Earliest created_at accepted (env TRENDSTREAM_MIN_CREATED_AT); an older post is rejected with reason past_timestamp'),
    mastodon: z.array(MastodonOptionsSchema).default([]).describe('Mastodon streaming sources (env TRENDSTREAM_MASTODON_URL, _TOKEN, _STREAM); run each in one ingest replica only'),
    jetstream: JetstreamOptionsSchema.optional().describe('Bluesky Jetstream source (env TRENDSTREAM_JETSTREAM_URL, TRENDSTREAM_JETSTREAM_WANTED_DIDS)'),
  }).strict().superRefine((o, ctx) => {
    const ids = o.mastodon.map((m) => m.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['mastodon'], message: 'every Mastodon source needs its own id' });
  }).prefault({}),
  processor: z.object({
    latenessMs: z.number().int().min(0).max(10 * 60_000).default(DEFAULT_LATENESS_MS).describe('Allowed lateness: how far behind stream time a post may arrive and still count (60 s decides what 120 s does on 2 minutes of disorder, README Detection)'),
    maxTagsPerMinute: z.number().int().min(1).default(DEFAULT_MAX_TAGS).describe('Distinct hashtags stage B holds per open minute and partition; the others count together under the overflow hashtag "" (env TRENDSTREAM_MAX_TAGS_PER_MINUTE; README, Limits)'),
    idleMs: z.number().int().min(0).max(60 * 60_000).default(15_000).describe('A posts partition caught up and without input this long stops holding the watermark back until its next post; 0 waits for every partition (env TRENDSTREAM_IDLE_MS)'),
  }).strict().prefault({}),
  sink: z.object({
    batchRows: z.number().int().positive().default(50_000).describe('Rows that make the sink insert at once, whatever flushMs'),
    flushMs: z.number().int().positive().default(100).describe('How long the first rows of an insert wait for the batches of other partitions'),
  }).strict().prefault({}),
  alerting: z.object({
    channels: z.array(z.discriminatedUnion('kind', [
      z.object({
        name: channelName,
        kind: z.enum(['slack', 'webhook', 'teams']).describe('slack: incoming webhook; webhook: signed JSON; teams: Workflows webhook (Adaptive Card)'),
        url: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
        secret: z.string().min(16, 'webhook secrets must be at least 16 characters').optional(),
      }).strict().refine((ch) => ch.kind !== 'webhook' || ch.secret, { path: ['secret'], message: 'a generic webhook needs a signing secret (TRENDSTREAM_WEBHOOK_SECRET): receivers verify alerts with it' }),
      z.object({
        name: channelName,
        kind: z.literal('email'),
        host: z.string().min(1).describe('SMTP server (env TRENDSTREAM_SMTP_HOST)'),
        port: port.default(587).describe('SMTP port: 587 submission with STARTTLS, 465 with secure (env TRENDSTREAM_SMTP_PORT)'),
        secure: z.boolean().default(false).describe('TLS from the first byte (port 465); otherwise STARTTLS is used whenever the server offers it'),
        requireTLS: z.boolean().default(false).describe('Fail instead of sending in clear text when the server offers no STARTTLS (env TRENDSTREAM_SMTP_REQUIRE_TLS)'),
        username: z.string().min(1).optional().describe('SMTP login (env TRENDSTREAM_SMTP_USERNAME)'),
        password: z.string().optional().describe('SMTP password, a secret (env TRENDSTREAM_SMTP_PASSWORD)'),
        caFile: z.string().min(1).optional().describe('PEM file of a CA to trust for the server certificate besides the system CAs (env TRENDSTREAM_SMTP_CA_FILE)'),
        from: z.string().min(3).describe('Sender, "Name <alerts@example.com>" (env TRENDSTREAM_ALERT_EMAIL_FROM)'),
        to: z.array(z.email()).min(1, 'an e-mail channel needs at least one recipient').describe('Recipients unless the watch names its own email_to (env TRENDSTREAM_ALERT_EMAIL_TO, comma-separated)'),
        timeoutMs: z.number().int().positive().max(120_000).default(15_000).describe('Connection, greeting and socket timeout of one attempt'),
      }).strict().refine((ch) => !ch.username || ch.password !== undefined, { path: ['password'], message: 'an SMTP username needs a password (TRENDSTREAM_SMTP_PASSWORD)' }),
    ])).default([]).describe('Alert delivery channels (env TRENDSTREAM_SLACK_WEBHOOK_URL; TRENDSTREAM_WEBHOOK_URL with TRENDSTREAM_WEBHOOK_SECRET; TRENDSTREAM_TEAMS_WEBHOOK_URL; TRENDSTREAM_SMTP_HOST with TRENDSTREAM_ALERT_EMAIL_FROM and _TO)')
      .refine((chs) => new Set(chs.map((c) => c.name)).size === chs.length, 'every channel needs its own name'),
    dashboardUrl: z.string().url().optional().describe('Link put into Slack, Teams and e-mail messages'),
  }).strict().prefault({}),
  api: ApiConfigSchema.prefault({}),
  http: z.object({
    port: port.default(9464).describe('Port of /metrics, /healthz, /readyz (env TRENDSTREAM_HTTP_PORT)'),
    host: host.describe('Address that port listens on (env TRENDSTREAM_HTTP_HOST); 0.0.0.0 for a scraper on other hosts'),
  }).strict().prefault({}),
  insecureNoAuth: z.boolean().default(false).describe('Serve ingest and the query API without tokens (env TRENDSTREAM_INSECURE_NO_AUTH=1, flag --insecure-no-auth); for a laptop only: anyone who reaches the port may post, erase and change watches'),
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
const flag = (v: string) => v === '1' || v === 'true';
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
  if (env.KAFKA_SSL) set('kafka', 'ssl', flag(env.KAFKA_SSL));
  set('kafka', 'sslCaFile', env.KAFKA_SSL_CA_FILE || undefined);
  set('kafka', 'sslCertFile', env.KAFKA_SSL_CERT_FILE || undefined);
  set('kafka', 'sslKeyFile', env.KAFKA_SSL_KEY_FILE || undefined);
  if (env.KAFKA_SSL_REJECT_UNAUTHORIZED) set('kafka', 'sslRejectUnauthorized', flag(env.KAFKA_SSL_REJECT_UNAUTHORIZED));
  if (env.KAFKA_SASL_ALLOW_PLAINTEXT) set('kafka', 'saslAllowPlaintext', flag(env.KAFKA_SASL_ALLOW_PLAINTEXT));
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism === 'oauthbearer') {
    set('kafka', 'sasl', {
      mechanism, tokenUrl: env.KAFKA_SASL_OAUTH_TOKEN_URL || undefined, clientId: env.KAFKA_SASL_OAUTH_CLIENT_ID || undefined,
      clientSecret: env.KAFKA_SASL_OAUTH_CLIENT_SECRET, scope: env.KAFKA_SASL_OAUTH_SCOPE || undefined, tokenFile: env.KAFKA_SASL_OAUTH_TOKEN_FILE || undefined,
    });
  } else if (mechanism) set('kafka', 'sasl', { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' });
  set('clickhouse', 'url', env.CLICKHOUSE_URL || undefined);
  set('clickhouse', 'password', env.CLICKHOUSE_PASSWORD);
  set('clickhouse', 'username', env.CLICKHOUSE_USER);
  set('clickhouse', 'database', env.CLICKHOUSE_DATABASE);
  set('clickhouse', 'path', env.TRENDSTREAM_CHDB_PATH);
  set('clickhouse', 'cluster', env.CLICKHOUSE_CLUSTER || undefined);
  set('clickhouse', 'caFile', env.CLICKHOUSE_CA_FILE || undefined);
  set('clickhouse', 'certFile', env.CLICKHOUSE_CERT_FILE || undefined);
  set('clickhouse', 'keyFile', env.CLICKHOUSE_KEY_FILE || undefined);
  set('clickhouse', 'retention', perTable(env.TRENDSTREAM_RETENTION_DAYS));
  set('ingest', 'port', int(env.TRENDSTREAM_INGEST_PORT));
  set('ingest', 'tokens', list(env.TRENDSTREAM_INGEST_TOKENS));
  set('ingest', 'minCreatedAt', env.TRENDSTREAM_MIN_CREATED_AT || undefined);
  if (env.TRENDSTREAM_MASTODON_URL) set('ingest', 'mastodon', [{ url: env.TRENDSTREAM_MASTODON_URL, token: env.TRENDSTREAM_MASTODON_TOKEN ?? '', ...(env.TRENDSTREAM_MASTODON_STREAM ? { stream: env.TRENDSTREAM_MASTODON_STREAM } : {}) }]);
  if (env.TRENDSTREAM_JETSTREAM_URL) set('ingest', 'jetstream', { url: env.TRENDSTREAM_JETSTREAM_URL, ...(env.TRENDSTREAM_JETSTREAM_WANTED_DIDS ? { wantedDids: list(env.TRENDSTREAM_JETSTREAM_WANTED_DIDS) } : {}) });
  set('processor', 'latenessMs', int(env.TRENDSTREAM_LATENESS_MS));
  set('processor', 'idleMs', int(env.TRENDSTREAM_IDLE_MS));
  set('processor', 'maxTagsPerMinute', int(env.TRENDSTREAM_MAX_TAGS_PER_MINUTE));
  set('api', 'readTokens', list(env.TRENDSTREAM_API_READ_TOKENS));
  set('api', 'adminTokens', list(env.TRENDSTREAM_API_ADMIN_TOKENS));
  set('api', 'watchesFile', env.TRENDSTREAM_WATCHES_FILE || undefined);
  set('api', 'port', int(env.TRENDSTREAM_API_PORT));
  set('api', 'host', env.TRENDSTREAM_API_HOST || undefined);
  set('http', 'port', int(env.TRENDSTREAM_HTTP_PORT));
  set('http', 'host', env.TRENDSTREAM_HTTP_HOST || undefined);
  set('ingest', 'host', env.TRENDSTREAM_INGEST_HOST || undefined);
  const channels = [];
  if (env.TRENDSTREAM_SLACK_WEBHOOK_URL) channels.push({ name: 'slack', kind: 'slack', url: env.TRENDSTREAM_SLACK_WEBHOOK_URL });
  if (env.TRENDSTREAM_WEBHOOK_URL) channels.push({ name: 'webhook', kind: 'webhook', url: env.TRENDSTREAM_WEBHOOK_URL, secret: env.TRENDSTREAM_WEBHOOK_SECRET });
  if (env.TRENDSTREAM_TEAMS_WEBHOOK_URL) channels.push({ name: 'teams', kind: 'teams', url: env.TRENDSTREAM_TEAMS_WEBHOOK_URL });
  if (env.TRENDSTREAM_SMTP_HOST) {
    channels.push({
      name: 'email', kind: 'email', host: env.TRENDSTREAM_SMTP_HOST, port: int(env.TRENDSTREAM_SMTP_PORT), username: env.TRENDSTREAM_SMTP_USERNAME || undefined,
      password: env.TRENDSTREAM_SMTP_PASSWORD, caFile: env.TRENDSTREAM_SMTP_CA_FILE || undefined, from: env.TRENDSTREAM_ALERT_EMAIL_FROM, to: list(env.TRENDSTREAM_ALERT_EMAIL_TO) ?? [],
      ...(env.TRENDSTREAM_SMTP_SECURE ? { secure: env.TRENDSTREAM_SMTP_SECURE === '1' || env.TRENDSTREAM_SMTP_SECURE === 'true' } : {}),
      ...(env.TRENDSTREAM_SMTP_REQUIRE_TLS ? { requireTLS: env.TRENDSTREAM_SMTP_REQUIRE_TLS === '1' || env.TRENDSTREAM_SMTP_REQUIRE_TLS === 'true' } : {}),
    });
  }
  if (channels.length) set('alerting', 'channels', channels);
  set('alerting', 'dashboardUrl', env.TRENDSTREAM_DASHBOARD_URL);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (Object.keys(v).length) out[k] = v;
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  if (env.TRENDSTREAM_INSECURE_NO_AUTH) out.insecureNoAuth = env.TRENDSTREAM_INSECURE_NO_AUTH === '1' || env.TRENDSTREAM_INSECURE_NO_AUTH === 'true';
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

/**
 * Refuses to serve without tokens: ingest (POST /v1/posts, /v1/erasures) needs an ingest token,
 * the query API a read or admin token, unless `insecureNoAuth` says open on purpose. Throws a
 * ConfigError naming the settings, before anything connects.
 */
export function requireAuth(c: Config, serves: readonly ('ingest' | 'api')[]): void {
  if (c.insecureNoAuth) return;
  const missing: string[] = [];
  if (serves.includes('ingest') && !c.ingest.tokens.length) {
    missing.push('ingest needs a bearer token: set TRENDSTREAM_INGEST_TOKENS (config ingest.tokens), and TRENDSTREAM_API_ADMIN_TOKENS (api.adminTokens) for POST /v1/erasures');
  }
  if (serves.includes('api') && !c.api.readTokens.length && !c.api.adminTokens.length) {
    missing.push('the query API needs a bearer token: set TRENDSTREAM_API_READ_TOKENS and/or TRENDSTREAM_API_ADMIN_TOKENS (config api.readTokens, api.adminTokens)');
  }
  if (missing.length) {
    throw new ConfigError(`refusing to serve without authentication: ${missing.join('; ')}. Tokens are at least 16 characters (e.g. \`openssl rand -hex 24\`). To run open on purpose, on a laptop, pass --insecure-no-auth (TRENDSTREAM_INSECURE_NO_AUTH=1)`);
  }
}

/**
 * The config with a freshly generated admin token (also accepted by ingest) when it configures
 * no API token: the demo's dashboard link carries it, so nothing it serves is open. `token` is
 * the generated one, undefined when the config had its own.
 */
export function withOneTimeToken(c: Config): { config: Config; token?: string } {
  if (c.api.readTokens.length || c.api.adminTokens.length) return { config: c };
  const token = randomBytes(24).toString('base64url');
  return { token, config: { ...c, api: { ...c.api, adminTokens: [token] }, ingest: { ...c.ingest, tokens: c.ingest.tokens.length ? c.ingest.tokens : [token] } } };
}

/** The config with secrets replaced, for logs and `--print-config`. */
export function redact(c: Config): unknown {
  return {
    ...c,
    kafka: {
      ...c.kafka,
      sasl: c.kafka.sasl?.mechanism === 'oauthbearer' ? { ...c.kafka.sasl, clientSecret: c.kafka.sasl.clientSecret === undefined ? undefined : '[redacted]' }
        : c.kafka.sasl ? { ...c.kafka.sasl, password: '[redacted]' } : undefined,
    },
    clickhouse: { ...c.clickhouse, password: c.clickhouse.password ? '[redacted]' : '' },
    ingest: { ...c.ingest, tokens: c.ingest.tokens.map(() => '[redacted]'), mastodon: c.ingest.mastodon.map((m) => ({ ...m, token: '[redacted]' })) },
    api: { ...c.api, readTokens: c.api.readTokens.map(() => '[redacted]'), adminTokens: c.api.adminTokens.map(() => '[redacted]') },
    alerting: {
      ...c.alerting,
      channels: c.alerting.channels.map((ch) => (ch.kind === 'email'
        ? { ...ch, password: ch.password ? '[redacted]' : undefined }
        : { ...ch, url: ch.url.replace(/\/[^/]*$/, '/[redacted]'), secret: ch.secret ? '[redacted]' : undefined })),
    },
  };
}
