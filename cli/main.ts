// The `trendstream` CLI: one entry for the demo, the workers and the offline tools.
// Exit codes: 0 success, 1 bad arguments or unreadable input, 2 a runtime failure.
import { Command, InvalidArgumentError } from 'commander';
// Each command loads its modules when it runs (`await import` in its action): `analyze` must not
// pay for Fastify, zod, kafkajs and ClickHouse clients it never uses. Only what defining the
// commands needs is imported here; the query commands (top, alerts, watches: their module
// brings zod) are defined only when the command run is not one of those below.

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

const program = new Command('trendstream')
  .description('Real-time hashtag trends and shitstorm alerts: Kafka in, ClickHouse out.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 1));

program.command('demo')
  .description('run everything in one process on a local Kafka and embedded ClickHouse, printing the top hashtags until Ctrl-C')
  .option('--speed <x>', 'event-time speed-up until the stream catches up with now', int('--speed'), 30)
  .option('--rate <n>', 'background posts per minute at the daily peak', int('--rate'), 3000)
  .option('--seconds <n>', 'stop by itself after this many seconds', int('--seconds'))
  .option('--watches <file>', 'watches file (CONTRACTS §3)', 'deploy/local/demo-watches.json')
  .option('--config <file>', 'JSON config file')
  .option('--kafka-port <n>', 'port of the broker the demo starts (or uses) when KAFKA_BROKERS is unset (the first node\'s with --brokers 3)', int('--kafka-port'), 9092)
  .option('--brokers <n>', 'Kafka nodes to start when KAFKA_BROKERS is unset: 1, or 3 for a KRaft cluster with replication 3 and min ISR 2 (env TRENDSTREAM_BROKERS)', int('--brokers'), Number(process.env.TRENDSTREAM_BROKERS ?? 1))
  .option('--clickhouse-replicas <n>', 'start a ClickHouse cluster of this many 18.16 replicas and ZooKeeper instead of the embedded store, unless CLICKHOUSE_URL is set (env TRENDSTREAM_CLICKHOUSE_REPLICAS)', int('--clickhouse-replicas'), Number(process.env.TRENDSTREAM_CLICKHOUSE_REPLICAS ?? 0))
  .option('--docker', 'when a Docker engine answers, run Kafka and a current ClickHouse server in containers (testcontainers; needs image pulls) instead of the local runners', false)
  .action(async (o) => (await import('./demo.js')).runDemo({ speed: o.speed, rate: o.rate, seconds: o.seconds, watches: o.watches, configFile: o.config, kafkaPort: o.kafkaPort, brokers: o.brokers, clickhouseReplicas: o.clickhouseReplicas, docker: o.docker }));

const time = (name: string) => (v: string) => {
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) throw new InvalidArgumentError(`${name} must be a time like 2026-11-01T00:00:00Z`);
  return t;
};

program.command('detect')
  .description('run the detectors in-process over a posts file (or a time range of ClickHouse posts) in event time and write every trend and alert event as NDJSON')
  .option('--input <file>', 'posts as NDJSON (- for stdin)')
  .option('--from <time>', 'backtest: posts from ClickHouse from this time (with --to; config from env/--config)', time('--from'))
  .option('--to <time>', 'backtest: until this time (exclusive)', time('--to'))
  .requiredOption('--output <file>', 'where to write the events as NDJSON (- for stdout)')
  .option('--watches <file>', 'watches as a JSON array (CONTRACTS §3)')
  .option('--lateness <ms>', 'allowed lateness in milliseconds (default: DEFAULT_LATENESS_MS of processors/detect, 60000)', int('--lateness'))
  .option('--trend-sensitivity <x>', 'trend thresholds divided by this (>1 finds more)', int('--trend-sensitivity'))
  .option('--watch-sensitivity <x>', "override every watch's sensitivity", int('--watch-sensitivity'))
  .option('--min-severity <n>', "override every watch's opening severity (1–6)", int('--min-severity'))
  .option('--config <file>', 'JSON config file (for --from/--to)')
  .action(async (o) => {
    const [{ runDetect, UsageError }, { loadConfig }, { DEFAULT_LATENESS_MS }] = await Promise.all([import('./detect.js'), import('../app/config.js'), import('../processors/detect.js')]);
    if ((o.from === undefined) !== (o.to === undefined)) throw new UsageError('--from and --to go together');
    if (o.minSeverity !== undefined && (o.minSeverity > 6 || !Number.isInteger(o.minSeverity))) throw new UsageError('--min-severity must be an integer from 1 to 6');
    const range = o.from !== undefined ? { from: o.from as number, to: o.to as number, config: loadConfig({ file: o.config }) } : undefined;
    const stats = await runDetect({ input: o.input, range, output: o.output, watches: o.watches, latenessMs: o.lateness ?? DEFAULT_LATENESS_MS,
      trendSensitivity: o.trendSensitivity, watchSensitivity: o.watchSensitivity, minSeverity: o.minSeverity });
    if (o.output !== '-') process.stderr.write(`detect: ${stats.posts} posts, ${stats.minutes} minutes decided, ${stats.late} late, ${stats.duplicates} duplicates\n`);
  });

program.command('analyze')
  .description('text analysis only: NDJSON {"id", "text", "lang"?} in, {"id", "lang", "sentiment", "negative", "positive", "toxic", "toxicity", "arousal"} out, in input order (the scores stage A computes)')
  .requiredOption('--input <file>', 'texts as NDJSON (- for stdin)')
  .requiredOption('--output <file>', 'where to write the scores as NDJSON (- for stdout)')
  .action(async (o) => {
    const { runAnalyze } = await import('./analyze.js');
    const stats = await runAnalyze({ input: o.input, output: o.output });
    // Thousands separators by hand: toLocaleString starts ICU (about 40 ms of CPU).
    const rate = (s: number) => String(Math.round(stats.analysed / Math.max(s, 1e-3))).replace(/\B(?=(\d{3})+$)/g, ',');
    if (o.output !== '-') process.stderr.write(`analyze: ${stats.analysed} texts in ${stats.seconds.toFixed(2)} s (${rate(stats.seconds)} posts/s; ${stats.cpuSeconds.toFixed(2)} s of CPU, ${rate(stats.cpuSeconds)} posts/s per core), ${stats.bad} bad line(s) skipped\n`);
  });

const INSECURE = 'serve without bearer tokens (otherwise it refuses to start without them); anyone who reaches the port gets in: bind 127.0.0.1';
const workers: [string, string, ('ingest' | 'process' | 'sink')[]][] = [
  ['ingest', 'serve POST /v1/posts and write valid posts to Kafka (invalid ones to the DLQ)', ['ingest']],
  ['process', 'run stage A and stage B: dedupe, enrich, aggregate, decide minutes, detect trends and alerts', ['process']],
  ['sink', 'write posts, minute aggregates, trends and alerts to ClickHouse and deliver alerts', ['sink']],
];
for (const [name, description, roles] of workers) {
  const cmd = program.command(name)
    .description(description)
    .option('--config <file>', 'JSON config file (env vars override it)')
    .option('--watches <file>', 'watches as a JSON array (CONTRACTS §3)')
    .option('--group <prefix>', 'consumer group prefix (default: <topic prefix>trendstream)');
  if (name === 'process') cmd.option('--stage <a|b>', 'run only stage A or only stage B (default: both)');
  if (name === 'ingest') cmd.option('--insecure-no-auth', INSECURE);
  cmd.action(async (o) => {
    if (o.stage && o.stage !== 'a' && o.stage !== 'b') throw new (await import('./detect.js')).UsageError('--stage must be a or b');
    const { runWorker } = await import('./worker.js');
    await runWorker(o.stage ? [o.stage === 'a' ? 'stage-a' : 'stage-b'] : roles, { config: o.config, watches: o.watches, group: o.group, insecureNoAuth: o.insecureNoAuth });
  });
}

program.command('serve')
  .description('serve the query API (/v1/…) and the dashboard (/) from ClickHouse on api.port, /metrics on http.port; needs api.readTokens or api.adminTokens')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .option('--watches <file>', 'watches file, re-read when edited and rewritten by PUT /v1/watches')
  .option('--insecure-no-auth', INSECURE)
  .action(async (o) => (await import('./serve.js')).runServe({ config: o.config, watches: o.watches, insecureNoAuth: o.insecureNoAuth }));

program.command('migrate')
  .description('create the ClickHouse database and tables (idempotent); on clickhouse.cluster, Replicated tables per shard behind Distributed ones')
  .option('--print', 'print the statements instead of running them (for a DBA to review or apply)')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => (await import('./serve.js')).runMigrate({ config: o.config, print: o.print }));

program.command('retention')
  .description('apply ClickHouse retention once: TTL where the server has it, otherwise drop expired partitions (clickhouse.retention)')
  .option('--dry-run', 'only print what it would do')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => (await import('./serve.js')).runRetention({ config: o.config, dryRun: o.dryRun }));

const collect = (v: string, prev: string[]) => [...prev, v];
program.command('erase')
  .description('erase posts, or every post of an author, from ClickHouse for good (a replay never brings them back)')
  .option('--post <platform:id>', 'a post to erase (repeatable)', collect, [])
  .option('--author <platform:author_id>', 'an author whose every post to erase (repeatable)', collect, [])
  .option('--reason <text>', 'why (kept with the request, e.g. a ticket number)')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => {
    const { runErase } = await import('./erase.js');
    const done = await runErase({ posts: o.post, authors: o.author, reason: o.reason, config: o.config });
    process.stdout.write(`requested the erasure of ${done.filter((e) => e.kind === 'post').length} post(s) and ${done.filter((e) => e.kind === 'author').length} author(s); sinks apply it within seconds\n`);
  });

const OWN = new Set(['demo', 'detect', 'analyze', 'ingest', 'process', 'sink', 'serve', 'migrate', 'retention', 'erase']);
if (!OWN.has(process.argv[2] ?? '')) (await import('./query.js')).registerQueryCommands(program);

program.parseAsync(process.argv).catch(async (e) => {
  console.error(`trendstream: ${(e as Error).message}`);
  const bad = await Promise.all([import('./detect.js'), import('../app/config.js'), import('../schemas/erasure.js')]).then(
    ([{ UsageError }, { ConfigError }, { InvalidErasureError }]) => e instanceof UsageError || e instanceof ConfigError || e instanceof InvalidErasureError,
    () => false,
  );
  process.exit(bad ? 1 : 2);
});
