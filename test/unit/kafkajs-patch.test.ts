import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Partitioners } from '../../lib/kafka/client.js';
import { filterAbortedMessages, groupMessagesPerPartition, kafkajsMurmur2, kafkajsProduceRequest, kafkajsRecord, murmur2, produceRequestV3, produceResponseV3, type ProduceResponse, sendMessages } from '../../lib/kafka/patch.js';
import { crc32c, encodeRecord, encodesProduce, kafkajsFile, type ProduceArgs } from '../../lib/kafka/records.js';
import { assertExactlyOnceReady, KafkajsReplacementError, register, replacements } from '../../lib/kafka/replacements.js';

const require = createRequire(import.meta.url);

describe('kafkajs linear partition grouping', () => {
  it('is the grouping kafkajs producers use', () => {
    expect(replacements().map((r) => [r.name, r.applied])).toEqual([
      ['linear partition grouping', true], ['transactional send retried once per partition', true], ['aborted-transaction filter', true], ['pooled record encoder', true],
      ['produce outcome per partition', true], ['one-pass produce request', true], ['murmur2 with Math.imul', true],
      ['TxnOffsetCommit v3', true], ['OffsetFetch v7', true], ['generation in GROUP_JOIN', true],
    ]);
    expect(() => assertExactlyOnceReady()).not.toThrow();
    expect(require('kafkajs/src/producer/groupMessagesPerPartition.js')).toBe(groupMessagesPerPartition);
    expect(require('kafkajs/src/consumer/filterAbortedMessages.js')).toBe(filterAbortedMessages);
    expect(require('kafkajs/src/producer/sendMessages.js')).toBe(sendMessages);
  });

  it('groups like the partitioner, keeping order within each partition', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const messages = Array.from({ length: 30_000 }, (_, i) => ({ key: `t:tag${i % 7919}`, value: String(i) }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: partitioner as never });
    const want: Record<number, typeof messages> = {};
    for (const message of messages) (want[partitioner({ topic: 't', partitionMetadata, message })] ??= []).push(message);
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(grouped).toEqual(want);
    expect(Object.values(grouped).reduce((n, m) => n + m.length, 0)).toBe(30_000);
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: partitioner as never })).toEqual({});
  });
});

describe('kafkajs send after a partly failed Produce request', () => {
  it('keeps what the broker wrote, and sends again only the partitions it refused, with their sequence numbers', async () => {
    expect(require('kafkajs/src/protocol/requests/produce/v3/response.js')).toBe(produceResponseV3);
    const sequence = new Map<string, number>();
    const requests: { partition: number; firstSequence: number; n: number }[][] = [];
    // The broker writes partition 0 and refuses partition 1 the first time (a leader moving), then writes it.
    const broker = { produce: async ({ topicData }: { topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: unknown[] }[] }[] }) => {
      const parts = topicData[0]!.partitions;
      requests.push(parts.map((p) => ({ partition: p.partition, firstSequence: p.firstSequence, n: p.messages.length })));
      const refuse = requests.length === 1;
      const r: ProduceResponse = { topics: [{ topicName: 't', partitions: parts.map((p) => ({ partition: p.partition, errorCode: refuse && p.partition === 1 ? 6 : 0, baseOffset: String(p.firstSequence) })) }] };
      return produceResponseV3.parse(r);
    } };
    const meta = [0, 1].map((partitionId) => ({ partitionId, leader: 0 }));
    const send = sendMessages({
      logger: { debug: () => {}, error: () => {} },
      cluster: { addMultipleTargetTopics: async () => {}, refreshMetadataIfNecessary: async () => {}, refreshMetadata: async () => {},
        findTopicPartitionMetadata: () => meta, findLeaderForPartitions: (_t, partitions) => ({ 0: partitions }), findBroker: async () => broker as never,
        removeBroker: () => {}, isConnected: () => true, connect: async () => {} },
      partitioner: ({ message }) => (message as { partition: number }).partition,
      eosManager: { isTransactional: () => false, getTransactionalId: () => '', getProducerId: () => 1, getProducerEpoch: () => 0, addPartitionsToTransaction: async () => {},
        acquireBrokerLock: async () => {}, releaseBrokerLock: async () => {},
        getSequence: (t, p) => sequence.get(`${t}|${p}`) ?? 0, updateSequence: (t, p, n) => sequence.set(`${t}|${p}`, (sequence.get(`${t}|${p}`) ?? 0) + n) },
      retrier: async (f) => {
        for (let attempt = 0; ; attempt++) {
          try { return await f(() => {}, attempt, 0); } catch (e) { if (attempt >= 3 || !(e as { retriable?: boolean }).retriable) throw e; }
        }
      },
    });
    const messages = [...Array.from({ length: 3 }, (_, i) => ({ partition: 0, value: `a${i}` })), ...Array.from({ length: 2 }, (_, i) => ({ partition: 1, value: `b${i}` }))];
    const out = await send({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages }] });
    expect(requests).toEqual([[{ partition: 0, firstSequence: 0, n: 3 }, { partition: 1, firstSequence: 0, n: 2 }], [{ partition: 1, firstSequence: 0, n: 2 }]]);
    expect(Object.fromEntries(sequence)).toEqual({ 't|0': 3, 't|1': 2 });
    expect((out as { partition: number }[]).map((r) => r.partition).sort()).toEqual([0, 1]);
  });
});

describe('kafkajs read_committed filter', () => {
  // A partition as a worker killed with two transactions open leaves it: producers 7 and 8 each
  // wrote records, its successor aborted both (markers 20, 21), then producer 7 (the same
  // transactional id, a new epoch) committed a transaction of its own; producer 9 committed throughout.
  const rec = (offset: number, producerId: string, control?: 'abort' | 'commit') => ({
    offset: String(offset), key: control ? Buffer.from([0, 0, 0, control === 'abort' ? 0 : 1]) : Buffer.from(`r${offset}`),
    isControlRecord: Boolean(control), batchContext: { producerId, inTransaction: true },
  });
  const log = [
    rec(10, '7'), rec(11, '7'), rec(12, '8'), rec(13, '8'), rec(14, '9'), rec(15, '7'), rec(16, '8'), rec(17, '9', 'commit'),
    rec(20, '7', 'abort'), rec(21, '8', 'abort'), rec(22, '7'), rec(23, '9'), rec(24, '7', 'commit'), rec(25, '9', 'commit'),
  ];
  const abortedTransactions = [{ producerId: '8', firstOffset: '12' }, { producerId: '7', firstOffset: '10' }];
  const data = (from: number) => log.filter((m) => Number(m.offset) >= from && !m.isControlRecord);

  it('drops every record of the aborted transactions, from any fetch offset', () => {
    for (const from of [10, 11, 13, 15, 16]) {
      const kept = filterAbortedMessages({ messages: log.filter((m) => Number(m.offset) >= from), abortedTransactions }).filter((m) => !m.isControlRecord);
      expect(kept.map((m) => m.offset)).toEqual(data(from).filter((m) => ['14', '22', '23'].includes(m.offset)).map((m) => m.offset));
    }
  });

  it('leaves a fetch without aborted transactions untouched', () => {
    expect(filterAbortedMessages({ messages: log, abortedTransactions: [] })).toBe(log);
  });
});

describe('kafkajs record encoder', () => {
  it('is the encoder produce requests use', () => {
    expect(require('kafkajs/src/protocol/recordBatch/record/v0/index.js')).toBe(encodeRecord);
  });

  it('writes byte for byte what kafkajs writes', () => {
    const cases = [
      { key: 'mastodon:1', value: Buffer.from([0xc3, 1, 2, 3]) },
      { offsetDelta: 0, timestampDelta: 0, key: null, value: null },
      { key: 't:größe🙂', value: 'text value ✓', offsetDelta: 63, timestampDelta: -64 },
      { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), offsetDelta: 8191, timestampDelta: 2 ** 40 + 5 },
      { key: 'k', value: Buffer.alloc(70_000, 1), offsetDelta: 2 ** 31 - 1, timestampDelta: -(2 ** 45) },
      { key: 'k', value: 'v', headers: { reason: 'invalid_avro', detail: 'Ünïcode', empty: '', list: ['a', Buffer.from('b')] } },
    ];
    for (const c of cases) expect(encodeRecord(c as never).buffer.equals(kafkajsRecord(c as never).buffer), JSON.stringify(c).slice(0, 80)).toBe(true);
  });
});

describe('kafkajs produce request', () => {
  afterEach(() => { vi.restoreAllMocks(); });
  /** The request body as a kafkajs request object's encode() returns it. */
  const body = async (request: { encode: () => Promise<unknown> }) => ((await request.encode()) as { buffer: Buffer }).buffer;
  const messages = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 0 ? null : i % 3 ? `t:tag${seed}-${i}-größe` : Buffer.from([seed, i & 255]),
    value: i % 7 === 0 ? null : i % 2 ? Buffer.alloc((i * 37 + seed) % 400, i) : `text ${i} 🙂 ✓`,
    ...(i % 11 === 3 ? { headers: { reason: 'invalid_avro', detail: 'Ünïcode', list: ['a', Buffer.from('b')] } } : {}),
    ...(i % 13 === 4 ? { partition: 2 } : {}),
  }));
  const cases: ProduceArgs[] = [
    { acks: -1, timeout: 30_000, topicData: [{ topic: 'posts', partitions: [{ partition: 0, messages: messages(1, 1) }] }] },
    { acks: -1, timeout: 30_000, transactionalId: 'stage-a-host-1234abcd', producerId: 4711, producerEpoch: 3, topicData: [
      { topic: 'hashtag-counts', partitions: [{ partition: 0, firstSequence: 17, messages: messages(300, 2) }, { partition: 5, firstSequence: 2 ** 31 - 5, messages: messages(40, 3) }] },
      { topic: 'posts-enriched', partitions: [{ partition: 3, firstSequence: 0, messages: messages(1000, 4) }] },
      { topic: 'tëst-ü', partitions: [{ partition: 1, messages: [{ key: '', value: Buffer.alloc(70_000, 9) }] }] },
    ] },
    { acks: 1, timeout: 5, transactionalId: '', producerId: '9007199254740993', producerEpoch: 0, topicData: [{ topic: 'dlq', partitions: [{ partition: 0, messages: messages(3, 5) }] }] },
  ];

  it('is the Produce request v3 to v7 use', () => {
    expect(require('kafkajs/src/protocol/requests/produce/v3/request.js')).toBe(produceRequestV3);
  });

  // kafkajs's request encodes each record with the record encoder in place (tested against kafkajs's own above).
  it('writes byte for byte what kafkajs writes', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_765_000_000_123);
    for (const c of cases) {
      expect(encodesProduce(c)).toBe(true);
      const ours = produceRequestV3(c), theirs = kafkajsProduceRequest(c);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
      expect((await body(ours)).equals(await body(theirs)), JSON.stringify(c).slice(0, 80)).toBe(true);
    }
  });

  it('leaves compressed batches and records with their own timestamps to kafkajs', () => {
    const gzip = { ...cases[0]!, compression: 1 };
    const stamped = { ...cases[0]!, topicData: [{ topic: 'posts', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: '1765000000000' }] }] }] };
    for (const c of [gzip, stamped]) {
      expect(encodesProduce(c)).toBe(false);
      expect(produceRequestV3(c).encode.toString()).toBe(kafkajsProduceRequest(c).encode.toString());
    }
  });
});

describe('CRC-32C of record batches', () => {
  it('is the checksum kafkajs computes, for every length and content', () => {
    const kafkajsCrc = require(kafkajsFile('protocol/recordBatch/crc32C/index.js')) as (b: Buffer) => number;
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the standard check value
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    let seed = 3;
    const byte = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
    for (let n = 0; n < 300; n++) {
      const b = Buffer.from(Array.from({ length: n }, byte));
      expect(crc32c(b), `length ${n}`).toBe(kafkajsCrc(b));
      if (n > 9) expect(crc32c(b.subarray(3, n - 2))).toBe(kafkajsCrc(b.subarray(3, n - 2))); // not at the start of its ArrayBuffer
    }
    const big = Buffer.from(Array.from({ length: 1 << 20 }, byte));
    expect(crc32c(big)).toBe(kafkajsCrc(big));
    expect(crc32c(Buffer.alloc(4096, 0xff))).toBe(kafkajsCrc(Buffer.alloc(4096, 0xff)));
  });
});

describe('kafkajs murmur2', () => {
  it('hashes every key as kafkajs (and the Java client) does', () => {
    const keys: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'mastodon:1', 't:größe🙂', 'x'.repeat(2000), Buffer.from([0xff, 0x80, 0x7f, 0, 1])];
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 5000; i++) {
      const len = rnd() % 40;
      keys.push(i % 2 ? Buffer.from(Array.from({ length: len }, () => rnd() & 0xff)) : Array.from({ length: len }, () => String.fromCodePoint(32 + (rnd() % 500))).join(''));
    }
    for (const k of keys) expect(murmur2(k), String(k)).toBe(kafkajsMurmur2(k));
    expect(require('kafkajs/src/producer/partitioners/default/murmur2.js')).toBe(murmur2);
  });
});

describe('the kafkajs replacement registry', () => {
  it('refuses exactly-once work when a correction it needs is not in effect, naming it', () => {
    register({ name: 'test correction', corrects: 'something kafkajs gets wrong', exactlyOnce: true, applied: () => false });
    expect(() => assertExactlyOnceReady()).toThrow(KafkajsReplacementError);
    expect(() => assertExactlyOnceReady()).toThrow(/test correction: something kafkajs gets wrong/);
  });
});
