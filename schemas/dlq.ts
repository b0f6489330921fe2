// The `posts-dlq` record: rejected input kept with its original bytes, the reason in headers.
import type { Message } from 'kafkajs';

/** A rejected input: what it was (bytes as received), why, and where it came from. */
export interface Rejected { raw: Buffer | string; code: string; reason: string; source: string; line?: number }

export function dlqMessage(r: Rejected): Message {
  return {
    value: typeof r.raw === 'string' ? Buffer.from(r.raw) : r.raw,
    headers: {
      reason: r.code, detail: r.reason.slice(0, 1000), source: r.source,
      ...(r.line !== undefined ? { line: String(r.line) } : {}), rejected_at: new Date().toISOString(),
    },
  };
}

