// A generated post stream turned into the `hashtag-counts` records stage A would write for it
// (one source: partials, then a progress marker every `every` posts), for stage B tests that
// need its exact input without running stage A.
import type { KafkaMessage } from 'kafkajs';
import { PostIntake } from '../processors/intake.js';
import { encodeCounts } from '../schemas/counts-codec.js';
import type { Post } from '../schemas/post.js';
import { WatchMatcher, type Watch } from '../schemas/watches.js';

export function countsRecords(posts: Iterable<Post>, latenessMs: number, watches: Watch[], every = 500): Buffer[] {
  const intake = new PostIntake(latenessMs, new WatchMatcher(watches));
  const out: Buffer[] = [];
  let n = 0;
  const flush = () => {
    for (const a of intake.drain()) out.push(encodeCounts({ partial: a }));
    if (Number.isFinite(intake.clock.time)) out.push(encodeCounts({ progress: { source: 0, sources: 1, stream_time: intake.clock.time } }));
  };
  for (const p of posts) {
    intake.offer(p);
    if (++n % every === 0) flush();
  }
  flush();
  return out;
}

/** The records as a consumer hands them over, at offsets 0, 1, … */
export const asMessages = (values: Buffer[]): KafkaMessage[] =>
  values.map((value, i) => ({ key: null, value, offset: String(i), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage);
