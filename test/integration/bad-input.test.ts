// Bad input never stops the pipeline: a batch mixing valid and invalid lines over HTTP, and
// undecodable bytes written straight to `posts`. Every valid post lands in ClickHouse,
// every invalid one is in `posts-dlq` with its reason, and the workers keep running.
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { Metrics } from '../../lib/metrics.js';
import { startPipeline } from '../../app/pipeline.js';
import { testConfig, testLogger, uniqueName, waitFor } from '../helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('bad input', () => {
  it('answers 202 with each rejected line, lands every valid post, and dead-letters every invalid record with a reason', async () => {
    const name = uniqueName('badinput');
    const config = testConfig(name, 'server', { ingest: { tokens: [TOKEN] } });
    const pipeline = await startPipeline({ config, roles: ['ingest', 'process', 'sink'], log: testLogger(), metrics: new Metrics() });
    const url = `http://127.0.0.1:${pipeline.httpPort}/v1/posts`;
    const now = new Date().toISOString();
    const valid = (id: string, text = 'ok #Test') => JSON.stringify({ id, created_at: now, author: { id: 'a' }, text });
    const lines = [
      valid('v1'),
      '{"id": "broken", ',                                                         // 2 invalid JSON
      JSON.stringify({ id: 'x2', created_at: now, text: 'no author' }),            // 3 missing author.id
      valid('v2', 'Grüße #Fußball'),
      JSON.stringify({ id: 'x3', created_at: '2099-01-01T00:00:00Z', author: { id: 'a' }, text: 'future' }), // 5 future
      JSON.stringify({ id: 'x4', created_at: now, author: { id: 'a' }, text: 7 }), // 6 wrong type
      '',
      valid('v3'),
      JSON.stringify({ id: 'x5', created_at: now, author: { id: 'a' }, text: 'nul \u0000 byte' }), // 9 NUL byte
      JSON.stringify({ id: 'v0', created_at: '2001-09-09T01:46:40Z', author: { id: 'a' }, text: 'far in the past, still a post #Archiv' }),
    ];
    try {
      const noAuth = await fetch(url, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
      expect(noAuth.status).toBe(401);
      const notJson = await fetch(url, { method: 'POST', body: 'hello world', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${TOKEN}` } });
      expect(notJson.status).toBe(400);

      const body = Buffer.concat([Buffer.from(lines.join('\n') + '\n'), Buffer.from([0xff, 0xfe, 0x0a])]); // line 11: invalid UTF-8
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(202);
      const answer = await res.json() as { accepted: number; rejected: { line: number; code: string; reason: string }[] };
      expect(answer.accepted).toBe(4);
      expect(answer.rejected.map((r) => [r.line, r.code])).toEqual([
        [2, 'invalid_json'], [3, 'invalid_post'], [5, 'future_timestamp'], [6, 'invalid_post'], [9, 'invalid_post'], [11, 'invalid_encoding'],
      ]);
      expect(answer.rejected[4]!.reason).toMatch(/NUL/);

      const huge = await fetch(url, { method: 'POST', body: Buffer.alloc(config.ingest.maxBodyBytes + 1024, 0x20), headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${TOKEN}` } });
      expect(huge.status).toBe(413);
      expect(answer.rejected[1]!.reason).toMatch(/author/);

      // Garbage straight onto `posts`, around a valid post sent later over HTTP.
      const raw = pipeline.kafka.producer();
      await raw.connect();
      await raw.send({ topic: pipeline.topics.posts, messages: [{ key: 'junk:1', value: Buffer.from('not avro at all') }, { key: 'junk:2', value: Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]) }] });
      await raw.disconnect();
      const after = await fetch(url, { method: 'POST', body: JSON.stringify([JSON.parse(valid('v4'))]), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
      expect(after.status).toBe(202);

      const db = config.clickhouse.database;
      const ids = await waitFor(async () => (await (await pipeline.store!.query({ query: `SELECT id FROM ${db}.posts FINAL ORDER BY id`, format: 'JSONEachRow' })).json<{ id: string }>()).map((r) => r.id),
        (v) => v.length >= 5, 60_000);
      expect(ids).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);

      const dlq: KafkaMessage[] = [];
      const consumer = pipeline.kafka.consumer({ groupId: `${name}-dlq-reader` });
      await consumer.connect();
      await consumer.subscribe({ topic: pipeline.topics.dlq, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { dlq.push(message); } });
      await waitFor(async () => dlq.length, (n) => n >= 8, 60_000);
      await consumer.disconnect();
      const reasons = dlq.map((m) => m.headers!.reason!.toString()).sort();
      expect(reasons).toEqual(['future_timestamp', 'invalid_encoding', 'invalid_json', 'invalid_post', 'invalid_post', 'invalid_post', 'not_avro', 'unknown_schema'].sort());
      const garbage = dlq.find((m) => m.headers!.reason!.toString() === 'not_avro')!;
      expect(garbage.value!.toString()).toBe('not avro at all');
      expect((await fetch(`http://127.0.0.1:${pipeline.httpPort}/readyz`)).status).toBe(200);
    } finally {
      await pipeline.close();
    }
  });
});
