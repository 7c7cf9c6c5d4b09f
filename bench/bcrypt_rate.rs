//! The raw bcrypt verification rate on this machine, one thread per core:
//! the ceiling for sign-ins. Run: cargo run --release --example bcrypt_rate [COST] [SECONDS]

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let cost: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(12);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let hash = bcrypt::hash("tangerine-orbit-4217", cost).expect("hash");
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while start.elapsed() < Duration::from_secs(secs) {
                        assert!(bcrypt::verify("tangerine-orbit-4217", &hash).expect("verify"));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    let rate = total as f64 / start.elapsed().as_secs_f64();
    println!("bcrypt cost {cost}: {rate:.2} verifications/s on {threads} threads ({:.0} ms each per core)", 1000.0 * threads as f64 / rate);
}
