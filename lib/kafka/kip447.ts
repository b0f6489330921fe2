// KIP-447 for kafkajs 2.2.4, which speaks only the protocol versions before it. With these, one
// transactional producer per worker can commit the offsets of every partition it owns, fenced
// by the consumer group's generation instead of by a producer per partition:
//
// - TxnOffsetCommit v3 sends the group generation and member id with the offsets, so the
//   coordinator rejects (ILLEGAL_GENERATION) a commit from a member that has lost the partition
//   in a rebalance (`sendOffsets` below).
// - OffsetFetch v7 asks for stable offsets (require_stable, as the Java consumer does when it
//   reads committed): while a transaction that commits a partition's offset is open, the
//   coordinator answers UNSTABLE_OFFSET_COMMIT (retriable) instead of the offset before it, so a
//   new owner starts where the previous owner's last transaction leaves it.
// - The consumer's GROUP_JOIN event carries `generationId` (kafkajs leaves it out).
//
// Field layouts: Kafka's TxnOffsetCommitRequest/Response.json and OffsetFetchRequest/
// Response.json (flexible versions: compact strings and arrays, tagged fields, header v2).
import { createRequire } from 'node:module';
import type { Admin, Transaction } from 'kafkajs';
import { retry } from '../retry.js';
import { register } from './replacements.js';

const require = createRequire(import.meta.url);

interface KEncoder {
  writeInt16(v: number): KEncoder; writeInt32(v: number): KEncoder; writeInt64(v: unknown): KEncoder; writeBoolean(v: boolean): KEncoder;
  writeUVarInt(v: number): KEncoder; writeUVarIntString(v: string | null): KEncoder; writeUVarIntArray(v: KEncoder[]): KEncoder;
}
interface KDecoder {
  readInt16(): number; readInt32(): number; readInt64(): { toString(): string }; readUVarIntString(): string | null;
  readUVarIntArray<T>(f: (d: KDecoder) => T): T[] | null; readTaggedFields(): unknown;
}
type Definition = { versions: string[]; protocol: (a: { version: number }) => unknown };

const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => KEncoder;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => KDecoder;
const { failure, createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { failure(code: number): boolean; createErrorFromCode(code: number): Error };

/** Compact array of what `f` encodes, each element followed by its (empty) tagged fields. */
const compact = <T>(xs: readonly T[], f: (e: KEncoder, x: T) => KEncoder): KEncoder[] => xs.map((x) => f(new Encoder(), x).writeUVarInt(0));
const list = <T>(d: KDecoder, f: (d: KDecoder) => T): T[] => d.readUVarIntArray((dd) => { const x = f(dd); dd.readTaggedFields(); return x; }) ?? [];
function throwFirst(codes: number[]): void {
  const code = codes.find((c) => failure(c));
  if (code !== undefined) throw createErrorFromCode(code);
}

const GROUP = Symbol('trendstream.group');
export interface GroupMember { generationId: number; memberId: string }
interface OffsetTopic { topic: string; partitions: { partition: number; offset: string; metadata?: string | null }[] }

/**
 * Adds input offsets to a transaction, committed only while `member` is in that generation of
 * the group. The first request of a transaction gets CONCURRENT_TRANSACTIONS until the markers
 * of the one before are written; kafkajs retries that for sends but not here, so this does
 * (before the offsets are added, so a retry adds them once).
 */
export async function sendOffsets(tx: Transaction, consumerGroupId: string, topics: OffsetTopic[], member: GroupMember): Promise<void> {
  await retry(() => tx.sendOffsets({ consumerGroupId, topics: Object.assign(topics, { [GROUP]: member }) }),
    { initialMs: 10, maxMs: 500, retryable: (e, attempt) => errorType(e) === 'CONCURRENT_TRANSACTIONS' && attempt < 7 });
}

/**
 * A group's committed offsets of one topic, once stable: while a transaction that commits them
 * is open (and briefly after its commit, until the markers are written) the coordinator answers
 * UNSTABLE_OFFSET_COMMIT, and this asks again, as long as `wanted()` holds.
 */
export async function committedOffsets(admin: Admin, groupId: string, topic: string, wanted: () => boolean = () => true): Promise<{ partition: number; offset: string; metadata: string | null }[]> {
  return retry(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [],
    { initialMs: 20, maxMs: 1000, retryable: (e) => errorType(e) === 'UNSTABLE_OFFSET_COMMIT' && wanted() });
}

const errorType = (e: unknown): string | undefined => (e as { type?: string }).type;

function txnOffsetCommitV3({ transactionalId, groupId, producerId, producerEpoch, topics }: { transactionalId: string; groupId: string; producerId: unknown; producerEpoch: number; topics: OffsetTopic[] & { [GROUP]?: GroupMember } }) {
  const member = topics[GROUP] ?? { generationId: -1, memberId: '' }; // no member: the coordinator checks no generation (as before v3)
  return {
    request: {
      apiKey: 28, apiVersion: 3, apiName: 'TxnOffsetCommit',
      encode: async () => new Encoder().writeUVarInt(0) // request header v2: its tagged fields
        .writeUVarIntString(transactionalId).writeUVarIntString(groupId).writeInt64(producerId).writeInt16(producerEpoch)
        .writeInt32(member.generationId).writeUVarIntString(member.memberId).writeUVarIntString(null)
        .writeUVarIntArray(compact(topics, (e, t) => e.writeUVarIntString(t.topic)
          .writeUVarIntArray(compact(t.partitions, (pe, p) => pe.writeInt32(p.partition).writeInt64(p.offset).writeInt32(-1).writeUVarIntString(p.metadata ?? null)))))
        .writeUVarInt(0),
    },
    response: {
      decode: async (raw: Buffer) => {
        const d = new Decoder(raw);
        d.readTaggedFields(); // response header v1
        const throttleTime = d.readInt32();
        const topics = list(d, (t) => ({ topic: t.readUVarIntString(), partitions: list(t, (p) => ({ partition: p.readInt32(), errorCode: p.readInt16() })) }));
        return { throttleTime: 0, clientSideThrottleTime: throttleTime, topics };
      },
      parse: async (data: { topics: { partitions: { errorCode: number }[] }[] }) => {
        throwFirst(data.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)));
        return data;
      },
    },
  };
}

function offsetFetchV7({ groupId, topics }: { groupId: string; topics: { topic: string; partitions: { partition: number }[] }[] | null }) {
  return {
    request: {
      apiKey: 9, apiVersion: 7, apiName: 'OffsetFetch',
      encode: async () => {
        const e = new Encoder().writeUVarInt(0).writeUVarIntString(groupId);
        if (topics === null) e.writeUVarInt(0); // null: every topic of the group
        else e.writeUVarIntArray(compact(topics, (te, t) => te.writeUVarIntString(t.topic).writeUVarIntArray(t.partitions.map((p) => new Encoder().writeInt32(p.partition)))));
        return e.writeBoolean(true).writeUVarInt(0); // require_stable
      },
    },
    response: {
      decode: async (raw: Buffer) => {
        const d = new Decoder(raw);
        d.readTaggedFields();
        const throttleTime = d.readInt32();
        const responses = list(d, (t) => ({
          topic: t.readUVarIntString(),
          partitions: list(t, (p) => {
            const partition = p.readInt32();
            const offset = p.readInt64().toString();
            p.readInt32(); // committed leader epoch
            return { partition, offset, metadata: p.readUVarIntString(), errorCode: p.readInt16() };
          }),
        }));
        return { throttleTime: 0, clientSideThrottleTime: throttleTime, responses, errorCode: d.readInt16() };
      },
      parse: async (data: { errorCode: number; responses: { partitions: { errorCode: number }[] }[] }) => {
        throwFirst([data.errorCode, ...data.responses.flatMap((t) => t.partitions.map((p) => p.errorCode))]);
        return data;
      },
    },
  };
}

/** Offers `version` of a request to kafkajs, which picks the highest version both it and the broker know. */
function addVersion(file: string, version: number, make: (args: never) => unknown): void {
  const def = require(file) as Definition;
  if (def.versions.includes(String(version))) return;
  const protocol = def.protocol;
  def.versions.push(String(version));
  def.protocol = ({ version: v }) => (v === version ? make : protocol({ version: v }));
}
addVersion('kafkajs/src/protocol/requests/txnOffsetCommit/index.js', 3, txnOffsetCommitV3 as never);
addVersion('kafkajs/src/protocol/requests/offsetFetch/index.js', 7, offsetFetchV7 as never);
const offers = (file: string, version: number) => () => (require(file) as Definition).versions.includes(String(version));
register({ name: 'TxnOffsetCommit v3', corrects: 'transactional offset commits are not fenced by the group generation (no KIP-447)', exactlyOnce: true,
  applied: offers('kafkajs/src/protocol/requests/txnOffsetCommit/index.js', 3) });
register({ name: 'OffsetFetch v7', corrects: 'committed offsets are read without require_stable, so a new owner may start before an open transaction', exactlyOnce: true,
  applied: offers('kafkajs/src/protocol/requests/offsetFetch/index.js', 7) });

interface Group { generationId: number | null; instrumentationEmitter: { emit(name: string, payload: unknown): void }; joinAndSync(): Promise<void> }
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype: Group & { [GROUP]?: true } };
const { events: { GROUP_JOIN } } = require('kafkajs/src/consumer/instrumentationEvents.js') as { events: { GROUP_JOIN: string } };
if (!ConsumerGroup.prototype[GROUP]) {
  const joinAndSync = ConsumerGroup.prototype.joinAndSync;
  ConsumerGroup.prototype[GROUP] = true;
  ConsumerGroup.prototype.joinAndSync = function (this: Group) {
    const emitter = this.instrumentationEmitter;
    const emit = emitter.emit;
    emitter.emit = (name, payload) => emit.call(emitter, name, name === GROUP_JOIN ? { ...(payload as object), generationId: this.generationId } : payload);
    return joinAndSync.call(this).finally(() => { emitter.emit = emit; });
  };
}
register({ name: 'generation in GROUP_JOIN', corrects: 'the GROUP_JOIN event leaves out the generation the offsets must be fenced with', exactlyOnce: true,
  applied: () => ConsumerGroup.prototype[GROUP] === true });
