//! The VMCOREINFO note parser: arbitrary bytes as the note's text, every typed accessor on every
//! key, and the address-translation setup that reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use modcrash::dump::vmcoreinfo::VmcoreInfo;

fuzz_target!(|data: &[u8]| {
    let vi = VmcoreInfo::parse(data);
    let _ = (vi.osrelease(), vi.build_id(), vi.page_size(), vi.kernel_offset(), vi.crash_time());
    for (k, _) in vi.entries() {
        let name = k
            .split_once('(')
            .map(|(_, rest)| rest.trim_end_matches(')'))
            .unwrap_or(k);
        let _ = (
            vi.symbol(name),
            vi.number(name),
            vi.size(name),
            vi.offset(name),
            vi.length(name),
        );
    }
    let _ = modcrash::translate::X86_64::from_vmcoreinfo(&vi, None);
});
