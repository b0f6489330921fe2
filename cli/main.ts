// The `trendstream` CLI: one entry for the demo, the workers and the offline tools.
// Exit codes: 0 success, 1 bad arguments or unreadable input, 2 a runtime failure.
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { runDetect, UsageError } from './detect.js';
import { runWorker } from './worker.js';
import { ConfigError } from '../lib/config.js';
import { registerQueryCommands } from './query.js';
import { runMigrate, runServe } from './serve.js';

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
  .action(async (o) => runDemo({ speed: o.speed, rate: o.rate, seconds: o.seconds, watches: o.watches, configFile: o.config }));

program.command('detect')
  .description('run the detectors in-process over a posts file in event time and write every trend and alert event as NDJSON')
  .requiredOption('--input <file>', 'posts as NDJSON (- for stdin)')
  .requiredOption('--output <file>', 'where to write the events as NDJSON (- for stdout)')
  .option('--watches <file>', 'watches as a JSON array (CONTRACTS §3)')
  .option('--lateness <ms>', 'allowed lateness in milliseconds', int('--lateness'), 30_000)
  .action(async (o) => {
    const stats = await runDetect({ input: o.input, output: o.output, watches: o.watches, latenessMs: o.lateness });
    if (o.output !== '-') process.stderr.write(`detect: ${stats.posts} posts, ${stats.minutes} minutes decided, ${stats.late} late, ${stats.duplicates} duplicates\n`);
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
  .description('create the ClickHouse database and tables (idempotent)')
  .option('--config <file>', 'JSON config file (env vars override it)')
  .action(async (o) => runMigrate({ config: o.config }));

registerQueryCommands(program);

program.parseAsync(process.argv).catch((e) => {
  console.error(`trendstream: ${(e as Error).message}`);
  process.exit(e instanceof UsageError || e instanceof ConfigError ? 1 : 2);
});
