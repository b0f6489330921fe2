// The `trends` and `alerts` record codec: detection events in Avro, same fields as the JSON.
import { AvroCodec, loadSchema } from './avro.js';
import type { AlertEvent, DetectionEvent, TrendEvent } from './events.js';

interface Wire { event: { 'dev.trendstream.TrendEvent'?: TrendEvent; 'dev.trendstream.AlertEvent'?: AlertEvent } }
let codec: AvroCodec<Wire> | undefined;
const c = () => (codec ??= new AvroCodec<Wire>(loadSchema('events.v1')));

export function encodeEvent(e: DetectionEvent): Buffer {
  return c().encode({ event: e.type === 'trend' ? { 'dev.trendstream.TrendEvent': e } : { 'dev.trendstream.AlertEvent': e } });
}

export function decodeEvent(buf: Buffer): DetectionEvent {
  const w = c().decode(buf).event;
  return (w['dev.trendstream.TrendEvent'] ?? w['dev.trendstream.AlertEvent'])!;
}
