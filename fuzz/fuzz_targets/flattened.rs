//! Flattened-format index and the kdump reader on top of it.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/exercise.rs"]
mod exercise;

fuzz_target!(|data: &[u8]| {
    exercise::fuzz_one(b"makedumpfile\0\0\0\0", data);
});
