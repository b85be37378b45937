//! The triage summary as text, at the top of the default report.

use crate::analysis::triage::{Evidence, EvidenceKind, PageCheck, SuspectState, Triage};
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

/// Evidence with the same kind and detail once, with the events it was seen in (first-seen order).
fn grouped(evidence: &[Evidence]) -> Vec<(&str, Vec<usize>)> {
    let mut out: Vec<(EvidenceKind, &str, Vec<usize>)> = Vec::new();
    for e in evidence {
        let at = out
            .iter()
            .position(|(k, d, _)| *k == e.kind && *d == e.detail);
        let i = at.unwrap_or_else(|| {
            out.push((e.kind, &e.detail, Vec::new()));
            out.len() - 1
        });
        if let Some(ev) = e.event {
            out[i].2.push(ev);
        }
    }
    out.into_iter().map(|(_, d, ev)| (d, ev)).collect()
}

fn in_events(events: &[usize]) -> String {
    let list: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    match events.len() {
        0 => String::new(),
        1 => format!(" (event {})", list[0]),
        _ => format!(" (events {})", list.join(", ")),
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
            for (detail, events) in grouped(&s.evidence) {
                let _ = writeln!(out, "    - {detail}{}", in_events(&events));
            }
        }
    }
    out
}
