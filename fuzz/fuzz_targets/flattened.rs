//! Flattened-format index and the kdump reader on top of it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modcrash::synth::fuzz_one(b"makedumpfile\0\0\0\0", data);
});
