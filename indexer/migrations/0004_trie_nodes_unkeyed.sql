-- Trie nodes without a key on their hash. The indexer writes each node once: it keeps the set of
-- hashes it has written, rebuilt from this table whenever it opens the index or rolls it back, and
-- it reads the table only whole, to rebuild the state in memory. The primary key was an index that
-- every block's thousands of new nodes updated at random places, which made it most of what
-- deriving a large chain wrote to disk (docs/indexer.md, "Storage").
CREATE TABLE trie_nodes_unkeyed (
    hash TEXT NOT NULL,
    rlp BYTEA NOT NULL
);
INSERT INTO trie_nodes_unkeyed (hash, rlp) SELECT hash, rlp FROM trie_nodes;
DROP TABLE trie_nodes;
ALTER TABLE trie_nodes_unkeyed RENAME TO trie_nodes;
