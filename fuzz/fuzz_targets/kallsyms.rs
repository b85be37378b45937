//! The kallsyms decoder (symbols without a vmlinux): a small kernel image's kallsyms tables and
//! VMCOREINFO mutated by the fuzzer, read through a fake PhysMem (`synth::kallsyms::fuzz_kallsyms`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modcrash::synth::kallsyms::fuzz_kallsyms(data);
});
