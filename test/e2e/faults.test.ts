// The fault suite (issue 5): a 200,000-post generated workload through real workers started
// as separate processes; after each fault, ClickHouse's totals equal the generator's truth
// exactly, every trend and alert event equals a fault-free run's (`detect`), and none is
// duplicated on the exactly-once topics. The workload keeps its disorder within the lateness.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { startClickHouse } from '../../deploy/local/clickhouse.js';
import { startKafka } from '../../deploy/local/kafka.js';
import { stateHome, stopStale } from '../../deploy/local/process.js';
import { generate } from '../../sim/generator.js';
import { runCase as run, workload, type Ctx, type Workload } from '../fault-case.js';
import { stopWorker, type Worker } from './harness.js';

const START = Date.parse('2026-11-24T10:00:00Z');
const M = 60_000;
const N = Number(process.env.FAULT_POSTS ?? 200_000);
const FEED_SECONDS = Number(process.env.FAULT_FEED_SECONDS ?? 60);
const watches = EVAL_WATCHES;

const workloadOnce = (() => {
  let cached: Workload | null = null;
  return () => {
    if (cached) return cached;
    const minutes = 100;
    const posts = [...generate({
      seed: 99, start: START, minutes, postsPerMinute: Math.ceil(N / minutes), rhythm: false, disorderMs: 20_000, watches,
      events: [
        { kind: 'burst', tag: 'Sturmflut', at: START + 30 * M, peakPerMinute: 300, rampMinutes: 2, durationMinutes: 20, lang: 'de' },
        { kind: 'firestorm', watch: 'telekom', at: START + 45 * M, peakPerMinute: 250, rampMinutes: 3, durationMinutes: 25, tag: 'Telekomausfall' },
        { kind: 'campaign', tag: 'KaufJetzt', at: START + 60 * M, perMinute: 150, durationMinutes: 15, accounts: 20 },
      ],
    })].slice(0, N - 60);
    cached = workload(posts, watches);
    return cached;
  };
})();

const runCase = (name: string, opts: { processors?: number; webhookDown?: boolean }, hooks: (ctx: Ctx) => [number, () => Promise<void>][]) =>
  run({ name, workload: workloadOnce(), feedSeconds: FEED_SECONDS, brokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl'), ...opts }, hooks);

const killed = (w: Worker) => stopWorker(w, 'SIGKILL');
const pick = (ws: Worker[], kind: string) => ws.find((w) => w.kind === kind)!;

describe('fault suite', () => {
  it('kill -9 of a processor and of a sink at several moments loses nothing and counts nothing twice', async () => {
    await runCase('kill9', {}, ({ start, workers }) => [
      [0.15, async () => { await killed(pick(workers, 'process')); workers.splice(workers.indexOf(pick(workers, 'process')), 1); await start('process'); }],
      [0.3, async () => { await killed(pick(workers, 'sink')); workers.splice(workers.indexOf(pick(workers, 'sink')), 1); await start('sink'); }],
      [0.5, async () => { await killed(pick(workers, 'process')); workers.splice(workers.indexOf(pick(workers, 'process')), 1); await start('process'); }],
      [0.75, async () => {
        const p = pick(workers, 'process'); const s = pick(workers, 'sink');
        await Promise.all([killed(p), killed(s)]);
        workers.splice(workers.indexOf(p), 1); workers.splice(workers.indexOf(s), 1);
        await start('process'); await start('sink');
      }],
    ]);
  });

  it('three processors in one group, one killed and one added mid-run, give the single-instance result', async () => {
    await runCase('scale', { processors: 3 }, ({ start, workers }) => [
      [0.3, async () => { const p = pick(workers, 'process'); await killed(p); workers.splice(workers.indexOf(p), 1); }],
      [0.55, async () => { await start('process'); }],
    ]);
  });

  it('survives the Kafka broker stopped and restarted mid-run', async () => {
    if (!inject('localInfra')) return;
    const port = Number(inject('kafkaBrokers').split(':').pop());
    await runCase('broker', {}, () => [
      [0.4, async () => {
        await stopStale('kafka', path.join(stateHome(), `test-kafka-${port}`));
        await sleep(5000);
        await startKafka({ port, name: `test-kafka-${port}` });
      }],
    ]);
  });

  it('survives the ClickHouse server stopped for 30 s mid-run', async () => {
    if (!inject('localInfra')) return;
    const port = Number(new URL(inject('clickhouseUrl')).port);
    await runCase('clickhouse', {}, () => [
      [0.4, async () => {
        await stopStale('clickhouse', path.join(stateHome(), `test-clickhouse-${port}`));
        await sleep(30_000);
        await startClickHouse({ port, name: `test-clickhouse-${port}` });
      }],
    ]);
  });

  it('delivers every alert once an alert webhook that failed for a minute recovers', async () => {
    await runCase('webhook', { webhookDown: true }, () => []);
  });

  it('SIGTERM to every worker mid-run, then a restart, changes no result', async () => {
    await runCase('sigterm', {}, ({ start, workers }) => [
      [0.5, async () => {
        const all = [...workers];
        const codes = await Promise.all(all.map((w) => stopWorker(w, 'SIGTERM')));
        expect(codes).toEqual(all.map(() => 0));
        workers.splice(0, workers.length);
        await start('process'); await start('sink');
      }],
    ]);
  });
});
