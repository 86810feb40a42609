-- The index: everything derived from L1, in SQL that SQLite and PostgreSQL both run.
--
-- Hashes and addresses are lowercase 0x-hex TEXT; amounts in wei are decimal TEXT; raw bytes are BYTEA
-- (a BLOB in SQLite). Every row that comes from an L1 block carries that block's number in `l1_block`,
-- so rolling back to a fork point is one DELETE per table. Trie nodes and code are content-addressed
-- and never rolled back.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every L1 block derivation took, from the one after the rollup's deployment on.
CREATE TABLE l1_blocks (
    number BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    parent_hash TEXT NOT NULL,
    timestamp BIGINT NOT NULL
);

CREATE TABLE deposits (
    nonce BIGINT PRIMARY KEY,
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    from_address TEXT NOT NULL,
    to_address TEXT NOT NULL,
    mint TEXT NOT NULL,
    gas_limit BIGINT NOT NULL,
    data BYTEA NOT NULL,
    l2_tx_hash TEXT NOT NULL
);
CREATE INDEX deposits_l1_block ON deposits (l1_block);

-- Every BatchAppended event: accepted (its blocks are in `blocks`) or dropped with a reason.
CREATE TABLE batches (
    idx BIGINT PRIMARY KEY,
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    size BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    parent_hash TEXT,
    first_block BIGINT,
    last_block BIGINT,
    data BYTEA
);
CREATE INDEX batches_l1_block ON batches (l1_block);

-- The derived (safe) L2 chain.
CREATE TABLE blocks (
    number BIGINT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    parent_hash TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    state_root TEXT NOT NULL,
    output_root TEXT NOT NULL,
    gas_used BIGINT NOT NULL,
    gas_limit BIGINT NOT NULL,
    base_fee BIGINT NOT NULL,
    tx_count BIGINT NOT NULL,
    l1_origin BIGINT NOT NULL,
    l1_origin_hash TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    batch_index BIGINT,
    header BYTEA NOT NULL
);
CREATE INDEX blocks_l1_block ON blocks (l1_block);

CREATE TABLE transactions (
    hash TEXT PRIMARY KEY,
    block_number BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    l1_block BIGINT NOT NULL,
    tx_type BIGINT NOT NULL,
    from_address TEXT NOT NULL,
    to_address TEXT,
    contract_address TEXT,
    nonce BIGINT NOT NULL,
    value TEXT NOT NULL,
    gas_limit BIGINT NOT NULL,
    gas_used BIGINT NOT NULL,
    effective_gas_price TEXT NOT NULL,
    success BIGINT NOT NULL,
    deposit_nonce BIGINT,
    raw BYTEA NOT NULL
);
CREATE UNIQUE INDEX transactions_position ON transactions (block_number, idx);
CREATE INDEX transactions_l1_block ON transactions (l1_block);

-- User transactions a batch carried that could not be applied (bad nonce, funds, signature...).
CREATE TABLE skipped_transactions (
    block_number BIGINT NOT NULL,
    position BIGINT NOT NULL,
    hash TEXT,
    reason TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    PRIMARY KEY (block_number, position)
);

CREATE TABLE logs (
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    tx_index BIGINT NOT NULL,
    address TEXT NOT NULL,
    topic0 TEXT,
    topic1 TEXT,
    topic2 TEXT,
    topic3 TEXT,
    data BYTEA NOT NULL,
    l1_block BIGINT NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX logs_address ON logs (address, block_number);
CREATE INDEX logs_l1_block ON logs (l1_block);

-- Transactions by account: as sender, recipient or created contract.
CREATE TABLE account_transactions (
    address TEXT NOT NULL,
    block_number BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    PRIMARY KEY (address, block_number, idx)
);
CREATE INDEX account_transactions_l1_block ON account_transactions (l1_block);

-- Each account a block's transactions touched, as it is after that block.
CREATE TABLE account_changes (
    address TEXT NOT NULL,
    block_number BIGINT NOT NULL,
    nonce BIGINT NOT NULL,
    balance TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    PRIMARY KEY (address, block_number)
);
CREATE INDEX account_changes_l1_block ON account_changes (l1_block);

CREATE TABLE proposals (
    idx BIGINT PRIMARY KEY,
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    proposer TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    output_root TEXT NOT NULL,
    parent BIGINT,
    parent_l2_block BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    bond TEXT NOT NULL
);
CREATE INDEX proposals_l1_block ON proposals (l1_block);

CREATE TABLE games (
    id BIGINT PRIMARY KEY,
    proposal_idx BIGINT NOT NULL,
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    challenger TEXT NOT NULL,
    proposer TEXT NOT NULL,
    agreed_block BIGINT NOT NULL,
    agreed_root TEXT NOT NULL,
    disputed_block BIGINT NOT NULL,
    disputed_root TEXT NOT NULL,
    turn TEXT NOT NULL,
    deadline BIGINT NOT NULL
);
CREATE INDEX games_l1_block ON games (l1_block);

-- Every later Rollup event about proposals and games, in L1 order: game moves, resolutions,
-- invalidations, finalizations, reclaimed bonds, credits and withdrawals. `data` is the event as JSON.
CREATE TABLE rollup_events (
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    proposal_idx BIGINT,
    game_id BIGINT,
    l2_block BIGINT,
    data TEXT NOT NULL,
    PRIMARY KEY (l1_block, log_index)
);
CREATE INDEX rollup_events_game ON rollup_events (game_id, l1_block, log_index);
CREATE INDEX rollup_events_kind ON rollup_events (kind, proposal_idx);

CREATE TABLE trie_nodes (
    hash TEXT PRIMARY KEY,
    rlp BYTEA NOT NULL
);

CREATE TABLE codes (
    hash TEXT PRIMARY KEY,
    code BYTEA NOT NULL
);
