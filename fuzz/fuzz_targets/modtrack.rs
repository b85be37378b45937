//! The modtrack state decoder (tracker/LAYOUT.md): arbitrary bytes as a `modtrack_state`
//! object, decoded onto the report and printed as modtrack's own files.
#![no_main]
use libfuzzer_sys::fuzz_target;
use modcrash::output::kernel_text;

fuzz_target!(|data: &[u8]| {
    if let Ok((r, _warnings)) = modcrash::analysis::modtrack::decode_report(data) {
        let _ = kernel_text::modtrack_unloaded_record(&r.unloaded_tainted);
        let _ = kernel_text::stats(&r.stats);
        let _ = serde_json::to_string(&r);
    }
});
