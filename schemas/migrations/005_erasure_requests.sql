-- Who asked to erase what, when and why (issue 20): one row per erasure request of the
-- `erasures` topic (HTTP, CLI or a deletion at the source), written by the sinks' erasure
-- consumer when it applies the request. Posts erased only because their author was are not
-- requests and are not listed. Kept forever by default (retention erasure_requests=0); no post text is in it.
-- Replacing: a request read again (a restart before its offset was committed) is one row after
-- merges; read with FINAL for exact counts.

CREATE TABLE IF NOT EXISTS {db}.erasure_requests (
  requested_at DateTime('UTC'),
  kind String,
  platform String,
  id String,
  source String,
  actor String,
  reason String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(requested_at)
ORDER BY (platform, kind, id, requested_at, actor);
