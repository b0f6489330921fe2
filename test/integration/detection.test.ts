// Trends and alerts live equal `detect` offline: a generated scenario (organic burst, bot
// campaign, firestorm against a watch) goes through Kafka with several partitions; the
// events on the `trends` and `alerts` topics and in ClickHouse equal what `detect` produces
// for the same posts. Alerts reach a Slack stand-in and a signed webhook; the webhook fails
// for a while and still gets every alert, always with the same idempotency key.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDetect } from '../../cli/detect.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaMessage } from 'kafkajs';
import { generate } from '../../sim/generator.js';
import type { Post } from '../../schemas/post.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline } from '../../app/pipeline.js';
import { DEFAULT_LATENESS_MS, detectPosts } from '../../processors/detect.js';
import { decodeEvent } from '../../schemas/events-codec.js';
import type { AlertEvent } from '../../schemas/events.js';
import { sign } from '../../sinks/webhook.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';
import { Receiver } from '../receiver.js';
import { closingPosts } from '../truth.js';

const START = Date.parse('2026-11-23T09:00:00Z');
const M = 60_000;
const SECRET = 'webhook-secret-0123456789';

describe('detection through Kafka', () => {
  it('emits exactly the trend and alert events detect emits, stores them, and delivers every alert', async () => {
    const watches = EVAL_WATCHES;
    const posts: Post[] = [...generate({
      seed: 21, start: START, minutes: 100, postsPerMinute: 200, rhythm: false, disorderMs: 20_000, watches,
      events: [
        { kind: 'burst', tag: 'Glatteis', at: START + 30 * M, peakPerMinute: 200, rampMinutes: 2, durationMinutes: 25, lang: 'de' },
        { kind: 'campaign', tag: 'WahlBetrug', at: START + 40 * M, perMinute: 120, durationMinutes: 20, accounts: 20 },
        { kind: 'firestorm', watch: 'deutsche-bahn', at: START + 50 * M, peakPerMinute: 150, rampMinutes: 3, durationMinutes: 30, tag: 'Bahnchaos' },
      ],
    })];
    const all = [...posts, ...closingPosts(posts.reduce((m, p) => Math.max(m, p.created_at), 0))];
    const expected = [...detectPosts(all, { latenessMs: DEFAULT_LATENESS_MS, watches })];
    expect(expected.filter((e) => e.type === 'trend' && e.state === 'started').map((e) => (e as { hashtag: string }).hashtag).sort())
      .toEqual(expect.arrayContaining(['bahnchaos', 'glatteis']));
    expect(expected.some((e) => e.type === 'alert' && e.state === 'opened' && e.watch === 'deutsche-bahn')).toBe(true);

    const slack = new Receiver();
    const hook = new Receiver();
    const name = uniqueName('detection');
    const config = testConfig(name, 'server', {
      kafka: { postsPartitions: 6, countsPartitions: 3 },
      alerting: { channels: [{ name: 'slack', kind: 'slack', url: await slack.start() }, { name: 'hook', kind: 'webhook', url: await hook.start(), secret: SECRET }] },
    });
    hook.failing = true;
    const pipeline = await startPipeline({ config, roles: ['ingest', 'process', 'sink'], log: testLogger(), metrics: new Metrics(), watches: () => watches, http: false });
    try {
      for (let i = 0; i < all.length; i += 2000) await pipeline.producer!.send(all.slice(i, i + 2000));
      const read = async (topic: string) => {
        const got: KafkaMessage[] = [];
        const c = pipeline.kafka.consumer({ groupId: `${name}-${topic}-reader`, readUncommitted: false });
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({ eachMessage: async ({ message }) => { got.push(message); } });
        return { got, stop: () => c.disconnect() };
      };
      const trends = await read(pipeline.topics.trends);
      const alerts = await read(pipeline.topics.alerts);
      const nTrends = expected.filter((e) => e.type === 'trend').length;
      const nAlerts = expected.filter((e) => e.type === 'alert').length;
      await waitFor(async () => [trends.got.length, alerts.got.length], ([t, a]) => t! >= nTrends && a! >= nAlerts, 180_000);
      await sleep(2000);
      await trends.stop(); await alerts.stop();
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      const live = [...trends.got, ...alerts.got].map((m) => decodeEvent(m.value!)).sort(byId);
      expect(live).toEqual([...expected].sort(byId));

      const db = config.clickhouse.database;
      const stored = await waitFor(async () => (await (await pipeline.store!.query({ query: `SELECT id FROM ${db}.trends FINAL UNION ALL SELECT id FROM ${db}.alerts FINAL`, format: 'JSONEachRow' })).json<{ id: string }>()).map((r) => r.id).sort(),
        (ids) => ids.length >= expected.length, 60_000);
      expect(stored).toEqual(expected.map((e) => e.id).sort());

      // Backtesting from history: the same posts read back from ClickHouse give the same events;
      // a stricter opening severity would have raised fewer alerts.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'backtest-'));
      writeFileSync(path.join(dir, 'watches.json'), JSON.stringify(watches));
      const range = { from: START - 60 * M, to: START + 200 * M, config };
      await runDetect({ range, output: path.join(dir, 'events.ndjson'), watches: path.join(dir, 'watches.json'), latenessMs: DEFAULT_LATENESS_MS });
      const backtest = readFileSync(path.join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(backtest).toEqual(JSON.parse(JSON.stringify(expected)));
      await runDetect({ range, output: path.join(dir, 'strict.ndjson'), watches: path.join(dir, 'watches.json'), latenessMs: DEFAULT_LATENESS_MS, minSeverity: 6 });
      const strict = readFileSync(path.join(dir, 'strict.ndjson'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(strict.filter((e) => e.type === 'alert').length).toBeLessThan(expected.filter((e) => e.type === 'alert').length);

      // Slack got every alert while the webhook was down; then the webhook recovers and gets them all.
      const alertIds = expected.filter((e) => e.type === 'alert').map((e) => e.id).sort();
      await waitFor(async () => slack.unique().length, (n) => n >= alertIds.length, 60_000);
      expect(slack.unique().map((r) => String(r.headers['idempotency-key'])).sort()).toEqual(alertIds);
      expect(JSON.parse(slack.requests[0]!.body).text).toMatch(/Deutsche Bahn/);
      expect(hook.requests).toHaveLength(0);
      await sleep(3000);
      hook.failing = false;
      await waitFor(async () => hook.unique().length, (n) => n >= alertIds.length, 120_000);
      const delivered = hook.unique();
      expect(delivered.map((r) => String(r.headers['idempotency-key'])).sort()).toEqual(alertIds);
      for (const r of hook.requests) {
        const ts = Number(r.headers['x-trendstream-timestamp']);
        expect(r.headers['x-trendstream-signature']).toBe(`sha256=${sign(SECRET, ts, r.body)}`);
        const e = JSON.parse(r.body) as AlertEvent;
        expect(r.headers['idempotency-key']).toBe(e.id);
        expect(e).toEqual(expected.find((x) => x.id === e.id));
      }
    } finally {
      await pipeline.close();
      await slack.close();
      await hook.close();
    }
  });
});
