// The `trends` and `alerts` record codec: detection events in Avro, same fields as the JSON.
import { AvroCodec, loadSchema } from './avro.js';
// v2 adds impersonation events (on the alerts topic); v1 records still decode.
import type { AlertEvent, DetectionEvent, ImpersonationEvent, TrendEvent } from './events.js';

interface Wire { event: { 'dev.trendstream.TrendEvent'?: TrendEvent; 'dev.trendstream.AlertEvent'?: AlertEvent; 'dev.trendstream.ImpersonationEvent'?: ImpersonationEvent } }
let codec: AvroCodec<Wire> | undefined;
const c = () => (codec ??= new AvroCodec<Wire>(loadSchema('events.v2'), [loadSchema('events.v1')]));

export function encodeEvent(e: DetectionEvent | ImpersonationEvent): Buffer {
  return c().encode({ event: e.type === 'trend' ? { 'dev.trendstream.TrendEvent': e } : e.type === 'alert' ? { 'dev.trendstream.AlertEvent': e } : { 'dev.trendstream.ImpersonationEvent': e } });
}

export function decodeEvent(buf: Buffer): DetectionEvent | ImpersonationEvent {
  const w = c().decode(buf).event;
  return (w['dev.trendstream.TrendEvent'] ?? w['dev.trendstream.AlertEvent'] ?? w['dev.trendstream.ImpersonationEvent'])!;
}
