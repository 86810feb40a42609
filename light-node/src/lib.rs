#![doc = include_str!("../README.md")]

mod output;

pub use output::{OUTPUT_VERSION_V0, output_root};
