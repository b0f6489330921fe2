// Impersonation live equals `detect`: a generated impersonation scenario goes through Kafka
// (ingest and stage A, six partitions); the impersonation events on `alerts` are, id for id,
// those `detect` writes for the same posts, and exactly the labelled impersonators.
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaMessage } from 'kafkajs';
import { generate, labelsFor } from '../../sim/generator.js';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline } from '../../app/pipeline.js';
import { detectImpersonation } from '../../processors/impersonation.js';
import { decodeEvent } from '../../schemas/events-codec.js';
import type { ImpersonationEvent } from '../../schemas/events.js';
import { impersonationScenarios } from '../../bench/scenarios.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';

describe('impersonation through Kafka', () => {
  it('stage A writes to alerts the impersonation events detect writes, one id per labelled impersonator', async () => {
    const sc = impersonationScenarios(0)[0]!;
    const opts = { ...sc.opts, minutes: 200, postsPerMinute: 20 };
    const watches = opts.watches!;
    const posts = [...generate(opts)];
    const expected = [...detectImpersonation(posts, watches)];
    const labelled = (labelsFor(opts).impersonators ?? []).map((l) => `impersonation:${l.watch}:${l.account}:opened`).sort();
    expect(expected.map((e) => e.id).sort()).toEqual(labelled);

    const name = uniqueName('impersonation');
    const config = testConfig(name, 'server', { kafka: { postsPartitions: 6, countsPartitions: 3 } });
    const pipeline = await startPipeline({ config, roles: ['ingest', 'stage-a'], log: testLogger(), metrics: new Metrics(), watches: () => watches, http: false });
    try {
      for (let i = 0; i < posts.length; i += 2000) await pipeline.producer!.send(posts.slice(i, i + 2000));
      const got: KafkaMessage[] = [];
      const c = pipeline.kafka.consumer({ groupId: `${name}-alerts-reader`, readUncommitted: false });
      await c.connect();
      await c.subscribe({ topic: pipeline.topics.alerts, fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => { got.push(message); } });
      await waitFor(async () => got.length, (n) => n >= expected.length, 120_000);
      await sleep(2000);
      await c.disconnect();
      const live = got.map((m) => decodeEvent(m.value!)).filter((e): e is ImpersonationEvent => e.type === 'impersonation');
      // One instance reads every partition: each (watch, account) once. Which of an account's posts
      // decided depends on the partitions' interleaving, so detected_at and samples may differ.
      expect(live.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
      const pick = (e: ImpersonationEvent) => ({ id: e.id, watch: e.watch, imitates: e.imitates, account: e.account });
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      expect(live.map(pick).sort(byId)).toEqual(expected.map(pick).sort(byId));
    } finally {
      await pipeline.close();
    }
  }, 300_000);
});
