// `trendstream erase`: asks for the erasure of posts (`--post platform:id`) and of every post
// of authors (`--author platform:author_id`) by writing the requests to the erasures topic;
// the sinks remove the rows from ClickHouse and never write them again.
import { loadConfig } from '../app/config.js';
import { createKafka, ensureTopics } from '../lib/kafka/client.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { UsageError } from './detect.js';
import { parseRef, type Erasure } from '../schemas/erasure.js';
import { ErasureProducer } from '../lib/kafka/erasures.js';

export async function runErase(o: { posts: string[]; authors: string[]; config?: string }): Promise<Erasure[]> {
  if (!o.posts.length && !o.authors.length) throw new UsageError('name at least one --post platform:id or --author platform:author_id');
  const now = Date.now();
  const erasures: Erasure[] = [
    ...o.posts.map((r) => ({ kind: 'post' as const, ...parseRef(r, '--post'), requested_at: now, source: 'cli', derived: false })),
    ...o.authors.map((r) => ({ kind: 'author' as const, ...parseRef(r, '--author'), requested_at: now, source: 'cli', derived: false })),
  ];
  const config = loadConfig({ file: o.config });
  const kafka = createKafka(config.kafka, createLogger(config.logLevel));
  const admin = kafka.admin();
  await admin.connect();
  const topics = await ensureTopics(admin, config.kafka).finally(() => admin.disconnect());
  const producer = new ErasureProducer(kafka, topics.erasures, new Metrics());
  await producer.start();
  try { await producer.send(erasures); } finally { await producer.close(); }
  return erasures;
}
