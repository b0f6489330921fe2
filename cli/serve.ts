// `trendstream serve`: the query API, the dashboard and /metrics over ClickHouse (server or
// embedded), and `trendstream migrate`. In embedded mode the demo process serves them,
// since one process owns the store.
import Fastify from 'fastify';
import { loadConfig, requireAuth } from '../app/config.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { registerOps, startOpsServer } from '../lib/ops.js';
import { registerApi } from '../serve/api.js';
import { registerDashboard } from '../serve/dashboard.js';
import { WatchStore } from '../serve/watch-store.js';
import { migrate, openStore } from '../lib/clickhouse/client.js';
import { ddl } from '../lib/clickhouse/ddl.js';
import { runRetention as applyRetention } from '../sinks/clickhouse/retention.js';
import { readWatches } from './detect.js';

export async function runMigrate(o: { config?: string; print?: boolean }): Promise<void> {
  const config = loadConfig({ file: o.config });
  if (o.print) {
    process.stdout.write(ddl(config.clickhouse.database, config.clickhouse.cluster).map((s) => `${s};\n`).join('\n'));
    return;
  }
  const store = openStore(config.clickhouse);
  await migrate(store, config.clickhouse.database, config.clickhouse.cluster);
  await store.close();
  process.stdout.write(`migrated database ${config.clickhouse.database}${config.clickhouse.cluster ? ` on cluster ${config.clickhouse.cluster}` : ''}\n`);
}

/** Applies retention once (or, with dryRun, only says what it would do); prints one line per action. */
export async function runRetention(o: { config?: string; dryRun?: boolean }): Promise<void> {
  const config = loadConfig({ file: o.config });
  const { database, cluster, retention } = config.clickhouse;
  const store = openStore(config.clickhouse);
  try {
    const actions = await applyRetention(store, { database, cluster, retention }, { dryRun: o.dryRun });
    for (const a of actions) process.stdout.write(`${o.dryRun ? 'would run' : 'ran'}: ${a.sql}\n`);
    if (!actions.length) process.stdout.write('retention: nothing to do\n');
  } finally {
    await store.close();
  }
}

export async function runServe(o: { config?: string; watches?: string; insecureNoAuth?: boolean }): Promise<void> {
  const config = loadConfig({ file: o.config, overrides: o.insecureNoAuth ? { insecureNoAuth: true } : {} });
  requireAuth(config, ['api']);
  const log = createLogger(config.logLevel);
  if (config.insecureNoAuth) log.warn({ host: config.api.host }, 'serving the query API WITHOUT authentication (--insecure-no-auth)');
  const file = o.watches ?? config.api.watchesFile;
  if (file) readWatches(file); // a missing or invalid file is a usage error (exit 1) before anything starts
  const store = openStore(config.clickhouse);
  await migrate(store, config.clickhouse.database, config.clickhouse.cluster);
  const watches = new WatchStore({ file, log: log.child({ component: 'watches' }) });
  const metrics = Metrics.withDefaults();
  // The API and dashboard on api.port; /metrics on http.port, which stays inside the cluster.
  const ops = await startOpsServer(config.http.port, metrics.registry, { ready: () => true }, config.http.host);
  const app = Fastify({ logger: false });
  registerOps(app, null, { ready: () => true });
  registerApi(app, { store, database: config.clickhouse.database, watches, tokens: { read: config.api.readTokens, admin: config.api.adminTokens, open: config.insecureNoAuth }, log: log.child({ component: 'api' }) });
  registerDashboard(app);
  await app.listen({ port: config.api.port, host: config.api.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.api.port;
  process.stdout.write(`ready ${JSON.stringify({ roles: ['serve'], port, ops: ops.port, pid: process.pid })}\n`);
  const stop = async () => {
    await app.close();
    await ops.app.close();
    watches.close();
    await store.close();
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
