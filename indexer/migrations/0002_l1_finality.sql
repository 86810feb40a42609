-- When the indexer first saw each L1 finalized head: the L1 timestamp of the newest L1 block it held
-- at that moment. Not derived from L1 data (L1 does not record when a block became final), so it is
-- kept through reorgs and left out of dumps. A block became L1-finalized at the `observed_at` of the
-- lowest recorded `number` at or above it.
CREATE TABLE l1_finality (
    number BIGINT PRIMARY KEY,
    observed_at BIGINT NOT NULL
);
