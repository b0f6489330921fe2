// The topic names of the pipeline, all under one configurable prefix.
export interface Topics {
  posts: string;
  dlq: string;
  /** Posts as stage A analysed them, for the posts sink. */
  enriched: string;
  counts: string;
  minutes: string;
  trends: string;
  alerts: string;
  /** Erasure requests (compacted: one record per erased post or author, kept forever). */
  erasures: string;
  /** Stage B's state snapshots (compacted: the newest snapshot per partition and chunk, see lib/kafka/changelog.ts). */
  changelog: string;
}

export function topicNames(prefix: string): Topics {
  return {
    posts: `${prefix}posts`,
    dlq: `${prefix}posts-dlq`,
    enriched: `${prefix}posts-enriched`,
    counts: `${prefix}hashtag-counts`,
    minutes: `${prefix}minute-aggregates`,
    trends: `${prefix}trends`,
    alerts: `${prefix}alerts`,
    erasures: `${prefix}erasures`,
    changelog: `${prefix}stage-b-changelog`,
  };
}
