#!/usr/bin/env bash
# Times a first `cargo xtask bench` as on a new machine: a new clone of this repository, empty
# target folder, cargo home, npm cache and index cache, Chromium and h2load removed with their
# libraries, and a PATH with only the Rust toolchain. docs/benchmarks.md ("How a run goes") has
# the results. It removes Debian packages, so run it only on a machine set aside for this.
#
#   bash bench/from-nothing.sh [WORK-FOLDER]   (default /var/tmp/bench-from-nothing)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/var/tmp/bench-from-nothing}
toolchain_bin=${CARGO_HOME:-$HOME/.cargo}/bin
rm -rf "$work"
mkdir -p "$work/bin" "$work/cargo-home"
git clone -q "$repo" "$work/clone"
for tool in cargo rustc rustup rustdoc; do ln -s "$toolchain_bin/$tool" "$work/bin/$tool"; done
apt-get remove -y chromium chromium-driver nghttp2-client >/dev/null 2>&1 || true
apt-get autoremove -y >/dev/null 2>&1 || true
apt-get clean
rm -rf /var/lib/apt/lists/*
test ! -e /usr/bin/chromium && test ! -e /usr/bin/h2load
cd "$work/clone"
export PATH="$work/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export CARGO_HOME="$work/cargo-home" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_TARGET_DIR="$work/target" CARGO_INCREMENTAL=0
export BENCH_CACHE="$work/cache" npm_config_cache="$work/npm-cache"
date -u
# The machine's load every 10 s (idle CPU shows where the lanes leave a core unused).
vmstat -n -t 10 > "$work/vmstat.log" &
vmstat_pid=$!
/usr/bin/time -v cargo xtask bench
kill "$vmstat_pid"
date -u
