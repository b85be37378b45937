//! The kernel log as `dmesg` prints it.
//!
//! The kernel's syslog interface (`record_print_text()` in kernel/printk/printk.c, what busybox
//! `dmesg` reads) prefixes every line of a record, so a record holding newlines becomes several
//! lines with the same prefix, and a text ending in a newline gives a last line that is just the
//! prefix. Default: `[    1.234567] text`, as busybox and util-linux `dmesg` print it. Raw:
//! `<6>[    1.234567][    T1] text`: the `<N>` priority (`facility << 3 | level`, what `dmesg -r`
//! shows) and the caller as a CONFIG_PRINTK_CALLER kernel prints it. The text's bytes are
//! written as they are (no escaping, no wrapping, no truncation).
//!
//! JSON: JSON Lines, one object per record (the fields of [`LogRecord`]), oldest first.

use crate::analysis::log::{Log, LogRecord};

/// `[%5lu.%06lu]`, as print_time() writes it.
fn time(ts_nsec: u64) -> String {
    format!(
        "[{:5}.{:06}]",
        ts_nsec / 1_000_000_000,
        (ts_nsec % 1_000_000_000) / 1000
    )
}

/// info_print_prefix(): `<N>` (raw), the time (when the kernel printed it), the caller (raw),
/// and a space after either of the last two.
fn prefix(r: &LogRecord, raw: bool, with_time: bool) -> String {
    let mut p = String::new();
    if raw {
        if let Some(n) = r.priority() {
            p.push_str(&format!("<{n}>"));
        }
    }
    if with_time {
        p.push_str(&time(r.ts_nsec));
    }
    if raw {
        p.push_str(&format!("[{:>6}]", r.caller));
    }
    if raw || with_time {
        p.push(' ');
    }
    p
}

/// One record's lines, each with the prefix, each ending in a newline. `with_time`: the
/// kernel's `printk_time` ([`Log::printk_time`]).
pub fn record_lines(r: &LogRecord, raw: bool, with_time: bool, out: &mut Vec<u8>) {
    let p = prefix(r, raw, with_time);
    for line in r.text.split(|&b| b == b'\n') {
        out.extend_from_slice(p.as_bytes());
        out.extend_from_slice(line);
        out.push(b'\n');
    }
}

/// The whole log, as `dmesg` (or `dmesg -r` with `raw`) prints it.
pub fn dmesg(log: &Log, raw: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(log.records.iter().map(|r| r.text.len() + 32).sum());
    for r in &log.records {
        record_lines(r, raw, log.printk_time, &mut out);
    }
    out
}

/// JSON Lines: one record per line.
pub fn json_lines(log: &Log) -> String {
    let mut s = String::new();
    for r in &log.records {
        match serde_json::to_string(r) {
            Ok(j) => s.push_str(&j),
            Err(e) => s.push_str(&format!(
                "{{\"seq\": {}, \"error\": {:?}}}",
                r.seq,
                e.to_string()
            )),
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::printk::DescState;

    fn rec(text: &str, ts: u64) -> LogRecord {
        LogRecord {
            seq: 0,
            ts_nsec: ts,
            level: Some(6),
            facility: Some(0),
            flags: Some(2),
            caller: "T1".into(),
            caller_id: 1,
            text: text.as_bytes().to_vec(),
            dev_info: None,
            state: DescState::Finalized,
            complete: true,
        }
    }

    fn lines(r: &LogRecord, raw: bool) -> String {
        let mut v = Vec::new();
        record_lines(r, raw, true, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn prefixes_every_line() {
        assert_eq!(
            lines(&rec("Linux version", 0), false),
            "[    0.000000] Linux version\n"
        );
        assert_eq!(
            lines(&rec("a\nb", 1_234_567_891), false),
            "[    1.234567] a\n[    1.234567] b\n"
        );
        // "a\n\n" is stored as "a\n": the kernel prints an empty prefixed line after it.
        assert_eq!(
            lines(&rec("a\n", 5_000), false),
            "[    0.000005] a\n[    0.000005] \n"
        );
        assert_eq!(lines(&rec("", 0), false), "[    0.000000] \n");
        assert_eq!(
            lines(&rec("x", 123_456_000_000_000), false),
            "[123456.000000] x\n"
        );
    }

    #[test]
    fn raw_has_priority_and_caller() {
        let mut r = rec("hi", 2_000_000_000);
        r.facility = Some(1);
        r.level = Some(4);
        assert_eq!(lines(&r, true), "<12>[    2.000000][    T1] hi\n");
        r.caller = "C0".into();
        assert_eq!(lines(&r, true), "<12>[    2.000000][    C0] hi\n");
        let mut v = Vec::new();
        record_lines(&r, true, false, &mut v);
        assert_eq!(v, b"<12>[    C0] hi\n");
        v.clear();
        record_lines(&r, false, false, &mut v);
        assert_eq!(v, b"hi\n");
    }
}
