//! Times as people read them: VMCOREINFO's CRASHTIME (seconds since the epoch, UTC) as an
//! ISO 8601 date-time, with the raw value kept for scripts that grep for it.

use std::time::{Duration, UNIX_EPOCH};

/// `2026-12-01T12:34:51Z (CRASHTIME=1796128491)`; a value before the epoch or past what the
/// date format reaches (year 9999) keeps only the raw number.
pub fn crash_time(secs: i64) -> String {
    let date = u64::try_from(secs)
        .ok()
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
        .filter(|t| {
            t.duration_since(UNIX_EPOCH)
                .is_ok_and(|d| d.as_secs() < 253_402_300_800) // 10000-01-01
        })
        .map(|t| humantime::format_rfc3339_seconds(t).to_string());
    match date {
        Some(d) => format!("{d} (CRASHTIME={secs})"),
        None => format!("CRASHTIME={secs} (seconds since the epoch, not a date)"),
    }
}

#[cfg(test)]
mod tests {
    use super::crash_time;

    #[test]
    fn dates_in_utc_and_out_of_range_values_kept_raw() {
        // date -u -d @1700000000: Tue Nov 14 22:13:20 UTC 2023.
        assert_eq!(
            crash_time(1_700_000_000),
            "2023-11-14T22:13:20Z (CRASHTIME=1700000000)"
        );
        assert_eq!(crash_time(0), "1970-01-01T00:00:00Z (CRASHTIME=0)");
        assert!(crash_time(-5).starts_with("CRASHTIME=-5 "));
        assert!(crash_time(i64::MAX).starts_with("CRASHTIME="));
    }
}
