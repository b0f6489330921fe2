// The Kafka Streams peer of the benchmark (issue 6; README.md beside this file): builds the Java
// application with Maven into a cache folder (once per source version) and runs it against a
// broker, exposing its once-a-second progress lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = path.resolve(here, '../../../schemas/post.v1.avsc');

/** One progress line of the peer: `consumed` = input offsets committed by the app (processed and committed). */
export interface PeerProgress {
  /** Posts whose offsets the application committed (sum over the input partitions, from the log start). */
  consumed: number;
  /** Epoch ms at which `consumed` was read. */
  t: number;
  /** Posts decoded by the first processor (may run ahead of `consumed` by up to one commit interval). */
  processed?: number;
  /** Records in the input topic (log end − log start, summed). */
  end?: number;
  lag?: number;
  /** Records of the app's repartition topic not yet processed by the merging stage (each transaction leaves a marker: ≈ partitions when idle). */
  internal_lag?: number;
  /** Records dropped: Kafka Streams' dropped-records-total (expired windows, undecodable records) plus late posts. */
  dropped?: number;
  /** Posts dropped as repeats (partials with dedup). */
  duplicates?: number;
  /** Kafka Streams client state (CREATED, REBALANCING, RUNNING, …). */
  state?: string;
  /** Set on the last line, printed after the client closed on SIGTERM. */
  final?: boolean;
  clean?: boolean;
  close_ms?: number;
}

/** What the peer prints on its first line: the settings the benchmark output must state. */
export interface PeerConfig {
  app_id: string;
  bootstrap: string;
  input: string;
  input_partitions: number;
  counts_topic: string;
  trends_topic: string;
  processing_guarantee: string;
  commit_interval_ms: number;
  num_stream_threads: number;
  topology: 'partials' | 'dsl';
  /** `on-close` for partials; `suppress` or `close` (EmitStrategy.onWindowClose) for dsl. */
  emit: 'suppress' | 'close' | 'on-close';
  idle_ms: number;
  dedup: boolean;
  window_ms: number;
  grace_ms: number;
  state_dir: string;
  kafka_streams: string;
  /** Settings passed with extraConfig. */
  extra: Record<string, string>;
}

export interface PeerOptions {
  brokers: string;
  /** Topic prefix: reads `<prefix>posts`, writes `<prefix>ks-minute-counts` and `<prefix>ks-trends`. */
  prefix: string;
  /** Kafka Streams application.id (also the consumer group and the prefix of its internal topics). */
  appId: string;
  /** processing.guarantee; default `exactly_once_v2`. */
  guarantee?: 'exactly_once_v2' | 'at_least_once' | string;
  /** commit.interval.ms; default 100. */
  commitIntervalMs?: number;
  /** num.stream.threads; default 1. */
  threads?: number;
  /**
   * `partials` (default): our architecture — per posts partition the late rule on its own stream time and
   * counts per (hashtag, minute), merged by hashtag once every partition's progress mark passed the minute.
   * `dsl`: the textbook DSL (flatMap → groupByKey → 1-min windows, grace 30 s → count → suppress); it drops
   * most posts as late when it catches up on a filled topic (README).
   */
  topology?: 'partials' | 'dsl';
  /** De-duplicate posts by record key (`platform:id`) within their minute, as stage A does (partials only); default true. */
  dedup?: boolean;
  /** A posts partition without input this long (wall time) stops holding back the merge (partials); default 30000. */
  idleMs?: number;
  /** How closed minutes are emitted in the dsl topology: `suppress` (suppress(untilWindowCloses), default) or `close` (EmitStrategy.onWindowClose). */
  emit?: 'suppress' | 'close';
  /** Partitions of the two output topics when the peer creates them; default 6. */
  outPartitions?: number;
  /** Further Kafka Streams / client settings as `key=value` (e.g. `consumer.max.partition.fetch.bytes=65536`). */
  extraConfig?: string[];
  /** JVM options; default `-Xms256m -Xmx1g`. */
  javaOpts?: string[];
  /** Classpath from buildPeer(); default: buildPeer() must have run in this process. */
  classpath?: string;
  /** Receives each line the peer writes to stderr (Kafka's WARN/ERROR log, the topology). */
  onStderr?: (line: string) => void;
}

export interface Peer {
  proc: ChildProcess;
  /** Emits `progress` (PeerProgress), `config` (PeerConfig) and `exit` (code). */
  events: EventEmitter;
  /** Progress lines from now on; ends when the process exits. */
  progress: AsyncIterable<PeerProgress>;
  /** The settings the peer runs with (its first stdout line). */
  config: Promise<PeerConfig>;
  /** The newest progress line (after stop(): the final one). */
  latest(): PeerProgress | null;
  /** The last lines of stderr, for error messages. */
  stderrTail(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  /** SIGTERM (the peer closes Kafka Streams, committing, and prints a final line), SIGKILL if it takes too long. */
  stop(): Promise<void>;
}

function cacheRoot(): string {
  return process.env.TRENDSTREAM_CACHE ?? path.join(os.homedir(), '.cache', 'trendstream');
}

function sourceHash(): string {
  const h = createHash('sha256');
  const files: string[] = [path.join(here, 'pom.xml'), SCHEMA];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p); else files.push(p);
    }
  };
  walk(path.join(here, 'src'));
  for (const f of files) h.update(path.relative(here, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 12);
}

let built: string | undefined;

/**
 * Builds the peer with Maven (`mvn -q -B package`, dependencies from Maven Central) into
 * `<cache>/ks-peer-<hash of its sources>/`, skipped when that folder already holds the build.
 * Returns the Java classpath (`…/ks-peer.jar:…/lib/*`).
 */
export async function buildPeer(): Promise<string> {
  const dir = path.join(cacheRoot(), `ks-peer-${sourceHash()}`);
  const cp = `${path.join(dir, 'ks-peer.jar')}${path.delimiter}${path.join(dir, 'lib', '*')}`;
  if (existsSync(path.join(dir, 'ks-peer.jar')) && existsSync(path.join(dir, 'lib'))) return (built = cp);
  mkdirSync(cacheRoot(), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    // Maven's output goes to stderr: the benchmark's stdout stays clean.
    const p = spawn('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', path.join(here, 'pom.xml'), 'package', `-Dks.build.dir=${tmp}`], { stdio: ['ignore', 2, 2] });
    p.on('error', (e) => reject(new Error(`cannot run Maven (mvn) to build the Kafka Streams peer: ${e.message}`)));
    p.on('exit', resolve);
  });
  if (code !== 0) { rmSync(tmp, { recursive: true, force: true }); throw new Error(`building the Kafka Streams peer failed (mvn exit ${code})`); }
  try { renameSync(tmp, dir); } catch (e) {
    // Another process finished the same build first: use its copy.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(path.join(dir, 'ks-peer.jar'))) throw e;
  }
  return (built = cp);
}

/** A push-to-pull queue: one async iterator per consumer, from the moment it starts iterating. */
function subscribe<T>(events: EventEmitter, name: string, done: () => boolean): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let wake: (() => void) | null = null;
      let ended = done();
      const onItem = (v: T): void => { queue.push(v); wake?.(); };
      const onEnd = (): void => { ended = true; wake?.(); };
      events.on(name, onItem);
      events.once('exit', onEnd);
      const cleanup = (): void => { events.off(name, onItem); events.off('exit', onEnd); };
      return {
        async next(): Promise<IteratorResult<T>> {
          while (!queue.length && !ended) await new Promise<void>((r) => { wake = r; });
          wake = null;
          if (queue.length) return { value: queue.shift()!, done: false };
          cleanup();
          return { value: undefined, done: true };
        },
        async return(): Promise<IteratorResult<T>> { cleanup(); return { value: undefined, done: true }; },
      };
    },
  };
}

/** Starts the peer (buildPeer() first). Its state lives in a temporary folder removed when it exits. */
export function startPeer(opts: PeerOptions): Peer {
  const classpath = opts.classpath ?? built;
  if (!classpath) throw new Error('startPeer: call buildPeer() first (or pass its classpath)');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ks-peer-state-'));
  const args = [
    ...(opts.javaOpts ?? ['-Xms256m', '-Xmx1g']), '-cp', classpath, 'dev.trendstream.peer.KsPeer',
    '--bootstrap', opts.brokers, '--prefix', opts.prefix, '--app-id', opts.appId,
    '--guarantee', opts.guarantee ?? 'exactly_once_v2', '--commit-interval-ms', String(opts.commitIntervalMs ?? 100),
    '--threads', String(opts.threads ?? 1), '--topology', opts.topology ?? 'partials', '--emit', opts.emit ?? 'suppress',
    '--idle-ms', String(opts.idleMs ?? 30_000), '--dedup', String(opts.dedup ?? true), '--out-partitions', String(opts.outPartitions ?? 6),
    '--state-dir', stateDir, '--schema', SCHEMA, ...(opts.extraConfig ?? []).flatMap((c) => ['--config', c]),
  ];
  const proc = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let latest: PeerProgress | null = null;
  let exitCode: number | null | undefined;
  const tail: string[] = [];
  let resolveConfig!: (c: PeerConfig) => void;
  let rejectConfig!: (e: Error) => void;
  const config = new Promise<PeerConfig>((res, rej) => { resolveConfig = res; rejectConfig = rej; });
  config.catch(() => {});

  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let msg: unknown;
    try { msg = JSON.parse(line); } catch { tail.push(line); return; }
    const m = msg as Partial<PeerProgress> & { config?: PeerConfig };
    if (m.config) { resolveConfig(m.config); events.emit('config', m.config); } else if (typeof m.consumed === 'number') {
      latest = m as PeerProgress;
      events.emit('progress', latest);
    }
  });
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 200) tail.shift();
    opts.onStderr?.(line);
  });
  const stderrTail = (): string => tail.slice(-40).join('\n');
  const exited = new Promise<number | null>((resolve) => {
    proc.on('error', (e) => { tail.push(`spawn java: ${e.message}`); });
    proc.on('close', (code) => {
      exitCode = code;
      rmSync(stateDir, { recursive: true, force: true });
      rejectConfig(new Error(`the Kafka Streams peer exited (${code}) before starting:\n${stderrTail()}`));
      events.emit('exit', code);
      resolve(code);
    });
  });

  return {
    proc, events, config, exited, stderrTail,
    progress: subscribe<PeerProgress>(events, 'progress', () => exitCode !== undefined),
    latest: () => latest,
    async stop(): Promise<void> {
      if (exitCode !== undefined) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
