//! ELF64 vmcore parser. Seeds: `cargo run --example fuzz_seeds` (writes fuzz/corpus/*).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/exercise.rs"]
mod exercise;

fuzz_target!(|data: &[u8]| {
    exercise::fuzz_one(b"\x7fELF", data);
});
