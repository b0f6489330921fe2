// Probe: stage A's handler (decode, dedup, text analysis, watches, impersonation, partials, the
// records it hands to Kafka) in-process over the benchmark's workload, without Kafka: wall time
// per post, three rounds over the same posts. `npx tsx bench/stage-a-handler.ts [posts]`
// (default 200,000; BATCH posts per call, default 2,000). Run two trees in turn to compare.
import { generate } from '../sim/generator.js';
import { postCodec, postKey } from '../schemas/post.js';
import { topicNames } from '../schemas/topics.js';
import { WatchMatcher } from '../schemas/watches.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { StageA } from '../processors/stage-a.js';
import { benchWorkload, EVAL_WATCHES } from './scenarios.js';
import { DEFAULT_LATENESS_MS } from '../processors/detect.js';

const N = Number(process.argv[2] ?? 200_000);
const codec = postCodec();
const msgs: { key: Buffer; value: Buffer; offset: string }[] = [];
for (const p of generate(benchWorkload(1, N))) {
  msgs.push({ key: Buffer.from(postKey(p)), value: codec.encode({ ...p, ingested_at: Date.now() }), offset: String(msgs.length) });
  if (msgs.length >= N) break;
}
const matcher = new WatchMatcher(EVAL_WATCHES);
const log = createLogger('error');
const BATCH = Number(process.env.BATCH ?? 2000);
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  const a = new StageA({ topics: topicNames('x.'), latenessMs: DEFAULT_LATENESS_MS, postsPartitions: 6, countsPartitions: 6, matcher: () => matcher, metrics: new Metrics(), log });
  a.restore(0, null);
  const t0 = performance.now();
  let out = 0;
  for (let i = 0; i < msgs.length; i += BATCH) {
    const r = a.process(0, msgs.slice(i, i + BATCH) as never);
    for (const t of r.messages) out += t.messages.length;
  }
  const ms = performance.now() - t0;
  console.log(`round ${round}: ${((ms * 1000) / msgs.length).toFixed(2)} µs/post, ${Math.round(msgs.length / (ms / 1000))} posts/s, ${out} records out`);
}
