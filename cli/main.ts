// The `trendstream` CLI: one entry for the demo, the workers and the offline tools.
// Exit codes: 0 success, 1 bad arguments or unreadable input, 2 a runtime failure.
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { runDetect, UsageError } from './detect.js';
import { runAnalyze } from './analyze.js';
import { runWorker } from './worker.js';
import { ConfigError, loadConfig } from '../app/config.js';
import { DEFAULT_LATENESS_MS } from '../processors/detect.js';
import { registerQueryCommands } from './query.js';
import { runMigrate, runRetention, runServe } from './serve.js';
import { runErase } from './erase.js';
import { InvalidErasureError } from '../schemas/erasure.js';

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
  .option('--brokers <n>', 'Kafka nodes to start when KAFKA_BROKERS is unset: 1, or 3 for a KRaft cluster with replication 3 and min ISR 2 (env TRENDSTREAM_BROKERS)', int('--brokers'), Number(process.env.TRENDSTREAM_BROKERS ?? 1))
  .option('--clickhouse-replicas <n>', 'start a ClickHouse cluster of this many 18.16 replicas and ZooKeeper instead of the embedded store, unless CLICKHOUSE_URL is set (env TRENDSTREAM_CLICKHOUSE_REPLICAS)', int('--clickhouse-replicas'), Number(process.env.TRENDSTREAM_CLICKHOUSE_REPLICAS ?? 0))
  .action(async (o) => runDemo({ speed: o.speed, rate: o.rate, seconds: o.seconds, watches: o.watches, configFile: o.config, brokers: o.brokers, clickhouseReplicas: o.clickhouseReplicas }));

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
  .option('--lateness <ms>', 'allowed lateness in milliseconds', int('--lateness'), DEFAULT_LATENESS_MS)
  .option('--trend-sensitivity <x>', 'trend thresholds divided by this (>1 finds more)', int('--trend-sensitivity'))
  .option('--watch-sensitivity <x>', "override every watch's sensitivity", int('--watch-sensitivity'))
  .option('--min-severity <n>', "override every watch's opening severity (1–6)", int('--min-severity'))
  .option('--config <file>', 'JSON config file (for --from/--to)')
  .action(async (o) => {
    if ((o.from === undefined) !== (o.to === undefined)) throw new UsageError('--from and --to go together');
    if (o.minSeverity !== undefined && (o.minSeverity > 6 || !Number.isInteger(o.minSeverity))) throw new UsageError('--min-severity must be an integer from 1 to 6');
    const range = o.from !== undefined ? { from: o.from as number, to: o.to as number, config: loadConfig({ file: o.config }) } : undefined;
    const stats = await runDetect({ input: o.input, range, output: o.output, watches: o.watches, latenessMs: o.lateness,
      trendSensitivity: o.trendSensitivity, watchSensitivity: o.watchSensitivity, minSeverity: o.minSeverity });
    if (o.output !== '-') process.stderr.write(`detect: ${stats.posts} posts, ${stats.minutes} minutes decided, ${stats.late} late, ${stats.duplicates} duplicates\n`);
  });

program.command('analyze')
  .description('text analysis only: NDJSON {"id", "text", "lang"?} in, {"id", "lang", "sentiment", "negative", "positive", "toxic", "toxicity", "arousal"} out, in input order (the scores stage A computes)')
  .requiredOption('--input <file>', 'texts as NDJSON (- for stdin)')
  .requiredOption('--output <file>', 'where to write the scores as NDJSON (- for stdout)')
  .action(async (o) => {
    const stats = await runAnalyze({ input: o.input, output: o.output });
    const rate = (s: number) => Math.round(stats.analysed / Math.max(s, 1e-3)).toLocaleString('en');
    if (o.output !== '-') process.stderr.write(`analyze: ${stats.analysed} texts in ${stats.seconds.toFixed(2)} s (${rate(stats.seconds)} posts/s; ${stats.cpuSeconds.toFixed(2)} s of CPU, ${rate(stats.cpuSeconds)} posts/s per core), ${stats.bad} bad line(s) skipped\n`);
  });

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
  cmd.action(async (o) => {
    if (o.stage && o.stage !== 'a' && o.stage !== 'b') throw new UsageError('--stage must be a or b');
    await runWorker(o.stage ? [o.stage === 'a' ? 'stage-a' : 'stage-b'] : roles, { config: o.config, watches: o.watches, group: o.group });
  });
}

program.command('serve')
  .description('serve the query API (/v1/…), the dashboard (/) and /metrics from ClickHouse')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .option('--watches <file>', 'watches file, re-read when edited and rewritten by PUT /v1/watches')
  .action(async (o) => runServe({ config: o.config, watches: o.watches }));

program.command('migrate')
  .description('create the ClickHouse database and tables (idempotent); on clickhouse.cluster, Replicated tables per shard behind Distributed ones')
  .option('--print', 'print the statements instead of running them (for a DBA to review or apply)')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => runMigrate({ config: o.config, print: o.print }));

program.command('retention')
  .description('apply ClickHouse retention once: TTL where the server has it, otherwise drop expired partitions (clickhouse.retention)')
  .option('--dry-run', 'only print what it would do')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => runRetention({ config: o.config, dryRun: o.dryRun }));

const collect = (v: string, prev: string[]) => [...prev, v];
program.command('erase')
  .description('erase posts, or every post of an author, from ClickHouse for good (a replay never brings them back)')
  .option('--post <platform:id>', 'a post to erase (repeatable)', collect, [])
  .option('--author <platform:author_id>', 'an author whose every post to erase (repeatable)', collect, [])
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => {
    const done = await runErase({ posts: o.post, authors: o.author, config: o.config });
    process.stdout.write(`requested the erasure of ${done.filter((e) => e.kind === 'post').length} post(s) and ${done.filter((e) => e.kind === 'author').length} author(s); sinks apply it within seconds\n`);
  });

registerQueryCommands(program);

program.parseAsync(process.argv).catch((e) => {
  console.error(`trendstream: ${(e as Error).message}`);
  process.exit(e instanceof UsageError || e instanceof ConfigError || e instanceof InvalidErasureError ? 1 : 2);
});
