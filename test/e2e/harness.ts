// The fault suite's workload feeder; worker processes come from deploy/local/workers.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Post } from '../../schemas/post.js';
import type { PostProducer } from '../../ingest/producer.js';

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
