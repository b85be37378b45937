//! ELF64 vmcore parser. Seeds: `cargo run --example fuzz_seeds` (writes fuzz/corpus/*).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modcrash::synth::fuzz_one(b"\x7fELF", data);
});
