//! Human output: tables that answer the triage question at a glance.

use crate::analysis::{
    ModStats, ModtrackReport, ModuleState, Report, Tracked, UnloadTracking, UnloadedTainted,
    WarningKind,
};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::fmt::Write;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
}

fn bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {} ({n} B)", U[i])
    }
}

pub fn render(r: &Report) -> String {
    // A damaged dump file above all (every answer below may be partial), then what broke and
    // the suspects: the question the report is opened for.
    let mut out = String::new();
    for w in r.warnings.iter().filter(|w| w.kind == WarningKind::Dump) {
        let _ = writeln!(out, "DUMP DAMAGED: {}\n", w.message);
    }
    out += &super::triage::render(&r.triage, &r.log.note());
    out.push('\n');
    let id = &r.identity;
    let _ = writeln!(
        out,
        "Kernel    {}",
        id.release.as_deref().unwrap_or("(unknown release)")
    );
    let _ = writeln!(
        out,
        "Build-ID  {}",
        id.build_id.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        out,
        "KASLR     offset {:#x}, {}-level paging, direct map at {}",
        id.kaslr_offset.unwrap_or(0),
        id.paging_levels,
        id.page_offset_base
            .map(|v| format!("{v:#x}"))
            .unwrap_or_else(|| "?".into())
    );
    let _ = writeln!(out, "Symbols   {}", id.debug_source);
    if let Some(t) = id.crash_time {
        let _ = writeln!(out, "Crashed   at {}", super::time::crash_time(t));
    }
    match &r.taint {
        Some(t) if t.mask == 0 => {
            let _ = writeln!(out, "Taint     none (0)");
        }
        Some(t) => {
            let _ = writeln!(out, "Taint     {} ({:#x} = {})", t.letters, t.mask, t.mask);
            for b in &t.bits {
                let letter = b
                    .letter
                    .map(String::from)
                    .unwrap_or_else(|| format!("bit {}", b.bit));
                let _ = writeln!(
                    out,
                    "          {letter:>6}  {}",
                    b.desc.as_deref().unwrap_or("")
                );
            }
        }
        None => {
            let _ = writeln!(out, "Taint     (unreadable)");
        }
    }

    let _ = writeln!(
        out,
        "\nLoaded modules ({}, {} tainted)",
        r.modules.len(),
        r.modules.iter().filter(|m| m.taints != 0).count()
    );
    let mut t = table(&[
        "Module",
        "Taints",
        "State",
        "Size",
        "Refs",
        "Base",
        "Version or srcversion",
    ]);
    for m in &r.modules {
        let state = match m.state {
            ModuleState::Live => "live".to_string(),
            ModuleState::Coming => "loading".into(),
            ModuleState::Going => "unloading".into(),
            ModuleState::Unformed => "unformed".into(),
            ModuleState::Unknown(v) => format!("? ({v})"),
        };
        t.add_row(vec![
            Cell::new(&m.name),
            Cell::new(&m.taint_letters),
            Cell::new(state),
            Cell::new(m.size),
            Cell::new(m.refcount),
            Cell::new(format!("{:#x}", m.base)),
            Cell::new(
                m.version
                    .as_deref()
                    .or(m.srcversion.as_deref())
                    .unwrap_or(""),
            ),
        ]);
    }
    let _ = writeln!(out, "{t}");

    let _ = write!(out, "\nUnloaded tainted modules");
    match &r.unloaded_tainted {
        Tracked::Kernel(l) | Tracked::Modtrack(l) => {
            unloaded_list(&mut out, l, source(&r.unloaded_tainted))
        }
        Tracked::NotTracked { reason } => {
            let _ = writeln!(out, ": {reason}");
        }
        Tracked::Unreadable { error } => {
            let _ = writeln!(out, ": unreadable: {error}");
        }
    }
    if let Some(l) = &r.last_unloaded {
        if !l.name.is_empty() {
            let _ = writeln!(
                out,
                "Last unloaded module: {}{}",
                l.name,
                l.taints.as_deref().unwrap_or("")
            );
        }
    }

    let _ = write!(out, "\nModule load statistics");
    match &r.stats {
        Tracked::Kernel(s) | Tracked::Modtrack(s) => stats(&mut out, s, source(&r.stats)),
        Tracked::NotTracked { reason } => {
            let _ = writeln!(out, ": {reason}");
        }
        Tracked::Unreadable { error } => {
            let _ = writeln!(out, ": unreadable: {error}");
        }
    }
    if let Some(m) = &r.modtrack {
        modtrack(&mut out, r, m);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings ({}):", r.warnings.len());
        for w in &r.warnings {
            let _ = writeln!(out, "  {}: {}", w.context, w.message);
        }
    }
    out
}

fn source<T>(t: &Tracked<T>) -> &'static str {
    match t {
        Tracked::Kernel(_) => "the kernel",
        _ => "modtrack",
    }
}

fn unloaded_list(out: &mut String, l: &[UnloadedTainted], src: &str) {
    if l.is_empty() {
        let _ = writeln!(out, " (from {src}): none recorded");
    } else {
        let _ = writeln!(out, " (from {src}, newest first)");
        let mut t = table(&["Module", "Taints", "Unloads"]);
        for e in l {
            t.add_row(vec![
                Cell::new(&e.name),
                Cell::new(&e.taint_letters),
                Cell::new(e.count),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
}

fn stats(out: &mut String, s: &ModStats, src: &str) {
    let _ = writeln!(out, " (from {src})");
    // A counter the source did not collect prints as "n/a", not as a measured 0.
    let v = |name: &str, v: u64| {
        if s.unavailable.iter().any(|u| u == name) {
            "n/a".to_string()
        } else {
            v.to_string()
        }
    };
    let failed = s.failed_kreads + s.failed_decompress + s.failed_becoming + s.failed_load_modules;
    let _ = writeln!(
        out,
        "  {} modules loaded since {}, {} loads failed",
        v("modcount", s.modcount),
        if src == "modtrack" {
            "modtrack was loaded"
        } else {
            "boot"
        },
        failed
    );
    let _ = writeln!(
        out,
        "  failed on: kread {}, decompress {}, becoming {}, load {}",
        v("failed_kreads", s.failed_kreads),
        v("failed_decompress", s.failed_decompress),
        v("failed_becoming", s.failed_becoming),
        v("failed_load_modules", s.failed_load_modules)
    );
    let _ = writeln!(
        out,
        "  memory wasted by failed loads: {}",
        bytes(s.wasted_bytes())
    );
    let _ = writeln!(
        out,
        "  total module size {}, text {}",
        bytes(s.total_mod_size),
        bytes(s.total_text_size)
    );
    if !s.unavailable.is_empty() {
        let _ = writeln!(
            out,
            "  not collected by {src}: {}",
            s.unavailable.join(", ")
        );
    }
    if !s.dup_failed.is_empty() {
        let _ = writeln!(out, "Duplicate failed loads (from {src}, newest first)");
        let mut t = table(&["Module", "Times", "Reason"]);
        for d in &s.dup_failed {
            t.add_row(vec![
                Cell::new(&d.name),
                Cell::new(d.count),
                Cell::new(d.reason()),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
}

fn modtrack(out: &mut String, r: &Report, m: &ModtrackReport) {
    let _ = writeln!(
        out,
        "\nmodtrack (tracker/): layout version {}, state at {:#x} (found via {}), loaded into {}",
        m.layout_version, m.state_address, m.found_via, m.release
    );
    let _ = writeln!(
        out,
        "  attached: {} (flags {:#x})",
        if m.flag_names.is_empty() {
            "nothing".into()
        } else {
            m.flag_names.join(" ")
        },
        m.flags
    );
    let unloads = match m.unload_tracking {
        UnloadTracking::Exact => "exact (module_free tracepoint)",
        UnloadTracking::Approximate => "approximate (GOING notifier, no tracepoints)",
        UnloadTracking::None => "not tracked (nothing attached)",
    };
    let _ = writeln!(out, "  unloads: {unloads}");
    let _ = writeln!(
        out,
        "  entries dropped (pool full): {} unloaded (capacity {}), {} duplicate (capacity {})",
        m.unloaded_dropped, m.unloaded_capacity, m.dup_failed_dropped, m.dup_failed_capacity
    );
    let _ = writeln!(
        out,
        "  loads not classified: {}, probe misses: {}",
        m.untracked_loads, m.probe_missed
    );
    if m.update_in_progress {
        let _ = writeln!(
            out,
            "  UPDATE IN PROGRESS at the crash (seq {} is odd): one count may be one behind",
            m.seq
        );
    }
    // The kernel tracks too: show modtrack's own view beside it.
    if matches!(r.unloaded_tainted, Tracked::Kernel(_)) {
        let _ = write!(out, "modtrack's unloaded tainted modules");
        unloaded_list(out, &m.unloaded_tainted, "modtrack");
    }
    if matches!(r.stats, Tracked::Kernel(_)) {
        let _ = write!(out, "modtrack's module load statistics");
        stats(out, &m.stats, "modtrack");
    }
}
