// Retention's pure parts: which day and month partitions lie wholly before the cut-off, and
// the configuration (days per table, env mapping, errors that name the field).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { tableDefs } from '../../lib/clickhouse/ddl.js';
import { expiredPartitions, partitionEnd } from '../../sinks/clickhouse/retention.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');

describe('retention', () => {
  it('reads the end of day and month partitions, and nothing else', () => {
    expect(partitionEnd('20261127')).toBe(Date.parse('2026-11-28T00:00:00Z'));
    expect(partitionEnd('20261231')).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(partitionEnd('202611')).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(partitionEnd('202612')).toBe(Date.parse('2027-01-01T00:00:00Z'));
    for (const bad of ['all', '2026', '20261', '202613', '20261132', 'a0261127', '', '1; DROP']) expect(partitionEnd(bad)).toBeNull();
  });

  it('drops a partition only when all of it is older than the retention', () => {
    // 30 days before NOW is 2026-10-28T10:00Z: the 27th ended before it, the 28th did not.
    expect(expiredPartitions(['20261026', '20261027', '20261028', '20261127', 'all'], 30, NOW)).toEqual(['20261026', '20261027']);
    // 400 days before NOW is 2025-10-23T10:00Z: September 2025 is over, October is not.
    expect(expiredPartitions(['202508', '202509', '202510', '202611'], 400, NOW)).toEqual(['202508', '202509']);
    expect(expiredPartitions(['20200101'], 0, NOW)).toEqual([]);
  });

  it('defaults to 30 days of posts, 400 of minute aggregates, detections, feedback and erasure requests forever', () => {
    expect(loadConfig({ env: {} }).clickhouse.retention).toEqual({ posts: 30, hashtag_minute: 400, watch_minute: 400, trends: 0, alerts: 0, alert_feedback: 0, erasure_requests: 0 });
    expect(Object.keys(loadConfig({ env: {} }).clickhouse.retention).sort()).toEqual(tableDefs().map((t) => t.name).sort());
  });

  it('maps TRENDSTREAM_RETENTION_DAYS and names the field of a bad value', () => {
    expect(loadConfig({ env: { TRENDSTREAM_RETENTION_DAYS: 'posts=7, trends=90' } }).clickhouse.retention).toMatchObject({ posts: 7, trends: 90, hashtag_minute: 400 });
    expect(() => loadConfig({ env: { TRENDSTREAM_RETENTION_DAYS: 'post=7' } })).toThrow(/clickhouse\.retention: Unrecognized key: "post"/);
    expect(() => loadConfig({ env: { TRENDSTREAM_RETENTION_DAYS: 'posts' } })).toThrow(/clickhouse\.retention\.posts: .*number/);
    expect(() => loadConfig({ env: { TRENDSTREAM_RETENTION_DAYS: 'posts=-1' } })).toThrow(/clickhouse\.retention\.posts/);
    expect(() => loadConfig({ env: { TRENDSTREAM_RETENTION_DAYS: 'posts=1.5' } })).toThrow(/clickhouse\.retention\.posts/);
  });

  it('takes a cluster only with a server URL and a plain name', () => {
    expect(loadConfig({ env: { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'main' } }).clickhouse.cluster).toBe('main');
    expect(loadConfig({ env: {} }).clickhouse.cluster).toBeUndefined();
    expect(() => loadConfig({ env: { CLICKHOUSE_CLUSTER: 'main' } })).toThrow(/clickhouse\.cluster: a cluster needs clickhouse\.url/);
    expect(() => loadConfig({ env: { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'main-1' } })).toThrow(/clickhouse\.cluster: must be the plain name/);
  });
});
