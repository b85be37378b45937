//! kdump-compressed parser (header, sub-header, bitmaps, descriptors, every codec).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/exercise.rs"]
mod exercise;

fuzz_target!(|data: &[u8]| {
    exercise::fuzz_one(b"KDUMP   ", data);
});
