-- Every text score stage A computes is stored with the post (the posts table had sentiment,
-- negative and toxic only). One column per statement: 18.16 has no ADD COLUMN IF NOT EXISTS,
-- so `migrate` skips a column the table already has.

ALTER TABLE {db}.posts ADD COLUMN positive UInt8 AFTER negative;
ALTER TABLE {db}.posts ADD COLUMN toxicity Float32 AFTER toxic;
ALTER TABLE {db}.posts ADD COLUMN arousal Float32 AFTER toxicity;
