//! Decompression bombs: however much a batch claims to decompress to, the decoder stops at the cap,
//! and the memory it takes is bounded (the cap plus the brotli window) whatever the claim (case 2
//! of `docs/reliability.md`). Allocations are counted per thread by this binary's allocator, so
//! tests running beside it do not count.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    io::Write,
};

use light_node::{BATCH_VERSION, BatchError, decode_batch};

/// The system allocator, counting the bytes the current thread holds and the most it held.
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn held(change: isize) {
    // `try_with`: the thread's counters may already be gone while it exits.
    let _ = HELD.try_with(|held| {
        let now = held.get().saturating_add_signed(change);
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call goes to the system allocator unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        held(layout.size() as isize);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        held(-(layout.size() as isize));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        held(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most this thread held while `f` ran, above what it held before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = HELD.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let out = f();
    (out, PEAK.with(Cell::get) - before)
}

/// A batch of `mib` MiB of zeros: a few hundred bytes that claim to decompress to all of it.
fn bomb(mib: usize) -> Vec<u8> {
    let mut bytes = vec![BATCH_VERSION];
    {
        let mut w = brotli::CompressorWriter::new(&mut bytes, 64 * 1024, 1, 24);
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..mib {
            w.write_all(&zeros).expect("write");
        }
    }
    bytes
}

#[test]
fn bombs_stop_at_the_cap_with_bounded_memory() {
    const CAP: usize = 1024 * 1024;
    let mut peaks = Vec::new();
    for mib in [4, 16, 64] {
        let bytes = bomb(mib);
        let (result, peak) = peak_during(|| decode_batch(&bytes, CAP));
        assert_eq!(result, Err(BatchError::TooLarge { cap: CAP }), "{mib} MiB");
        // The output buffer may hold the cap plus one step of decompression (16 KiB), and brotli
        // allocates the window the stream declares (at most 2^24 bytes) and its tables; nothing
        // grows with what the bomb claims.
        assert!(
            peak < CAP + (1 << 24) + 512 * 1024,
            "a {mib} MiB bomb of {} bytes took {peak} bytes to refuse (cap {CAP})",
            bytes.len()
        );
        peaks.push((mib, bytes.len(), peak));
    }
    let (low, high) = (
        peaks.iter().map(|p| p.2).min().expect("peaks"),
        peaks.iter().map(|p| p.2).max().expect("peaks"),
    );
    assert!(
        high - low < 64 * 1024,
        "the memory taken grows with the claimed size: {peaks:?}"
    );
    let detail = peaks
        .iter()
        .map(|(mib, size, peak)| {
            format!(
                "{size} B claiming {mib} MiB refused holding {} KiB",
                peak / 1024
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    crate::report(
        2,
        "decompression bombs",
        [peaks.len() as u64, peaks.len() as u64, peaks.len() as u64],
        &format!("cap 1 MiB, brotli window 16 MiB: {detail}"),
    );
}
