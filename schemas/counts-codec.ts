// The `hashtag-counts` and `minute-aggregates` record codec: Aggregates (partials from
// stage A, complete minutes from stage B) and stage A's progress markers, in Avro.
import { AvroCodec, loadSchema } from './avro.js';
import { Kmv } from './sketch.js';
import type { Aggregate } from './counts.js';

export interface Progress { source: number; sources: number; stream_time: number }
export type CountsRecord = { partial: Aggregate } | { progress: Progress };

interface Wire { body: { 'dev.trendstream.Partial'?: Omit<Aggregate, 'authors'> & { authors: Buffer }; 'dev.trendstream.Progress'?: Progress } }

let codec: AvroCodec<Wire> | undefined;
const c = () => (codec ??= new AvroCodec<Wire>(loadSchema('counts.v1')));

export function encodeCounts(r: CountsRecord): Buffer {
  if ('partial' in r) return c().encode({ body: { 'dev.trendstream.Partial': { ...r.partial, authors: r.partial.authors.toBytes() } } });
  return c().encode({ body: { 'dev.trendstream.Progress': r.progress } });
}

/** Decodes a counts record; throws SchemaError when the bytes are not one. */
export function decodeCounts(buf: Buffer): CountsRecord {
  const w = c().decode(buf).body;
  const p = w['dev.trendstream.Partial'];
  if (p) return { partial: { ...p, authors: Kmv.fromBytes(p.authors) } };
  return { progress: w['dev.trendstream.Progress']! };
}
