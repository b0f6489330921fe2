-- Core tables. Valid on ClickHouse 18.16 (Debian) and current ClickHouse (chdb): no
-- DateTime64, LowCardinality, TTL or codecs. {db} is replaced by the configured database.
-- Replacing engines make replays idempotent: query with FINAL (or the dedup shown in README).

CREATE TABLE IF NOT EXISTS {db}.posts (
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
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(created_at)
ORDER BY (toStartOfHour(created_at), platform, id);

CREATE TABLE IF NOT EXISTS {db}.hashtag_minute (
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
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (hashtag, minute);

CREATE TABLE IF NOT EXISTS {db}.watch_minute (
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
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (watch, minute);
