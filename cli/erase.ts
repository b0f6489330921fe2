// `trendstream erase`: asks for the erasure of posts (`--post platform:id`) and of every post
// of authors (`--author platform:author_id`) by writing the requests to the erasures topic;
// the sinks remove the rows from ClickHouse and never write them again.
import { loadConfig } from '../app/config.js';
import { createKafka, ensureTopics } from '../lib/kafka/client.js';
import { createLogger } from '../lib/log.js';
import { Metrics } from '../lib/metrics.js';
import { UsageError } from './detect.js';
import { userInfo } from 'node:os';
import { MAX_REASON_CHARS, parseRef, type Erasure } from '../schemas/erasure.js';
import { ErasureProducer } from '../lib/kafka/erasures.js';

export async function runErase(o: { posts: string[]; authors: string[]; reason?: string; config?: string }): Promise<Erasure[]> {
  if (!o.posts.length && !o.authors.length) throw new UsageError('name at least one --post platform:id or --author platform:author_id');
  const reason = o.reason ?? '';
  if (reason.length > MAX_REASON_CHARS) throw new UsageError(`--reason is longer than ${MAX_REASON_CHARS} characters`);
  const now = Date.now();
  // Whoever can reach Kafka may run this; the operating-system user is who asked.
  const actor = `cli:${userInfo().username}`;
  const erasures: Erasure[] = [
    ...o.posts.map((r) => ({ kind: 'post' as const, ...parseRef(r, '--post'), requested_at: now, source: 'cli', derived: false, actor, reason })),
    ...o.authors.map((r) => ({ kind: 'author' as const, ...parseRef(r, '--author'), requested_at: now, source: 'cli', derived: false, actor, reason })),
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
