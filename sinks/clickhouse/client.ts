// The ClickHouse store: a server over HTTP when CLICKHOUSE_URL is set, otherwise embedded
// chdb through @clickhouse/client's `connection` option (one process per store).
// Migrations from schemas/migrations run on start (see ddl.ts for the cluster layout); they
// keep to what 18.16 supports.
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Config } from '../../lib/config.js';
import { ddl } from './ddl.js';

export type Store = ClickHouseClient;

/**
 * A client for the configured store. Embedded mode locks `clickhouse.path` for this process.
 * On a cluster, inserts into Distributed tables return only once every shard has its rows,
 * so a sink commits its offsets after the data is really stored.
 */
export function openStore(cfg: Pick<Config['clickhouse'], 'url' | 'database' | 'username' | 'password' | 'path'> & { cluster?: string }): Store {
  if (cfg.url) {
    return createClient({
      url: cfg.url, username: cfg.username, password: cfg.password,
      request_timeout: 60_000,
      compression: { request: false, response: true },
      clickhouse_settings: { date_time_input_format: 'best_effort', ...(cfg.cluster ? { insert_distributed_sync: 1 } : {}) },
    });
  }
  mkdirSync(cfg.path, { recursive: true });
  // chdb/connection is CommonJS-only; require keeps the ~500 MB engine out of server-mode processes.
  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as typeof import('chdb/connection');
  return createClient({ connection: createChdbConnection({ path: path.resolve(cfg.path) }) as never });
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The one place an identifier enters SQL: validated, never quoted-and-hoped. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/** Escapes a value as a ClickHouse string literal (servers without query parameters: 18.16). */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

/** Creates the database and every table, on `cluster` when given (idempotent: safe on every start). */
export async function migrate(store: Store, database: string, cluster?: string): Promise<void> {
  for (const query of ddl(database, cluster)) await store.command({ query });
}
