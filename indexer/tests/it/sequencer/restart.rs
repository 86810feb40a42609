//! SIGKILL and restart of the indexer: nothing accepted is lost, nothing posted twice.
