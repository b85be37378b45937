//! Time every input of a fuzz corpus through the same work the dump fuzz targets do (open, info,
//! ranges, reads), in a release build without sanitizers, and print the slowest: the check that
//! no input makes the cost follow a header's claim instead of the file's bytes.
//!
//! `cargo run --release --example fuzz_replay -- MAGIC DIR [N]` (MAGIC: elf, kdump or flattened,
//! as the target forces it; N: how many of the slowest to print, default 5).

#[path = "../tests/common/exercise.rs"]
mod exercise;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: fuzz_replay elf|kdump|flattened DIR [N]");
        std::process::exit(2);
    };
    let magic: &[u8] = match kind.as_str() {
        "elf" => b"\x7fELF",
        "kdump" => b"KDUMP   ",
        "flattened" => b"makedumpfile\0\0\0\0",
        _ => {
            eprintln!("fuzz_replay: unknown target {kind:?}");
            std::process::exit(2);
        }
    };
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut times = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        eprintln!("fuzz_replay: {dir}: {e}");
        std::process::exit(2);
    });
    for e in entries.flatten() {
        let Ok(data) = std::fs::read(e.path()) else {
            continue;
        };
        let t = Instant::now();
        exercise::fuzz_one(magic, &data);
        times.push((t.elapsed(), data.len(), e.path()));
    }
    times.sort_by_key(|t| std::cmp::Reverse(t.0));
    let total: std::time::Duration = times.iter().map(|t| t.0).sum();
    println!("{} inputs, {:?} in all", times.len(), total);
    for (t, len, p) in times.iter().take(n) {
        println!("{t:>12.3?}  {len:>8} bytes  {}", p.display());
    }
}
