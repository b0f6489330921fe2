// The `restore` phase of the benchmark (issue 21): how long a stage B takeover takes, by length
// of history. For 1, 7 and 30 days of generated `hashtag-counts` partials, one stage B worker
// processes the whole history (checkpointing as it goes, with the production snapshot policy)
// and stops; then the next minutes arrive and a new worker takes the partition over, twice: after
// a stop without a closing snapshot (as a crash leaves it) and after a graceful one. Measured:
// from the new worker's start (group join included) to its first decided minute; restored
// from the newest snapshot plus the tail after it, this should not grow with the history.
import type { KafkaMessage } from 'kafkajs';
import { ensureTopics, Kafka, KafkaConfigSchema, logLevel } from '../lib/kafka/client.js';
import { committedOffsets } from '../lib/kafka/kip447.js';
import { TransactionalWorker } from '../lib/kafka/transactional.js';
import type { Checkpoint } from '../lib/kafka/changelog.js';
import { Metrics } from '../lib/metrics.js';
import { createLogger } from '../lib/log.js';
import { SNAPSHOTS, StageB } from '../processors/stage-b.js';
import { DEFAULT_LATENESS_MS } from '../processors/detect.js';
import { encodeCounts } from '../schemas/counts-codec.js';
import { ALL_KEY, emptyAggregate, tagKey, watchKey, type Aggregate } from '../schemas/counts.js';
import { Kmv } from '../schemas/sketch.js';
import { mulberry32, rhythmFactor } from '../sim/generator.js';
import { EVAL_WATCHES } from './scenarios.js';

const M = 60_000;
const DAY = 1440;
/** Stage B of the default deployment: six `hashtag-counts` partitions share the tag capacity; this is one of them. */
const PARTITIONS = 6;
/** Per minute: this many tag partials (Zipf over 3,000 lasting tags, and 400 new tags each day), two watches, the stream total, a progress marker. */
const TAGS_PER_MINUTE = 30;

/** One minute of partials as stage A would send them to one partition, then the progress marker that decides it. */
function minuteRecords(minute: number, rnd: () => number): Buffer[] {
  const t = START + minute * M;
  const total = Math.max(50, Math.round(3000 * rhythmFactor(t)));
  const hashes = (n: number) => { const k = new Kmv(); for (let i = 0; i < n; i++) k.add((rnd() * 0x100000000) >>> 0); return k; };
  const agg = (key: string, posts: number): Aggregate => {
    const a = emptyAggregate(key, t);
    a.posts = posts;
    a.authors = hashes(Math.max(1, Math.round(posts * (0.7 + 0.3 * rnd()))));
    a.young = Math.floor(posts * 0.1 * rnd());
    a.negative = Math.floor(posts * 0.3 * rnd());
    a.positive = Math.floor(posts * 0.3 * rnd());
    a.toxic = Math.floor(posts * 0.05 * rnd());
    a.sentiment_milli = Math.round((rnd() - 0.5) * 400 * posts);
    a.arousal_milli = Math.round(rnd() * 300 * posts);
    a.texts = Array.from({ length: Math.min(posts, 4) }, () => ({ id_hash: (rnd() * 0x100000000) >>> 0, simhash: (rnd() * 0x100000000) >>> 0 })).sort((x, y) => x.id_hash - y.id_hash);
    a.samples = [{ platform: 'gen', id: `${minute}-${key}`, score: 1 + Math.floor(rnd() * 20), negative: rnd() < 0.3 }];
    return a;
  };
  const out: Aggregate[] = [agg(ALL_KEY, total)];
  const day = Math.floor(minute / DAY);
  const seen = new Set<string>();
  for (let i = 0; i < TAGS_PER_MINUTE; i++) {
    // Two thirds lasting tags by Zipf rank (exponent ≈ 1), one third the day's own tags.
    const tag = i % 3 === 2 ? `d${day}x${Math.floor(rnd() * 400)}` : `tag${Math.floor(Math.exp(rnd() * Math.log(3000)))}`;
    if (seen.has(tag)) continue;
    seen.add(tag);
    const rank = Number(tag.slice(3)) || 50;
    out.push(agg(tagKey(tag), 1 + Math.floor(rnd() * (tag.startsWith('d') ? 3 : Math.max(2, 60 / rank)))));
  }
  for (const w of EVAL_WATCHES.slice(0, 2)) out.push(agg(watchKey(w.id), 1 + Math.floor(rnd() * 4)));
  return [...out.map((a) => encodeCounts({ partial: a })), encodeCounts({ progress: { source: 0, sources: 1, stream_time: t + M + DEFAULT_LATENESS_MS } })];
}
const START = Date.parse('2026-10-01T00:00:00Z');

/** Stage B that notes when it restored, what it replayed, and when it first decided a minute. */
class Timed extends StageB {
  topicMinutes = '';
  firstDecision = 0;
  replayed = 0;
  checkpoint: Checkpoint | null = null;
  replayFrom: string | undefined;
  override restore(partition: number, metadata: string | null, checkpoint?: Checkpoint | null) {
    this.checkpoint = checkpoint ?? null;
    const r = super.restore(partition, metadata, checkpoint);
    this.replayFrom = r.replayFrom;
    return r;
  }
  override replay(partition: number, messages: KafkaMessage[]): void { this.replayed += messages.length; super.replay(partition, messages); }
  override process(partition: number, messages: KafkaMessage[]) {
    const out = super.process(partition, messages);
    if (!this.firstDecision && out.messages.some((m) => m.topic === this.topicMinutes && m.messages.length)) this.firstDecision = performance.now();
    return out;
  }
}

export interface RestoreResult { [k: string]: number }

/** Runs the phase on the broker at `brokers`; `say` reports progress. */
export async function restorePhase(brokers: string, say: (s: string) => void, histories = [1, 7, 30]): Promise<RestoreResult> {
  const log = createLogger('warn');
  const results: RestoreResult = {};
  const kafka = new Kafka({ clientId: 'bench-restore', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  try {
    for (const days of histories) {
      const prefix = `restore-${days}d-${Date.now().toString(36)}.`;
      const topics = await ensureTopics(admin, KafkaConfigSchema.parse({ brokers: [brokers], topicPrefix: prefix, countsPartitions: 1 }));
      const rnd = mulberry32(days);
      say(`restore: generating ${days} day(s) of hashtag-counts partials…`);
      let n = 0;
      let buf: Buffer[] = [];
      const flush = async () => { if (buf.length) await producer.send({ topic: topics.counts, acks: -1, messages: buf.map((value) => ({ value, partition: 0 })) }); n += buf.length; buf = []; };
      for (let m = 0; m < days * DAY; m++) {
        buf.push(...minuteRecords(m, rnd));
        if (buf.length >= 5000) await flush();
      }
      await flush();
      const groupId = `${prefix}stage-b`;
      const committed = async () => Number((await committedOffsets(admin, groupId, topics.counts)).find((p) => p.partition === 0)?.offset ?? -1);
      const stage = () => { const s = new Timed({ topics, latenessMs: DEFAULT_LATENESS_MS, watches: () => EVAL_WATCHES, partitions: PARTITIONS, metrics: new Metrics(), log }); s.topicMinutes = topics.minutes; return s; };
      const worker = (h: StageB) => new TransactionalWorker(kafka, { id: 'stage-b', groupId, topic: topics.counts, handler: h, metrics: new Metrics(), log, changelog: topics.changelog });

      say(`restore: stage B through ${n.toLocaleString('en')} partials (${days} d)…`);
      const first = stage();
      const w1 = worker(first);
      const c0 = performance.now();
      await w1.start();
      for (;;) { if ((await committed()) >= n) break; await new Promise((r) => setTimeout(r, 200)); }
      results[`history_s_${days}d`] = Number(((performance.now() - c0) / 1000).toFixed(1));
      // Two takeovers, each after three more minutes arrive: first as after a crash (the worker
      // stops without a closing snapshot, so the new owner replays what came after its last
      // periodic one; a real crash also waits out the group's session timeout first, not counted
      // here), then after a graceful stop (closing snapshot: no tail). restore_s_* is the graceful
      // one, the usual case (deploys, scale-downs); restore_crash_s_* the other.
      let owner = w1;
      for (const kind of ['crash', 'graceful'] as const) {
        await owner.close({ closingSnapshot: kind === 'graceful' });
        const more: Buffer[] = [];
        const from = days * DAY + (kind === 'crash' ? 0 : 3);
        for (let m = from; m < from + 3; m++) more.push(...minuteRecords(m, rnd));
        await producer.send({ topic: topics.counts, acks: -1, messages: more.map((value) => ({ value, partition: 0 })) });
        const next = stage();
        owner = worker(next);
        const t0 = performance.now();
        await owner.start();
        for (;;) { if (next.firstDecision) break; await new Promise((r) => setTimeout(r, 5)); }
        const crash = kind === 'crash' ? '_crash' : '';
        const name = `restore${crash}_s_${days}d`;
        results[name] = Number(((next.firstDecision - t0) / 1000).toFixed(2));
        results[`tail_records${crash}_${days}d`] = next.replayed;
        if (kind === 'graceful') results[`snapshot_bytes_${days}d`] = next.checkpoint?.state.length ?? 0;
        if (!next.checkpoint) say(`restore: no snapshot for ${days} d (${kind}) — the takeover replayed from ${next.replayFrom ?? 'nowhere'}`);
        say(`restore: ${days} d, after a ${kind === 'crash' ? 'crash' : 'graceful stop'}: ${results[name]} s to the first decided minute (snapshot ${next.checkpoint?.state.length ?? 0} B, tail ${next.replayed} records)`);
      }
      await owner.close();
      results[`partials_${days}d`] = n;
    }
    if (results.restore_s_30d && results.restore_s_1d) results.restore_ratio_30d_to_1d = Number((results.restore_s_30d / results.restore_s_1d).toFixed(2));
    results.snapshot_every_busy_ms = SNAPSHOTS.everyBusyMs;
    results.snapshot_every_minutes = SNAPSHOTS.everyMinutes;
    results.snapshot_every_records = SNAPSHOTS.everyRecords;
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  return results;
}
