// Avro single-object encoding (Avro spec: 0xC3 0x01, the writer schema's CRC-64-AVRO
// fingerprint little-endian, then the binary body). Readers resolve any known writer
// version into their own, so producers and consumers upgrade independently.
import avro from 'avsc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// avsc reads a block of an array or map by its count before it checks that the bytes were there:
// a 26-byte record claiming 60 million hashtags made it allocate until Node aborted (a poison
// record that crash-loops every consumer of the topic). Every item of our arrays and maps takes
// at least one byte, so a count larger than the bytes left is refused before anything is
// allocated; the record then fails to decode like any other invalid one (SchemaError).
interface Tap { buf: Buffer; pos: number; readLong(): number; skipLong(): void; readString(): string }
interface Reader { _read(tap: Tap): unknown; typeName?: string }
const ZERO_WIDTH_ITEMS = 1 << 20;
function blockSize(tap: Tap, zeroWidth: boolean): number {
  let n = tap.readLong();
  if (n < 0) { n = -n; tap.skipLong(); }
  if (!(n <= (zeroWidth ? ZERO_WIDTH_ITEMS : tap.buf.length - tap.pos))) {
    throw new Error(`a block claims ${n} items with ${Math.max(0, tap.buf.length - tap.pos)} bytes left`);
  }
  return n;
}
const types = avro.types as unknown as Record<'ArrayType' | 'MapType', { prototype: { _read(tap: Tap): unknown; itemsType?: Reader; valuesType?: Reader } }>;
types.ArrayType.prototype._read = function (tap) {
  const items = this.itemsType!;
  const zeroWidth = items.typeName === 'null';
  const out: unknown[] = [];
  for (let n = blockSize(tap, zeroWidth); n; n = blockSize(tap, zeroWidth)) while (n--) out.push(items._read(tap));
  return out;
};
types.MapType.prototype._read = function (tap) {
  const values = this.valuesType!;
  const out: Record<string, unknown> = {};
  for (let n = blockSize(tap, false); n; n = blockSize(tap, false)) while (n--) { const key = tap.readString(); out[key] = values._read(tap); }
  return out;
};

const MAGIC0 = 0xc3;
const MAGIC1 = 0x01;
const HEADER = 10;

export class SchemaError extends Error {
  constructor(readonly code: 'not_avro' | 'unknown_schema' | 'invalid_avro', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchemaError';
  }
}

// CRC-64-AVRO (Rabin) as the spec defines it, over the schema's Parsing Canonical Form.
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = (() => {
  const t: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
    t.push(fp);
  }
  return t;
})();

const PCF_KEYS = ['name', 'type', 'fields', 'symbols', 'items', 'values', 'size'];
/** Parsing Canonical Form: full names (avsc gives them), only the attributes that matter for parsing, in spec order. */
function canonical(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(canonical);
  if (s === null || typeof s !== 'object') return s;
  const o = s as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of PCF_KEYS) if (k in o) out[k] = canonical(o[k]);
  return out;
}

/** The CRC-64-AVRO fingerprint of a schema, as the 8 little-endian bytes that single-object encoding carries. */
export function fingerprint(type: avro.Type): Buffer {
  let fp = EMPTY;
  for (const b of Buffer.from(JSON.stringify(canonical(type.schema())), 'utf8')) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp & 0xffffffffffffffffn);
  return out;
}

/** Encodes values of one schema and decodes values written with any known version of it. */
export class AvroCodec<T> {
  readonly type: avro.Type;
  /** Where records are written: the header once at 0, the body after it; grown when a record does not fit. */
  private scratch: Buffer;
  private readonly readers = new Map<string, (buf: Buffer) => T>();

  /** `schema` is the reader/writer schema; `older` are other versions this reader accepts. */
  constructor(schema: avro.Schema, older: avro.Schema[] = []) {
    this.type = avro.Type.forSchema(schema);
    const fp = fingerprint(this.type);
    this.scratch = Buffer.allocUnsafeSlow(64 * 1024);
    this.scratch[0] = MAGIC0;
    this.scratch[1] = MAGIC1;
    fp.copy(this.scratch, 2);
    this.readers.set(fp.toString('hex'), (b) => this.type.fromBuffer(b, undefined, true) as T);
    for (const s of older) {
      const writer = avro.Type.forSchema(s);
      const resolver = this.type.createResolver(writer);
      this.readers.set(fingerprint(writer).toString('hex'), (b) => this.type.fromBuffer(b, resolver, true) as T);
    }
  }

  /** The single-object encoding of `value`; throws if it does not fit the schema. */
  encode(value: T): Buffer {
    // One pooled allocation and one copy per record (avsc's toBuffer zero-fills a fresh
    // ArrayBuffer per call, and the header would need a second copy: 13 % of ingest's CPU).
    let end = this.type.encode(value, this.scratch, HEADER);
    if (end < 0) {
      const bigger = Buffer.allocUnsafeSlow(2 * (this.scratch.length - end));
      this.scratch.copy(bigger, 0, 0, HEADER);
      this.scratch = bigger;
      end = this.type.encode(value, this.scratch, HEADER);
    }
    const out = Buffer.allocUnsafe(end);
    this.scratch.copy(out, 0, 0, end);
    return out;
  }

  /** Decodes a single-object-encoded record; throws SchemaError naming why it cannot. */
  decode(buf: Buffer): T {
    if (buf.length < HEADER || buf[0] !== MAGIC0 || buf[1] !== MAGIC1) {
      throw new SchemaError('not_avro', 'not an Avro single-object record (missing the C3 01 marker)');
    }
    const fp = buf.toString('hex', 2, HEADER);
    const read = this.readers.get(fp);
    if (!read) throw new SchemaError('unknown_schema', `written with an unknown schema (fingerprint ${fp})`);
    try {
      return read(buf.subarray(HEADER));
    } catch (e) {
      throw new SchemaError('invalid_avro', `invalid Avro body: ${(e as Error).message}`, { cause: e });
    }
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Loads `schemas/<name>.avsc`. */
export const loadSchema = (name: string): avro.Schema => JSON.parse(readFileSync(path.join(here, `${name}.avsc`), 'utf8'));
