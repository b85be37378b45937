//! kdump-compressed parser (header, sub-header, bitmaps, descriptors, every codec).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modcrash::synth::fuzz_one(b"KDUMP   ", data);
});
