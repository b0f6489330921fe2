// The fault suite's workload feeder, and the posts file the CLI tests run `detect` over; worker
// processes come from deploy/local/workers.ts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postToJson, type Post } from '../../schemas/post.js';
import type { PostProducer } from '../../ingest/producer.js';
import { generate } from '../../sim/generator.js';
import { EVAL_WATCHES } from '../../bench/scenarios.js';

export { startWorker, stopWorker, watchesFile, workerEnv, type Worker } from '../../deploy/local/workers.js';

/**
 * Sends posts in chunks spread over `seconds`, retrying a chunk until Kafka takes it (a resend
 * is safe: posts are deduplicated), and calls `at(fraction)` hooks as the feed progresses.
 */
export async function feed(producer: PostProducer, posts: Post[], seconds: number, hooks: [number, () => Promise<void>][] = []): Promise<void> {
  const chunk = 2000;
  const chunks = Math.ceil(posts.length / chunk);
  const pending = [...hooks].sort((a, b) => a[0] - b[0]);
  const t0 = Date.now();
  for (let i = 0; i < chunks; i++) {
    while (pending.length && pending[0]![0] <= i / chunks) await pending.shift()![1]();
    const slice = posts.slice(i * chunk, (i + 1) * chunk);
    for (let attempt = 0; ; attempt++) {
      try { await producer.send(slice); break; } catch (e) {
        if (attempt > 120) throw e;
        await sleep(1000);
      }
    }
    const due = t0 + ((i + 1) / chunks) * seconds * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  for (const [, h] of pending) await h();
}

/**
 * Writes `posts.ndjson` (a burst of #Nordlicht from `burstAt` and a firestorm at acme-air from
 * `stormAt`, minutes after the start, over generated background posts) and `watches.json` (the
 * eval's watches) into `dir`, with `extra` appended to the posts file; returns the posts and paths.
 */
export function writeScenarioFiles(dir: string, o: { seed: number; minutes: number; postsPerMinute: number; burstAt: number; stormAt: number; extra?: string }) {
  const start = Date.parse('2026-11-24T08:00:00Z');
  const M = 60_000;
  const posts: Post[] = [...generate({ seed: o.seed, start, minutes: o.minutes, postsPerMinute: o.postsPerMinute, rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
    events: [{ kind: 'burst', tag: 'Nordlicht', at: start + o.burstAt * M, peakPerMinute: 300, rampMinutes: 2, durationMinutes: 15, lang: 'de' },
      { kind: 'firestorm', watch: 'acme-air', at: start + o.stormAt * M, peakPerMinute: 200, rampMinutes: 3, durationMinutes: 15 }] })];
  const input = path.join(dir, 'posts.ndjson');
  writeFileSync(input, posts.map((p) => JSON.stringify(postToJson(p))).join('\n') + '\n' + (o.extra ?? ''));
  const watches = path.join(dir, 'watches.json');
  writeFileSync(watches, JSON.stringify(EVAL_WATCHES));
  return { posts, input, watches };
}
