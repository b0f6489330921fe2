// Checkpoints of a processor's per-partition state in a compacted changelog topic, as Kafka
// Streams keeps its stores: a snapshot is written in the same transaction as the outputs and
// input offsets it covers, cut into chunks that each fit the topic's max.message.bytes, followed
// by a manifest; the offset commit's metadata points at the newest one, so a new owner reads
// exactly that snapshot (never the whole changelog) and replays only the input after it.
import { randomUUID } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import { topicOffsets } from './offsets.js';

/** Bytes per chunk record: under the changelog topic's max.message.bytes (1 MiB) with room for headers. */
export const CHUNK_BYTES = 768 << 10;
/** Every changelog topic gets this max.message.bytes (1 MiB + record overhead, Kafka's default). */
export const CHANGELOG_MAX_MESSAGE_BYTES = 1_048_588;
const MANIFEST_VERSION = 1;

/** A restored snapshot: the state bytes and the input offset it covers (everything below it). */
export interface Checkpoint { offset: string; state: Buffer }

/** Where the newest snapshot of a partition lies in the changelog: its first chunk and its manifest. */
export interface CheckpointPointer { first: string; manifest: string }

const TAG = '#cl=';
/** Appends a pointer to a handler's commit metadata (kept under the broker's 4 KiB metadata limit: a few dozen bytes). */
export const withPointer = (metadata: string, p: CheckpointPointer | undefined): string => (p ? `${metadata}${TAG}${p.first}-${p.manifest}` : metadata);
/** Splits committed metadata into the handler's part and the pointer. */
export function splitPointer(metadata: string): { metadata: string; pointer?: CheckpointPointer } {
  const i = metadata.lastIndexOf(TAG);
  if (i < 0) return { metadata };
  const m = /^(\d+)-(\d+)$/.exec(metadata.slice(i + TAG.length));
  return m ? { metadata: metadata.slice(0, i), pointer: { first: m[1]!, manifest: m[2]! } } : { metadata };
}

/** The records of one snapshot of `partition` covering input below `offset`: chunks keyed `<partition>:<seq>`, then the manifest keyed `<partition>:manifest`. */
export function checkpointRecords(partition: number, offset: string, state: Buffer, chunkBytes = CHUNK_BYTES): { chunks: Message[]; manifest: Message } {
  const n = Math.max(1, Math.ceil(state.length / chunkBytes));
  const chunks: Message[] = [];
  for (let i = 0; i < n; i++) {
    chunks.push({ partition, key: `${partition}:${i}`, value: state.subarray(i * chunkBytes, (i + 1) * chunkBytes), headers: { snapshot: offset, seq: String(i) } });
  }
  const manifest = { partition, key: `${partition}:manifest`, value: JSON.stringify({ v: MANIFEST_VERSION, partition, offset, chunks: n, bytes: state.length }) };
  return { chunks, manifest };
}

export class CheckpointError extends Error {
  constructor(readonly code: 'incomplete' | 'manifest' | 'timeout', message: string) { super(message); this.name = 'CheckpointError'; }
}

/**
 * Reads the snapshot at `pointer` from the changelog partition (read_committed), checking that
 * every chunk belongs to the manifest's snapshot. Throws CheckpointError when it cannot.
 */
export async function readCheckpoint(kafka: Kafka, topic: string, partition: number, pointer: CheckpointPointer, timeoutMs = 60_000): Promise<Checkpoint> {
  const first = BigInt(pointer.first);
  const last = BigInt(pointer.manifest);
  // kafkajs has no group-less assignment: a throwaway group that commits nothing reads the one partition.
  const consumer = kafka.consumer({ groupId: `trendstream-restore-${randomUUID()}`, readUncommitted: false, maxBytesPerPartition: 8 << 20, allowAutoTopicCreation: false });
  const records: { offset: bigint; key: string; value: Buffer; headers: Record<string, string> }[] = [];
  const admin = kafka.admin();
  let partitions: number[] = [];
  try {
    await admin.connect();
    partitions = (await topicOffsets(admin, topic)).map((o) => o.partition);
  } finally { await admin.disconnect().catch(() => {}); }
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((r) => { done = r; });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const m of batch.messages) {
          const o = BigInt(m.offset);
          if (o < first || o > last) continue;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          records.push({ offset: o, key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), headers });
          if (o === last) done();
        }
      },
    });
    consumer.seek({ topic, partition, offset: pointer.first });
    // The other partitions hold other owners' snapshots: not fetched at all.
    const others = partitions.filter((p) => p !== partition);
    if (others.length) consumer.pause([{ topic, partitions: others }]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new CheckpointError('timeout', `no snapshot at ${topic}[${partition}] ${pointer.first}-${pointer.manifest} within ${timeoutMs} ms`)), timeoutMs); });
    try { await Promise.race([finished, timeout]); } finally { clearTimeout(timer); }
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  const manifestRecord = records.find((r) => r.offset === last);
  if (!manifestRecord || manifestRecord.key !== `${partition}:manifest`) throw new CheckpointError('manifest', `no manifest of partition ${partition} at offset ${pointer.manifest}`);
  const manifest = JSON.parse(manifestRecord.value.toString('utf8')) as { v: number; offset: string; chunks: number; bytes: number };
  if (manifest.v !== MANIFEST_VERSION) throw new CheckpointError('manifest', `manifest version ${manifest.v} is not ${MANIFEST_VERSION}`);
  const chunks = records.filter((r) => r.key.startsWith(`${partition}:`) && r.headers.snapshot === manifest.offset && r.offset < last);
  const parts: Buffer[] = [];
  for (let i = 0; i < manifest.chunks; i++) {
    const c = chunks.find((r) => r.headers.seq === String(i));
    if (!c) throw new CheckpointError('incomplete', `chunk ${i} of ${manifest.chunks} missing for the snapshot at input offset ${manifest.offset}`);
    parts.push(c.value);
  }
  const state = Buffer.concat(parts);
  if (state.length !== manifest.bytes) throw new CheckpointError('incomplete', `snapshot has ${state.length} bytes, manifest says ${manifest.bytes}`);
  return { offset: manifest.offset, state };
}
