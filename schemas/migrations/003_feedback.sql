-- What PR teams say about alerts (issue 7): acknowledgements and verdicts (useful or false
-- alarm), one row per action, for tuning watches and detectors. Written by the query API
-- (serve/api.ts). Plain MergeTree: every action is kept; the latest per alert and kind wins.

CREATE TABLE IF NOT EXISTS {db}.alert_feedback (
  alert_id String,
  watch String,
  kind String,
  verdict String,
  note String,
  actor String,
  created_at DateTime('UTC')
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(created_at)
ORDER BY (alert_id, created_at);
