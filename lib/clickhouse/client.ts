// The ClickHouse store: a server over HTTP when CLICKHOUSE_URL is set, otherwise embedded
// chdb through @clickhouse/client's `connection` option (one process per store).
// Migrations from schemas/migrations run on start (see ddl.ts for the cluster layout); they
// keep to what 18.16 supports.
import { type ClickHouseClient, ClickHouseLogLevel, createClient, type Logger as ClickHouseLogger, type LogParams } from '@clickhouse/client';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { ddl, DISTRIBUTED } from './ddl.js';
import { quote } from './sql.js';

export type Store = ClickHouseClient;

/** Where the embedded store lives unless `clickhouse.path` says otherwise. */
export const DEFAULT_CHDB_PATH = '.trendstream/chdb';
const days = (d: number) => z.number().int().min(0).max(36_500).default(d);

/** Which store to use and how long its tables keep rows. */
export const ClickHouseConfigSchema = z.object({
  url: z.string().url().optional().describe('ClickHouse server HTTP URL (env CLICKHOUSE_URL); unset uses embedded chdb'),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier').default('trendstream'),
  username: z.string().default('default'),
  password: z.string().default('').describe('env CLICKHOUSE_PASSWORD; never logged'),
  caFile: z.string().min(1).optional().describe('PEM file of the CA that signed an https:// server\'s certificate, instead of the system CAs (env CLICKHOUSE_CA_FILE)'),
  certFile: z.string().min(1).optional().describe('PEM client certificate for a server that requires one (env CLICKHOUSE_CERT_FILE); needs keyFile and caFile'),
  keyFile: z.string().min(1).optional().describe('PEM private key of certFile (env CLICKHOUSE_KEY_FILE); a secret'),
  path: z.string().default(DEFAULT_CHDB_PATH).describe('Embedded store folder (env TRENDSTREAM_CHDB_PATH)'),
  cluster: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the plain name of a cluster in the servers\' remote_servers').optional()
    .describe('ClickHouse cluster (env CLICKHOUSE_CLUSTER): migrate creates Replicated tables per shard behind Distributed ones; unset means one server'),
  retention: z.object({
    posts: days(30), hashtag_minute: days(400), watch_minute: days(400), trends: days(0), alerts: days(0), alert_feedback: days(0), erasure_requests: days(0),
  }).strict().prefault({}).describe('Days each table keeps its rows, by their time column; 0 keeps them forever (env TRENDSTREAM_RETENTION_DAYS="posts=30,hashtag_minute=400")'),
  retentionIntervalMinutes: z.number().int().min(1).default(60).describe('How often a sink drops expired partitions on servers without TTL (ClickHouse 18.16)'),
}).strict().superRefine((c, ctx) => {
  if (c.cluster && !c.url) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'a cluster needs clickhouse.url (CLICKHOUSE_URL): embedded chdb is one process' });
  if ((c.caFile || c.certFile) && !c.url?.startsWith('https://')) {
    ctx.addIssue({ code: 'custom', path: [c.caFile ? 'caFile' : 'certFile'], message: 'TLS files need an https:// clickhouse.url (CLICKHOUSE_URL)' });
  }
  if (!c.certFile !== !c.keyFile) ctx.addIssue({ code: 'custom', path: [c.certFile ? 'keyFile' : 'certFile'], message: 'a client certificate needs both certFile and keyFile (CLICKHOUSE_CERT_FILE, CLICKHOUSE_KEY_FILE)' });
  // @clickhouse/client takes a client certificate only together with the CA.
  if (c.certFile && !c.caFile) ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'a client certificate needs caFile too (CLICKHOUSE_CA_FILE)' });
});
export type ClickHouseConfig = z.output<typeof ClickHouseConfigSchema>;

/**
 * A client for the configured store. Embedded mode locks `clickhouse.path` for this process.
 * On a cluster, inserts into Distributed tables return only once every shard has its rows,
 * so a sink commits its offsets after the data is really stored.
 */
export function openStore(cfg: Pick<ClickHouseConfig, 'url' | 'database' | 'username' | 'password' | 'path'> & Partial<Pick<ClickHouseConfig, 'caFile' | 'certFile' | 'keyFile'>> & { cluster?: string }, log?: Logger): Store {
  // With a logger, the client's warnings go into pino (component "clickhouse") instead of the console.
  const logging = log ? { log: { LoggerClass: pinoLogger(log.child({ component: 'clickhouse' })), level: ClickHouseLogLevel.WARN } } : {};
  if (cfg.url) {
    return createClient({
      ...logging,
      url: cfg.url, username: cfg.username, password: cfg.password, ...tlsOptions(cfg),
      request_timeout: 60_000,
      compression: { request: false, response: true },
      clickhouse_settings: { date_time_input_format: 'best_effort', ...(cfg.cluster ? { insert_distributed_sync: 1 } : {}) },
    });
  }
  mkdirSync(cfg.path, { recursive: true });
  // chdb/connection is CommonJS-only; require keeps the ~500 MB engine out of server-mode processes.
  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as typeof import('chdb/connection');
  return createClient({ ...logging, connection: createChdbConnection({ path: path.resolve(cfg.path) }) as never });
}

/** The client's logger interface over a pino logger (the client makes its logger with `new`, hence a class per logger). */
function pinoLogger(log: Logger): new () => ClickHouseLogger {
  const write = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => ({ module, message, args, err }: LogParams & { err?: Error }) =>
    log[level]({ module, ...(args ? { args } : {}), ...(err ? { err } : {}) }, message);
  return class {
    trace = write('trace');
    debug = write('debug');
    info = write('info');
    warn = write('warn');
    error = write('error');
  };
}

/** @clickhouse/client's `tls` option from the config; reads the files now, with an error naming the setting. */
export function tlsOptions(cfg: Partial<Pick<ClickHouseConfig, 'caFile' | 'certFile' | 'keyFile'>>): { tls?: { ca_cert: Buffer; cert?: Buffer; key?: Buffer } } {
  if (!cfg.caFile) return {};
  const read = (file: string, setting: string) => {
    try { return readFileSync(file); } catch (e) { throw new Error(`cannot read ${setting} ${file}: ${(e as Error).message}`, { cause: e }); }
  };
  const ca_cert = read(cfg.caFile, 'clickhouse.caFile (CLICKHOUSE_CA_FILE)');
  if (!cfg.certFile || !cfg.keyFile) return { tls: { ca_cert } };
  return { tls: { ca_cert, cert: read(cfg.certFile, 'clickhouse.certFile (CLICKHOUSE_CERT_FILE)'), key: read(cfg.keyFile, 'clickhouse.keyFile (CLICKHOUSE_KEY_FILE)') } };
}

/** Creates the database and every table, on `cluster` when given (idempotent: safe on every start). */
export async function migrate(store: Store, database: string, cluster?: string): Promise<void> {
  for (const query of ddl(database, cluster)) {
    const add = ADD_COLUMN.exec(query);
    if (add && (await hasColumn(store, add[1]!, add[2]!, add[3]!))) continue;
    const dist = DISTRIBUTED.exec(query);
    // A Distributed table made before a migration added columns to its local table is made again (it holds no rows).
    if (dist && (await columns(store, dist[1]!, dist[2]!)) !== (await columns(store, dist[1]!, `${dist[2]}_local`))) {
      await store.command({ query: `DROP TABLE IF EXISTS ${dist[1]}.${dist[2]} ON CLUSTER ${dist[3]}` });
    }
    await store.command({ query });
  }
}

/** A table's column names and types in order, as one string ('' when it does not exist on this server). */
async function columns(store: Store, database: string, table: string): Promise<string> {
  const rs = await store.query({
    query: `SELECT name, type FROM system.columns WHERE database = ${quote(database)} AND table = ${quote(table)}`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string; type: string }>()).map((c) => `${c.name} ${c.type}`).join(', ');
}

/** 18.16 has no ADD COLUMN IF NOT EXISTS: a column the table has is skipped by looking it up. */
const ADD_COLUMN = /^ALTER TABLE (\w+)\.(\w+)(?: ON CLUSTER \w+)? ADD COLUMN (\w+) /;

async function hasColumn(store: Store, database: string, table: string, column: string): Promise<boolean> {
  const rs = await store.query({
    query: `SELECT count() AS n FROM system.columns WHERE database = ${quote(database)} AND table = ${quote(table)} AND name = ${quote(column)}`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}
