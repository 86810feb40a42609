//! End-to-end tests: the built app in headless Chromium, served by the indexer, over a real anvil.

mod harness;
mod overview;
mod pages;
