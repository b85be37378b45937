//! The triage summary as text, at the top of the default report.

use crate::analysis::triage::{PageCheck, SuspectState, Triage};
use std::fmt::Write;

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "agrees",
        Some(false) => "DIFFERS",
        None => "not printed",
    }
}

fn page_line(out: &mut String, c: &PageCheck) {
    match &c.page {
        Some(p) => {
            let _ = writeln!(
                out,
                "  pfn {:#x} (event {}): struct page at {:#x}: flags {}, refcount {}, mapcount {}, mapping {:#x}, index {:#x}{}",
                c.pfn,
                c.event,
                p.address,
                p.flags_text,
                p.refcount,
                p.mapcount.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
                p.mapping,
                p.index,
                p.page_type.as_deref().map(|t| format!(", type {t}")).unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "      the report's mapping: {}; its flags: {}",
                yes_no(c.mapping_agrees),
                yes_no(c.flags_agree)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  pfn {:#x} (event {}): unreadable: {}",
                c.pfn,
                c.event,
                c.error.as_deref().unwrap_or("?")
            );
        }
    }
}

/// The summary; `log_note` says where the log came from (or why there is none).
pub fn render(t: &Triage, log_note: &str) -> String {
    let mut out = String::new();
    if t.happened.is_empty() {
        let _ = writeln!(
            out,
            "What happened: no crash report in the kernel log ({log_note})"
        );
        return out;
    }
    let _ = writeln!(out, "What happened (kernel log: {log_note})");
    for h in &t.happened {
        let reason = h
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  [{}] {}{reason}", h.event, h.headline);
    }
    if let Some(p) = &t.panic {
        let _ = writeln!(out, "  panic: {p}");
    }
    if !t.taints.is_empty() {
        let letters: Vec<String> = t
            .taints
            .iter()
            .map(|b| {
                let l = b
                    .letter
                    .map(String::from)
                    .unwrap_or_else(|| format!("#{}", b.bit));
                match &b.desc {
                    Some(d) => format!("{l} ({d})"),
                    None => l,
                }
            })
            .collect();
        let _ = writeln!(out, "Taints that matter: {}", letters.join(", "));
    }
    if !t.pages.is_empty() {
        let _ = writeln!(out, "Pages named by the reports, read from the dump");
        for c in &t.pages {
            page_line(&mut out, c);
        }
    }
    if t.suspects.is_empty() {
        let _ = writeln!(
            out,
            "Suspects: none (no module in the reports or the tracking lists)"
        );
    } else {
        let _ = writeln!(out, "Suspects");
        for s in &t.suspects {
            let state = match s.state {
                SuspectState::Loaded => "loaded",
                SuspectState::Loading => "loading",
                SuspectState::Going => "unloading",
                SuspectState::Unloaded => "unloaded",
                SuspectState::NotLoaded => "not loaded",
            };
            let taints = s
                .taints
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| format!(" ({})", t.trim_matches(['(', ')'])))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}{taints}: {state}", s.module);
            for e in &s.evidence {
                let _ = writeln!(out, "    - {}", e.detail);
            }
        }
    }
    out
}
