//! printk ringbuffer decoder (`modcrash log`): a synthetic ring's memory and VMCOREINFO mutated
//! by the fuzzer, read through a fake PhysMem (`synth::printk::fuzz_ring`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modcrash::synth::printk::fuzz_ring(data);
});
