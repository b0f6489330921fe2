-- The migrations of schemas/migrations/*.sql for a ClickHouse cluster: on every shard a
-- Replicated table (`<name>_local`, replicas kept in sync through ZooKeeper/Keeper), and
-- behind them a Distributed table with the original name, so writers and readers use the
-- same table names as on a single server. Same columns, partitioning and ordering as the
-- single-server migrations (deploy/check.sh compares them), valid on 18.16.
--
-- Selected by configuration (clickhouse.cluster, e.g. env CLICKHOUSE_CLUSTER): the
-- migration runner then applies this file instead of schemas/migrations, replacing {db}
-- with the database and {cluster} with the cluster name from the servers' remote_servers.
-- {shard} and {replica} are left to each server's <macros>.
--
-- Sharding keys keep every copy of a row on one shard, so the Replacing engines (and
-- FINAL, which each shard applies to its own part) still deduplicate replays: posts by
-- (platform, id), aggregates and events by their key. Replicated engines also drop a
-- repeated identical insert block. Write through the Distributed tables with the setting
-- insert_distributed_sync=1 (18.16 has it), so an acknowledged insert is on the shards
-- before the sink commits its Kafka offsets. Checked on 18.16 with ZooKeeper: the DDL
-- applies (twice, idempotently), and a replayed insert reads back once with FINAL.

CREATE DATABASE IF NOT EXISTS {db} ON CLUSTER {cluster};

CREATE TABLE IF NOT EXISTS {db}.posts_local ON CLUSTER {cluster} (
  platform String,
  id String,
  created_at DateTime('UTC'),
  created_at_ms UInt16,
  author_id String,
  author_handle String,
  author_followers UInt32,
  author_created_at DateTime('UTC'),
  text String,
  lang String,
  reply_to String,
  reply_to_author String,
  repost_of String,
  hashtags Array(String),
  mentions Array(String),
  watches Array(String),
  likes UInt32,
  reposts UInt32,
  replies UInt32,
  sentiment Float32,
  negative UInt8,
  toxic UInt8,
  ingested_at DateTime('UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/posts', '{replica}')
PARTITION BY toYYYYMMDD(created_at)
ORDER BY (toStartOfHour(created_at), platform, id);

CREATE TABLE IF NOT EXISTS {db}.posts ON CLUSTER {cluster} AS {db}.posts_local
ENGINE = Distributed({cluster}, {db}, posts_local, cityHash64(platform, id));

CREATE TABLE IF NOT EXISTS {db}.hashtag_minute_local ON CLUSTER {cluster} (
  hashtag String,
  minute DateTime('UTC'),
  posts UInt64,
  authors UInt64,
  authors_exact UInt8,
  young UInt64,
  negative UInt64,
  positive UInt64,
  toxic UInt64,
  sentiment_avg Float32
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/hashtag_minute', '{replica}')
PARTITION BY toYYYYMM(minute)
ORDER BY (hashtag, minute);

CREATE TABLE IF NOT EXISTS {db}.hashtag_minute ON CLUSTER {cluster} AS {db}.hashtag_minute_local
ENGINE = Distributed({cluster}, {db}, hashtag_minute_local, cityHash64(hashtag));

CREATE TABLE IF NOT EXISTS {db}.watch_minute_local ON CLUSTER {cluster} (
  watch String,
  minute DateTime('UTC'),
  posts UInt64,
  authors UInt64,
  authors_exact UInt8,
  young UInt64,
  negative UInt64,
  positive UInt64,
  toxic UInt64,
  pressure UInt64,
  sentiment_avg Float32
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/watch_minute', '{replica}')
PARTITION BY toYYYYMM(minute)
ORDER BY (watch, minute);

CREATE TABLE IF NOT EXISTS {db}.watch_minute ON CLUSTER {cluster} AS {db}.watch_minute_local
ENGINE = Distributed({cluster}, {db}, watch_minute_local, cityHash64(watch));

CREATE TABLE IF NOT EXISTS {db}.trends_local ON CLUSTER {cluster} (
  id String,
  state String,
  hashtag String,
  detected_at DateTime('UTC'),
  window_start DateTime('UTC'),
  window_end DateTime('UTC'),
  posts UInt64,
  authors UInt64,
  velocity Float64,
  score Float64,
  inauthentic UInt8
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/trends', '{replica}')
PARTITION BY toYYYYMM(detected_at)
ORDER BY (hashtag, detected_at, id);

CREATE TABLE IF NOT EXISTS {db}.trends ON CLUSTER {cluster} AS {db}.trends_local
ENGINE = Distributed({cluster}, {db}, trends_local, cityHash64(hashtag));

CREATE TABLE IF NOT EXISTS {db}.alerts_local ON CLUSTER {cluster} (
  id String,
  state String,
  watch String,
  severity UInt8,
  detected_at DateTime('UTC'),
  posts UInt64,
  negative_share Float64,
  inauthentic UInt8,
  reasons String,
  summary String,
  samples String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/alerts', '{replica}')
PARTITION BY toYYYYMM(detected_at)
ORDER BY (watch, detected_at, id);

CREATE TABLE IF NOT EXISTS {db}.alerts ON CLUSTER {cluster} AS {db}.alerts_local
ENGINE = Distributed({cluster}, {db}, alerts_local, cityHash64(watch));

CREATE TABLE IF NOT EXISTS {db}.alert_feedback_local ON CLUSTER {cluster} (
  alert_id String,
  watch String,
  kind String,
  verdict String,
  note String,
  actor String,
  created_at DateTime('UTC')
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{db}/alert_feedback', '{replica}')
PARTITION BY toYYYYMM(created_at)
ORDER BY (alert_id, created_at);

CREATE TABLE IF NOT EXISTS {db}.alert_feedback ON CLUSTER {cluster} AS {db}.alert_feedback_local
ENGINE = Distributed({cluster}, {db}, alert_feedback_local, cityHash64(alert_id));
