//! Write an ELF dump holding a synthetic, full printk ringbuffer (default 1 MiB of text, wrapped
//! twice), for timing `modcrash log` on the largest ring a distro kernel boots with:
//!
//!     cargo run --release --example printk_ring -- /tmp/printk-1mib.elf [SIZE_BITS]
//!     modcrash log /tmp/printk-1mib.elf > /dev/null

use modcrash::synth::{self, printk, ElfLayout};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "printk-ring.elf".into());
    let size_bits: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let (ring, written) = printk::filled(size_bits, 2);
    let elf = synth::elf(&ring.spec(), ElfLayout::Kernel);
    std::fs::write(&path, elf)?;
    eprintln!(
        "{path}: {} records written, 2^{} descriptors, {} bytes of text ring",
        written.len(),
        ring.count_bits,
        1u64 << ring.size_bits
    );
    Ok(())
}
