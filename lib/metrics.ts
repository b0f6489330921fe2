// Prometheus metrics: shared per-component series in the style of Vector, with
// component_kind and component_id labels. The registry is passed in, never global.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ErrorType = 'decode' | 'validation' | 'kafka' | 'clickhouse' | 'delivery' | 'internal';

/** The metric families every component shares; create once per registry. */
export class Metrics {
  readonly received: Counter<'component_kind' | 'component_id'>;
  readonly sent: Counter<'component_kind' | 'component_id'>;
  readonly errors: Counter<'component_kind' | 'component_id' | 'error_type' | 'stage'>;
  readonly discarded: Counter<'component_kind' | 'component_id' | 'reason'>;
  readonly limitDropped: Counter<'limit'>;
  readonly watermark: Gauge<'component_id'>;
  readonly lag: Gauge<'component_id' | 'topic' | 'partition'>;
  readonly batchSeconds: Histogram<'component_kind' | 'component_id'>;
  readonly transactionSeconds: Histogram<'component_id'>;
  readonly openBuckets: Gauge<'component_id'>;
  readonly windowOverflow: Counter<'component_id'>;
  readonly trackedTags: Gauge<'component_id'>;
  readonly retentionDroppedPartitions: Counter<'table'>;
  readonly retentionLastSuccess: Gauge;
  readonly erasureRequests: Counter<'kind'>;
  readonly erasureApplied: Counter<'kind'>;
  readonly erasureEntries: Gauge<'kind'>;
  readonly restoreFallbacks: Counter<'component_id' | 'reason'>;
  readonly snapshotBytes: Gauge<'component_id'>;
  readonly unconfiguredChannels: Gauge;

  constructor(readonly registry: Registry = new Registry()) {
    const labels = ['component_kind', 'component_id'] as const;
    this.received = new Counter({ name: 'trendstream_component_received_events_total', help: 'Events a component took in', labelNames: labels, registers: [registry] });
    this.sent = new Counter({ name: 'trendstream_component_sent_events_total', help: 'Events a component emitted or wrote', labelNames: labels, registers: [registry] });
    this.errors = new Counter({ name: 'trendstream_component_errors_total', help: 'Errors by type and stage', labelNames: [...labels, 'error_type', 'stage'], registers: [registry] });
    this.discarded = new Counter({ name: 'trendstream_component_discarded_events_total', help: 'Events dropped on purpose (invalid, duplicate, late), by reason', labelNames: [...labels, 'reason'], registers: [registry] });
    this.limitDropped = new Counter({ name: 'trendstream_limit_dropped_total', help: 'Items a limit dropped while the rest was kept (extra hashtags or mentions of a post), by limit', labelNames: ['limit'], registers: [registry] });
    this.watermark = new Gauge({ name: 'trendstream_watermark_seconds', help: 'Event-time watermark (Unix seconds)', labelNames: ['component_id'], registers: [registry] });
    this.lag = new Gauge({ name: 'trendstream_consumer_lag_messages', help: 'Messages between the last processed offset and the partition end', labelNames: ['component_id', 'topic', 'partition'], registers: [registry] });
    this.batchSeconds = new Histogram({ name: 'trendstream_component_batch_duration_seconds', help: 'Time to process or write one batch', labelNames: labels, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
    this.transactionSeconds = new Histogram({ name: 'trendstream_transaction_duration_seconds', help: 'Time of one Kafka transaction of a processor, from its first request to the commit acknowledged', labelNames: ['component_id'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
    this.openBuckets = new Gauge({ name: 'trendstream_window_open_buckets', help: '(key, minute) buckets held open in stage B', labelNames: ['component_id'], registers: [registry] });
    this.windowOverflow = new Counter({ name: 'trendstream_window_overflow_posts_total', help: 'Hashtag counts (one per post and tag) of decided minutes that held processor.maxTagsPerMinute other tags: counted under the minute\'s overflow key (hashtag "") instead of their own', labelNames: ['component_id'], registers: [registry] });
    this.trackedTags = new Gauge({ name: 'trendstream_trend_tracked_tags', help: 'Hashtags with detailed trend state in stage B (bounded by the capacity)', labelNames: ['component_id'], registers: [registry] });
    this.retentionDroppedPartitions = new Counter({ name: 'trendstream_retention_dropped_partitions_total', help: 'Expired partitions dropped by retention (servers without TTL)', labelNames: ['table'], registers: [registry] });
    this.retentionLastSuccess = new Gauge({ name: 'trendstream_retention_last_success_timestamp_seconds', help: 'When retention last completed a run (Unix seconds)', registers: [registry] });
    this.erasureRequests = new Counter({ name: 'trendstream_erasure_requests_total', help: 'Erasure requests written to the erasures topic, by kind (post, author)', labelNames: ['kind'], registers: [registry] });
    this.erasureApplied = new Counter({ name: 'trendstream_erasure_applied_total', help: 'Erasure requests applied to rows already in ClickHouse, by kind', labelNames: ['kind'], registers: [registry] });
    this.restoreFallbacks = new Counter({ name: 'trendstream_state_restore_fallbacks_total', help: 'Partitions rebuilt by full replay because their snapshot could not be used, by reason', labelNames: ['component_id', 'reason'], registers: [registry] });
    this.snapshotBytes = new Gauge({ name: 'trendstream_state_snapshot_bytes', help: 'Size of the last state snapshot a processor wrote to its changelog (compressed)', labelNames: ['component_id'], registers: [registry] });
    this.unconfiguredChannels = new Gauge({ name: 'trendstream_alert_routes_unconfigured', help: 'Watch-to-channel references (a watch\'s channels or routes) naming a delivery channel this sink has not configured: alerts routed there are delivered nowhere', registers: [registry] });
    this.erasureEntries = new Gauge({ name: 'trendstream_erasure_entries', help: 'Erased posts and authors a sink filters, by kind', labelNames: ['kind'], registers: [registry] });
  }

  static withDefaults(): Metrics {
    const m = new Metrics();
    collectDefaultMetrics({ register: m.registry, prefix: 'trendstream_' });
    return m;
  }
}
