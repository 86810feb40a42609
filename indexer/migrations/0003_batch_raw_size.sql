-- The size of each accepted batch once decompressed (the RLP of its blocks), for the compression
-- ratio. NULL for dropped batches, and for batches indexed before this column existed.
ALTER TABLE batches ADD COLUMN raw_size BIGINT;
