// `trendstream ingest|process|sink`: one worker kind per process, for scale-out (several
// processes share partitions through their consumer groups) and for the fault suite.
// SIGTERM/SIGINT stop it gracefully within the configured deadline: stop fetching, finish
// and commit in-flight batches, close clients, flush logs. Exit 0 after a clean stop.
import { loadConfig, requireAuth } from '../app/config.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { startPipeline, type Role } from '../app/pipeline.js';
import { readWatches } from './detect.js';
import { WatchStore } from '../serve/watch-store.js';

export async function runWorker(roles: Role[], o: { config?: string; watches?: string; group?: string; insecureNoAuth?: boolean }): Promise<void> {
  const config = loadConfig({ file: o.config, overrides: o.insecureNoAuth ? { insecureNoAuth: true } : {} });
  // Workers that serve only metrics and health need no token; ingest does.
  requireAuth(config, roles.includes('ingest') ? ['ingest'] : []);
  const log = createLogger(config.logLevel);
  if (config.insecureNoAuth && roles.includes('ingest')) log.warn({ host: config.ingest.host }, 'serving ingest WITHOUT authentication (--insecure-no-auth)');
  const file = o.watches ?? config.api.watchesFile;
  if (file) readWatches(file); // missing or invalid: a usage error (exit 1) before anything connects
  // Re-read when the file changes: stage A matches and stage B scores the new list from then on.
  const watches = new WatchStore({ file, log: log.child({ component: 'watches' }) });
  const pipeline = await startPipeline({ config, roles, log, metrics: Metrics.withDefaults(), watches: () => watches.get(), group: o.group });
  log.info({ roles, http: pipeline.httpPort, pid: process.pid }, 'worker started');
  // A line the fault suite and scripts wait for.
  process.stdout.write(`ready ${JSON.stringify({ roles, port: pipeline.httpPort, pid: process.pid })}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const deadline = setTimeout(() => { log.error({ deadlineMs: config.shutdownMs }, 'graceful stop exceeded its deadline; exiting'); log.flush(); process.exit(3); }, config.shutdownMs);
    await pipeline.close();
    watches.close();
    clearTimeout(deadline);
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
