// Stage B's checkpoint format: the detectors' state as compact JSON with a format version,
// gzipped. Each class writes its own fields explicitly (`snapshot()` / `fromSnapshot()`); this
// file holds the shared encodings (aggregates as their Avro partial, typed arrays as base64,
// ±Infinity as null) and the envelope. JSON + version over Avro: the state is nested, changes
// with the detectors, and is read back only by this code, so a version bump and a fallback to
// replay is simpler than schema evolution; exact for doubles (shortest round-trip form).
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeCounts, encodeCounts } from '../schemas/counts-codec.js';
import type { Aggregate } from '../schemas/counts.js';

/** Bump when any class's snapshot changes shape: older snapshots are then refused and the partition replayed. */
export const SNAPSHOT_VERSION = 1;
const FORMAT = 'trendstream.stage-b';

export class SnapshotVersionError extends Error {
  readonly code = 'snapshot_version';
  constructor(readonly found: unknown) { super(`snapshot version ${String(found)} is not ${SNAPSHOT_VERSION}`); this.name = 'SnapshotVersionError'; }
}

/** One Aggregate as its `hashtag-counts` partial record, base64 (exact: sketch, texts and samples in order). */
export const aggOut = (a: Aggregate): string => encodeCounts({ partial: a }).toString('base64');
export function aggIn(s: string): Aggregate {
  const r = decodeCounts(Buffer.from(s, 'base64'));
  if (!('partial' in r)) throw new Error('snapshot holds a progress record where an aggregate belongs');
  return r.partial;
}

/** A run of minutes as the detectors hold it (newest last). */
export interface MinuteEntry { minute: number; total: number; agg: Aggregate | null }
export interface MinuteEntrySnap { minute: number; total: number; agg: string | null }
export const minutesOut = (ms: readonly MinuteEntry[]): MinuteEntrySnap[] => ms.map((m) => ({ minute: m.minute, total: m.total, agg: m.agg && aggOut(m.agg) }));
export const minutesIn = (ms: readonly MinuteEntrySnap[]): MinuteEntry[] => ms.map((m) => ({ minute: m.minute, total: m.total, agg: m.agg === null ? null : aggIn(m.agg) }));

type Typed = Float64Array | Float32Array | Uint32Array | Int32Array;
export const bytesOut = (a: Typed): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function bytesIn<T>(s: string, make: (b: ArrayBuffer) => T): T {
  const b = Buffer.from(s, 'base64');
  const copy = new ArrayBuffer(b.length);
  new Uint8Array(copy).set(b);
  return make(copy);
}
export const f64In = (s: string): Float64Array<ArrayBuffer> => bytesIn(s, (b) => new Float64Array(b));
export const f32In = (s: string): Float32Array<ArrayBuffer> => bytesIn(s, (b) => new Float32Array(b));
export const u32In = (s: string): Uint32Array<ArrayBuffer> => bytesIn(s, (b) => new Uint32Array(b));
export const i32In = (s: string): Int32Array<ArrayBuffer> => bytesIn(s, (b) => new Int32Array(b));

/** JSON has no infinities: ±Infinity (an unset clock or minute) travels as a string. */
export const numOut = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
export const numIn = (x: number | string): number => (typeof x === 'number' ? x : Number(x));

/** The envelope: `{format, v, state}` as gzipped JSON. */
export function encodeSnapshot(state: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ format: FORMAT, v: SNAPSHOT_VERSION, state }), 'utf8'), { level: 1 });
}

/** The state of a snapshot of this version; throws SnapshotVersionError for any other version or format. */
export function decodeSnapshot<T>(buf: Buffer): T {
  const o = JSON.parse(gunzipSync(buf).toString('utf8')) as { format?: string; v?: unknown; state: T };
  if (o.format !== FORMAT || o.v !== SNAPSHOT_VERSION) throw new SnapshotVersionError(o.format === FORMAT ? o.v : o.format);
  return o.state;
}
