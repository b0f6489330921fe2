-- Trend and alert events (CONTRACTS §4), one row per event; ids are deterministic, so a
-- replayed event replaces itself (query with FINAL).

CREATE TABLE IF NOT EXISTS {db}.trends (
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
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(detected_at)
ORDER BY (hashtag, detected_at, id);

CREATE TABLE IF NOT EXISTS {db}.alerts (
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
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(detected_at)
ORDER BY (watch, detected_at, id);
