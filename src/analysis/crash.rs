//! What broke: the kernel log read from the dump, the crash reports in it, and the triage that
//! ties them to the modules of the report. Joins `log`, `events` and `triage`; reads nothing
//! itself but through the kernel layer.

use super::events::{self, Event, LogLine};
use super::log::{read_log_with, Log};
use super::model::{Report, Warning, WarningKind};
use super::triage::{triage, Triage};
use crate::kernel::page::Pages;
use crate::kernel::Kernel;
use crate::symbols::Vmlinux;
use serde::Serialize;

/// The kernel log in the report: where it came from and how complete it is (the records
/// themselves are `modcrash log`'s, or `--kernel-text dmesg`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LogSummary {
    /// Why there is no log (the error), when it could not be read at all.
    pub error: Option<String>,
    /// "vmcoreinfo" or "vmcoreinfo+dwarf".
    pub layout_source: Option<&'static str>,
    /// Readable records.
    pub records: u64,
    /// Sequence number of the oldest record still in the ring.
    pub first_seq: Option<u64>,
    /// One past the newest record.
    pub next_seq: Option<u64>,
    /// Records overwritten when the ring wrapped (before `first_seq`).
    pub overwritten: u64,
    /// Records in the ring that could not be read (warnings say which).
    pub lost: u64,
    /// Records the writer had not finished when the kernel stopped (their text may be short).
    pub unfinished: u64,
    pub printk_time: Option<bool>,
    /// Facts that are not damage (the ring wrapped; keys from DWARF).
    pub notes: Vec<String>,
}

impl LogSummary {
    fn of(log: &Log) -> LogSummary {
        LogSummary {
            error: None,
            layout_source: Some(log.layout_source),
            records: log.records.len() as u64,
            first_seq: log.first_seq,
            next_seq: log.next_seq,
            overwritten: log.overwritten,
            lost: log.lost,
            unfinished: log.records.iter().filter(|r| !r.complete).count() as u64,
            printk_time: Some(log.printk_time),
            notes: log.notes.clone(),
        }
    }

    fn unreadable(error: String) -> LogSummary {
        LogSummary {
            error: Some(error),
            layout_source: None,
            records: 0,
            first_seq: None,
            next_seq: None,
            overwritten: 0,
            lost: 0,
            unfinished: 0,
            printk_time: None,
            notes: Vec::new(),
        }
    }

    /// One line for the top of the text report: where the log came from.
    pub fn note(&self) -> String {
        if let Some(e) = &self.error {
            return format!("unreadable: {e}");
        }
        let mut s = format!("{} records", self.records);
        if let (Some(f), Some(n)) = (self.first_seq, self.next_seq) {
            s.push_str(&format!(", seq {f}..{}", n.saturating_sub(1)));
        }
        if self.overwritten > 0 {
            s.push_str(&format!(", {} oldest overwritten", self.overwritten));
        }
        if self.lost > 0 {
            s.push_str(&format!(", {} unreadable", self.lost));
        }
        if self.unfinished > 0 {
            s.push_str(&format!(", {} unfinished", self.unfinished));
        }
        s
    }
}

/// The log, its events and the triage, for `report`.
pub struct CrashView {
    pub log: Option<Log>,
    pub summary: LogSummary,
    pub events: Vec<Event>,
    pub triage: Triage,
}

/// Read the log (with `vmlinux` for layout keys VMCOREINFO lacks, when it is the dump's kernel),
/// parse its crash reports and build the triage over `r`. Problems become warnings.
pub fn crash_view(
    k: &Kernel<'_>,
    vmlinux: Option<&Vmlinux>,
    r: &Report,
    warnings: &mut Vec<Warning>,
) -> CrashView {
    // Without a vmlinux the kernel's symbols are the dump's kallsyms, already decoded.
    let printk_time_at = match vmlinux {
        None => k.sym("printk_time").ok().map(|a| (a.0, k.symbols().kind())),
        Some(_) => None,
    };
    let (log, summary) = match read_log_with(k.phys(), Some(k.vmcoreinfo), vmlinux, printk_time_at)
    {
        Ok(mut log) => {
            warnings.append(&mut log.warnings);
            let s = LogSummary::of(&log);
            (Some(log), s)
        }
        Err(e) => {
            warnings.push(Warning::new(
                WarningKind::Log,
                "kernel log",
                format!("{e}; the report has no crash events"),
            ));
            (None, LogSummary::unreadable(e.to_string()))
        }
    };
    let texts: Vec<(u64, String)> = log
        .iter()
        .flat_map(|l| &l.records)
        .map(|rec| (rec.seq, String::from_utf8_lossy(&rec.text).into_owned()))
        .collect();
    let lines: Vec<LogLine<'_>> = texts
        .iter()
        .map(|(seq, text)| LogLine { seq: *seq, text })
        .collect();
    let events = events::parse(&lines);
    let pages = if events.iter().any(|e| e.pfn.is_some()) {
        Some(Pages::new(k).map_err(|e| e.to_string()))
    } else {
        None
    };
    let triage = triage(r, &events, |pfn| match &pages {
        Some(Ok(p)) => p.read(pfn).map_err(|e| e.to_string()),
        Some(Err(e)) => Err(e.clone()),
        None => Err("struct page not resolved".to_string()),
    });
    CrashView {
        log,
        summary,
        events,
        triage,
    }
}
