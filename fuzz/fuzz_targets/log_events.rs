//! Crash events from kernel log text (src/analysis/events). The input is log text: records are
//! separated by 0x1e (a record may hold '\n'), and the same text is also read as `dmesg` output.
//! Seeds: the real excerpts in testdata/logs/ (`cp testdata/logs/*.dmesg fuzz/corpus/log_events/`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use modcrash::analysis::events::{dmesg_records, parse, LogLine};

fn check(records: &[LogLine<'_>]) {
    let events = parse(records);
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    for e in &events {
        assert!(!e.seqs.is_empty(), "an event spans at least its header");
        assert!(e.seqs.windows(2).all(|w| w[0] < w[1]), "seqs ascending");
        assert!(e.seqs.iter().all(|s| seqs.binary_search(s).is_ok()), "seqs are input records");
    }
    let lines: usize = records.iter().map(|r| r.text.split('\n').count()).sum();
    assert!(events.len() <= lines);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let records: Vec<LogLine<'_>> = text
        .split('\x1e')
        .enumerate()
        .map(|(i, t)| LogLine { seq: i as u64 * 3, text: t })
        .collect();
    check(&records);
    check(&dmesg_records(&text));
});
