// Kafka at the edge: the kafkajs client (logging into pino), topic names under one
// prefix, and topic creation with explicit partition counts (never auto-creation).
// Import kafkajs through this module: the patch must load before kafkajs does.
import './patch.js';
import './kip447.js';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Admin, type Consumer, type ITopicConfig, type ITopicMetadata, type KafkaConfig as KafkaJSConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { topicNames, type Topics } from '../../schemas/topics.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CHANGELOG_MAX_MESSAGE_BYTES } from './changelog.js';
import { clientCredentialsProvider, tokenFileProvider } from './oauth.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export { Kafka, logLevel, Partitioners } from 'kafkajs';

/** How to reach the brokers and what to call the topics. */
export const KafkaConfigSchema = z.object({
  brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).default([]).describe('Kafka bootstrap brokers (env KAFKA_BROKERS, comma-separated); empty starts a local broker'),
  clientId: z.string().default('trendstream'),
  topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/).default('').describe('Prefix of every topic name (env TRENDSTREAM_TOPIC_PREFIX)'),
  postsPartitions: z.number().int().min(1).default(6).describe('Partitions of the posts topic: bounds stage A and the posts sink'),
  countsPartitions: z.number().int().min(1).default(6).describe('Partitions of hashtag-counts: bounds stage B'),
  replicationFactor: z.number().int().min(1).optional()
    .describe('Replicas of each topic the pipeline creates (env KAFKA_REPLICATION_FACTOR); unset takes the brokers\' default.replication.factor (1 on the local broker, 3 on the local cluster)'),
  minInsyncReplicas: z.number().int().min(1).optional()
    .describe('min.insync.replicas of each topic created (env KAFKA_MIN_INSYNC_REPLICAS): acks=all writes need this many replicas; unset takes the brokers\' default (2 on the local cluster)'),
  ssl: z.boolean().default(false).describe('TLS to the brokers (env KAFKA_SSL=1); the system CAs are trusted unless sslCaFile names one'),
  sslCaFile: z.string().min(1).optional().describe('PEM file of the CA(s) that signed the brokers\' certificates (env KAFKA_SSL_CA_FILE)'),
  sslCertFile: z.string().min(1).optional().describe('PEM client certificate for brokers that require one (mTLS) (env KAFKA_SSL_CERT_FILE); needs sslKeyFile'),
  sslKeyFile: z.string().min(1).optional().describe('PEM private key of sslCertFile (env KAFKA_SSL_KEY_FILE); a secret'),
  sslRejectUnauthorized: z.boolean().default(true).describe('Refuse brokers whose certificate does not verify (env KAFKA_SSL_REJECT_UNAUTHORIZED=0 turns it off, for tests only)'),
  sasl: z.discriminatedUnion('mechanism', [
    z.object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string().min(1),
      password: z.string(),
    }).strict(),
    z.object({
      mechanism: z.literal('oauthbearer'),
      tokenUrl: z.url().refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL').optional()
        .describe('OAuth 2 token endpoint, client-credentials grant (env KAFKA_SASL_OAUTH_TOKEN_URL)'),
      clientId: z.string().min(1).optional().describe('OAuth client id (env KAFKA_SASL_OAUTH_CLIENT_ID)'),
      clientSecret: z.string().optional().describe('OAuth client secret (env KAFKA_SASL_OAUTH_CLIENT_SECRET); never logged'),
      scope: z.string().min(1).optional().describe('Scope asked for, space-separated (env KAFKA_SASL_OAUTH_SCOPE)'),
      tokenFile: z.string().min(1).optional().describe('File holding a token, read on every connection, instead of a token endpoint (env KAFKA_SASL_OAUTH_TOKEN_FILE)'),
    }).strict().superRefine((o, ctx) => {
      if (!o.tokenUrl === !o.tokenFile) ctx.addIssue({ code: 'custom', message: 'OAUTHBEARER needs exactly one of tokenUrl (KAFKA_SASL_OAUTH_TOKEN_URL) and tokenFile (KAFKA_SASL_OAUTH_TOKEN_FILE)' });
      if (o.tokenUrl && (!o.clientId || o.clientSecret === undefined)) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'a token endpoint needs clientId and clientSecret (KAFKA_SASL_OAUTH_CLIENT_ID, KAFKA_SASL_OAUTH_CLIENT_SECRET)' });
    }),
  ]).optional().describe('SASL: plain or scram-* with username and password (env KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD), or oauthbearer'),
  saslAllowPlaintext: z.boolean().default(false)
    .describe('Allow SASL PLAIN and OAUTHBEARER without TLS, which send the password or token readable by anyone on the path (env KAFKA_SASL_ALLOW_PLAINTEXT=1)'),
}).strict().superRefine((c, ctx) => {
  if (c.minInsyncReplicas !== undefined && c.minInsyncReplicas > (c.replicationFactor ?? c.minInsyncReplicas)) {
    ctx.addIssue({ code: 'custom', path: ['minInsyncReplicas'], message: 'must not exceed kafka.replicationFactor: no write could ever be acknowledged' });
  }
  if ((c.sslCaFile || c.sslCertFile || c.sslKeyFile) && !c.ssl) {
    ctx.addIssue({ code: 'custom', path: ['ssl'], message: 'sslCaFile, sslCertFile and sslKeyFile need TLS on: set KAFKA_SSL=1 (kafka.ssl)' });
  }
  if (!c.sslCertFile !== !c.sslKeyFile) {
    ctx.addIssue({ code: 'custom', path: [c.sslCertFile ? 'sslKeyFile' : 'sslCertFile'], message: 'a client certificate needs both sslCertFile and sslKeyFile (KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE)' });
  }
  if ((c.sasl?.mechanism === 'plain' || c.sasl?.mechanism === 'oauthbearer') && !c.ssl && !c.saslAllowPlaintext) {
    ctx.addIssue({ code: 'custom', path: ['sasl'], message: `SASL ${c.sasl.mechanism.toUpperCase()} without TLS sends the ${c.sasl.mechanism === 'plain' ? 'password' : 'token'} in clear text: set KAFKA_SSL=1 (kafka.ssl), or KAFKA_SASL_ALLOW_PLAINTEXT=1 (kafka.saslAllowPlaintext) to allow it on purpose` });
  }
});
export type KafkaConfig = z.output<typeof KafkaConfigSchema>;

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug', [logLevel.NOTHING]: 'debug',
};

/** Reads a file named by the config at start, with an error naming the setting. */
function readSetting(file: string, setting: string): string {
  try { return readFileSync(file, 'utf8'); } catch (e) {
    throw new Error(`cannot read ${setting} ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** kafkajs' `ssl` and `sasl` options from the config; reads the certificate and key files now. */
export function transportOptions(cfg: KafkaConfig): Pick<KafkaJSConfig, 'ssl' | 'sasl'> {
  const ssl = !cfg.ssl ? false : {
    rejectUnauthorized: cfg.sslRejectUnauthorized,
    ...(cfg.sslCaFile ? { ca: [readSetting(cfg.sslCaFile, 'kafka.sslCaFile (KAFKA_SSL_CA_FILE)')] } : {}),
    ...(cfg.sslCertFile ? { cert: readSetting(cfg.sslCertFile, 'kafka.sslCertFile (KAFKA_SSL_CERT_FILE)') } : {}),
    ...(cfg.sslKeyFile ? { key: readSetting(cfg.sslKeyFile, 'kafka.sslKeyFile (KAFKA_SSL_KEY_FILE)') } : {}),
  };
  const s = cfg.sasl;
  if (s?.mechanism !== 'oauthbearer') return { ssl, ...(s ? { sasl: s as SASLOptions } : {}) };
  if (s.tokenFile) readSetting(s.tokenFile, 'kafka.sasl.tokenFile (KAFKA_SASL_OAUTH_TOKEN_FILE)');
  const oauthBearerProvider = s.tokenFile ? tokenFileProvider(s.tokenFile)
    : clientCredentialsProvider({ tokenUrl: s.tokenUrl!, clientId: s.clientId!, clientSecret: s.clientSecret ?? '', scope: s.scope });
  return { ssl, sasl: { mechanism: 'oauthbearer', oauthBearerProvider } };
}

export function createKafka(cfg: KafkaConfig, log: Logger, clientId = cfg.clientId): Kafka {
  if (cfg.brokers.length === 0) throw new Error('kafka.brokers is empty: set KAFKA_BROKERS=host:port or let the demo start a local broker');
  const klog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: cfg.brokers,
    ...transportOptions(cfg),
    logLevel: logLevel.WARN,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      // kafkajs logs transient, retried errors at ERROR; and warns about bounded retries, which we
      // want: a failed transaction is aborted and its batch re-processed, a failed ingest is answered 503.
      let lvl = levels[level] ?? 'info';
      if (lvl === 'error' && /coordinator|leader|rebalanc|concurrent operation|Restarting the consumer/i.test(`${String(rest.error ?? '')} ${message}`)) lvl = 'warn';
      if (/Limiting retries for the idempotent producer/.test(message)) lvl = 'debug';
      klog[lvl](rest, message);
    },
  });
}

/** Creates the pipeline's topics if missing, with the configured partition counts and replication. */
export async function ensureTopics(admin: Admin, cfg: KafkaConfig): Promise<Topics> {
  const t = topicNames(cfg.topicPrefix);
  const week = String(7 * 86_400_000);
  const want: ITopicConfig[] = [
    { topic: t.posts, numPartitions: cfg.postsPartitions, configEntries: [{ name: 'retention.ms', value: week }] },
    { topic: t.enriched, numPartitions: cfg.postsPartitions, configEntries: [{ name: 'retention.ms', value: week }] },
    { topic: t.dlq, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(30 * 86_400_000) }] },
    { topic: t.counts, numPartitions: cfg.countsPartitions },
    { topic: t.minutes, numPartitions: 3 },
    { topic: t.trends, numPartitions: 3 },
    { topic: t.alerts, numPartitions: 3 },
    // One partition: requests are rare, and every sink reads all of them in order.
    { topic: t.erasures, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    // Stage B's snapshots, partition = hashtag-counts partition. Compacted to the newest snapshot per
    // chunk; hourly segments, since the active segment is never compacted.
    { topic: t.changelog, numPartitions: cfg.countsPartitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' },
      { name: 'max.message.bytes', value: String(CHANGELOG_MAX_MESSAGE_BYTES) }, { name: 'segment.ms', value: String(3_600_000) }] },
  ];
  const have = new Set(await admin.listTopics());
  const isr = cfg.minInsyncReplicas === undefined ? [] : [{ name: 'min.insync.replicas', value: String(cfg.minInsyncReplicas) }];
  const missing = want.filter((w) => !have.has(w.topic))
    .map((w) => ({ ...w, replicationFactor: cfg.replicationFactor ?? -1, configEntries: [...(w.configEntries ?? []), ...isr] }));
  if (missing.length) {
    try { await admin.createTopics({ topics: missing, waitForLeaders: false }); } catch (e) { // kafkajs' wait (its default) throws on a cluster: waitForLeaders below
      // Another worker starting at the same moment may have created them first.
      if (!/already exists/i.test(String((e as Error).message) + JSON.stringify((e as { errors?: unknown }).errors ?? ''))) throw e;
    }
    await waitForLeaders(admin, missing.map((m) => m.topic));
  }
  return t;
}

/**
 * Waits until every partition of `topics` has a leader. kafkajs' own `waitForLeaders` retries
 * only LEADER_NOT_AVAILABLE; on a cluster the broker it asks may not know a topic created a
 * moment ago on the controller yet and answers UNKNOWN_TOPIC_OR_PARTITION, which it throws.
 * Gives the topics' metadata as the answer that had them all.
 */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<ITopicMetadata[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown = null;
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.length === topics.length && meta.topics.every((m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0))) return meta.topics;
    } catch (e) {
      if (!(e as { retriable?: boolean }).retriable && !/does not host|leader/i.test(String((e as Error).message))) throw e;
      last = e;
    }
    if (Date.now() > until) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms${last ? `: ${String((last as Error).message)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * kafkajs restarts a consumer after retriable failures; one it gives up on must not leave a
 * live process that consumes nothing: fail loudly so a supervisor restarts the worker.
 */
export function exitOnFatalCrash(consumer: Consumer, log: Logger): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    log.fatal({ err: payload.error }, 'consumer crashed for good; exiting for a restart');
    process.exitCode = 2;
    setTimeout(() => process.exit(2), 100);
  });
}

/**
 * Keeps `trendstream_consumer_lag_messages` from every batch kafkajs hands over, including the
 * batches that hold only transaction markers and never reach `eachBatch`: a caught-up consumer
 * of a topic written in transactions then reads 0, not the 1 of the commit marker after the
 * last record (which kept the sinks of stage B's topics above 0 at rest, and
 * TrendstreamSinkStalled firing whenever no trend or alert came for 10 minutes).
 */
export function trackLag(consumer: Consumer, metrics: Metrics, componentId: string): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    metrics.lag.set({ component_id: componentId, topic: payload.topic, partition: String(payload.partition) }, Math.max(0, Number(payload.offsetLag)));
  });
}
