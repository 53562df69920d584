//! The timing loop shared by `core/examples/microbench.rs` and `bench/backends` (included
//! with `#[path]`, so both measure the same way).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Nanoseconds per call of `f`: the fastest of many ~2 ms batches, within `budget`.
///
/// The machine may be shared: a batch that was preempted or ran next to a busy neighbour is
/// slower, never faster, so the minimum is the cost of the code itself. (Thread CPU time
/// from /proc is no help here: it advances in scheduler ticks of several milliseconds.)
pub fn measure(budget: Duration, mut f: impl FnMut() -> bool) -> f64 {
    // Warm up and size the batch.
    let mut batch = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..batch {
            assert!(black_box(f()), "benchmarked operation failed");
        }
        if start.elapsed() >= Duration::from_millis(2) {
            break;
        }
        batch *= 2;
    }
    let mut best = f64::INFINITY;
    let started = Instant::now();
    let mut samples = 0;
    while samples < 10 || (started.elapsed() < budget && samples < 1000) {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        best = best.min(start.elapsed().as_nanos() as f64 / batch as f64);
        samples += 1;
    }
    best
}
