//! The kernel's own text formats, byte for byte, so a dump can be diffed against a live system:
//! `/proc/modules`, `/proc/sys/kernel/tainted`, debugfs `modules/stats` and
//! `modules/unloaded_tainted`, and the `Modules linked in:` lines of print_modules().

use crate::analysis::{
    LastUnloaded, LoadedModule, ModStats, ModuleState, Report, Tracked, UnloadedTainted,
};
use std::fmt::Write;

/// `/proc/sys/kernel/tainted`: the mask in decimal.
pub fn tainted(mask: u64) -> String {
    format!("{mask}\n")
}

/// module_flags(mod, buf, show_state): "(letters[-+])", or "" when untainted and neither coming
/// nor going.
pub fn module_flags(m: &LoadedModule, show_state: bool) -> String {
    let going = m.state == ModuleState::Going;
    let coming = m.state == ModuleState::Coming;
    if m.taints == 0 && !show_state {
        return String::new();
    }
    if m.taints == 0 && !going && !coming {
        return String::new();
    }
    let mut s = String::from("(");
    s += &m.taint_letters;
    if going && show_state {
        s.push('-');
    }
    if coming && show_state {
        s.push('+');
    }
    s.push(')');
    s
}

/// `/proc/modules` (kernel/module/procfs.c m_show), modules in list order, unformed ones skipped.
/// Addresses are printed as root sees them (kptr_restrict permitting).
pub fn proc_modules(mods: &[LoadedModule]) -> String {
    let mut out = String::new();
    for m in mods.iter().filter(|m| m.state != ModuleState::Unformed) {
        let _ = write!(out, "{} {} {} ", m.name, m.size as u32, m.refcount as i32);
        if m.used_by.is_empty() && !m.permanent {
            out.push('-');
        }
        for u in &m.used_by {
            let _ = write!(out, "{u},");
        }
        if m.permanent {
            out.push_str("[permanent],");
        }
        let state = match m.state {
            ModuleState::Going => "Unloading",
            ModuleState::Coming => "Loading",
            _ => "Live",
        };
        let _ = write!(out, " {state} 0x{:016x}", m.base);
        if m.taints != 0 {
            let _ = write!(out, " {}", module_flags(m, true));
        }
        out.push('\n');
    }
    out
}

/// debugfs `modules/unloaded_tainted`: `"%s (%s) %llu\n"` per entry, newest first.
pub fn unloaded_tainted(list: &[UnloadedTainted]) -> String {
    list.iter()
        .map(|e| format!("{} ({}) {}\n", e.name, e.taint_letters, e.count))
        .collect()
}

fn div_round_up(n: u64, d: u64) -> u64 {
    n.div_ceil(d)
}

/// debugfs `modules/stats` (kernel/module/stats.c read_file_mod_stats, 6.4 .. 7.2), including
/// its buffer limit: the text is cut at MAX_PREAMBLE + min(failed loads, 112) * 64 - 1 bytes,
/// and at most 111 duplicate rows are printed.
pub fn stats(s: &ModStats) -> String {
    // atomic_t counters are printed with %u of an int: keep their low 32 bits.
    let c = |v: u64| v as u32;
    let mut out = String::new();
    let count_lines = [
        ("Mods ever loaded", c(s.modcount)),
        ("Mods failed on kread", c(s.failed_kreads)),
        ("Mods failed on decompress", c(s.failed_decompress)),
        ("Mods failed on becoming", c(s.failed_becoming)),
        ("Mods failed on load", c(s.failed_load_modules)),
    ];
    for (label, v) in count_lines {
        let _ = writeln!(out, "{label:>25}\t{v}");
    }
    let byte_lines = [
        ("Total module size", s.total_mod_size),
        ("Total mod text size", s.total_text_size),
        ("Failed kread bytes", s.invalid_kread_bytes),
        ("Failed decompress bytes", s.invalid_decompress_bytes),
        ("Failed becoming bytes", s.invalid_becoming_bytes),
        ("Failed kmod bytes", s.invalid_mod_bytes),
        ("Virtual mem wasted bytes", s.wasted_bytes()),
    ];
    for (label, v) in byte_lines {
        let _ = writeln!(out, "{label:>25}\t{v}");
    }
    let live = u64::from(c(s.modcount));
    let averages = [
        ("Average mod size", live, s.total_mod_size),
        ("Average mod text size", live, s.total_text_size),
        (
            "Avg fail kread bytes",
            u64::from(c(s.failed_kreads)),
            s.invalid_kread_bytes,
        ),
        (
            "Avg fail becoming bytes",
            u64::from(c(s.failed_becoming)),
            s.invalid_becoming_bytes,
        ),
        (
            "Avg fail decomp bytes",
            u64::from(c(s.failed_decompress)),
            s.invalid_decompress_bytes,
        ),
        (
            "Average fail load bytes",
            u64::from(c(s.failed_load_modules)),
            s.invalid_mod_bytes,
        ),
    ];
    for (label, count, bytes) in averages {
        if count != 0 && bytes != 0 {
            let _ = writeln!(out, "{label:>25}\t{}", div_round_up(bytes, count));
        }
    }
    if !s.dup_failed.is_empty() {
        out.push_str("Duplicate failed modules:\n");
        let _ = writeln!(
            out,
            "{:>25}\t{:>15}\t{:>25}",
            "Module-name", "How-many-times", "Reason"
        );
        for d in s.dup_failed.iter().take(111) {
            let _ = writeln!(out, "{:>25}\t{:>15}\t{:>25}", d.name, d.count, d.reason());
        }
    }
    let failed = c(s.failed_load_modules).wrapping_add(c(s.failed_becoming));
    let size = 1024 + (failed.min(112) as usize) * 64;
    if out.len() > size - 1 {
        let mut cut = size - 1;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// print_modules(): `Modules linked in:` with each module's flags, then (5.19+, when any were
/// recorded) a second record `Unloaded tainted modules:`, and ` [last unloaded: …]` at the end
/// of the last line. Returns the lines without the log level.
pub fn print_modules(
    mods: &[LoadedModule],
    unloaded: Option<&[UnloadedTainted]>,
    last: Option<&LastUnloaded>,
) -> String {
    let mut out = String::from("Modules linked in:");
    for m in mods.iter().filter(|m| m.state != ModuleState::Unformed) {
        let _ = write!(out, " {}{}", m.name, module_flags(m, true));
    }
    if let Some(list) = unloaded.filter(|l| !l.is_empty()) {
        out.push_str("\nUnloaded tainted modules:");
        for e in list {
            let _ = write!(out, " {}({}):{}", e.name, e.taint_letters, e.count);
        }
    }
    if let Some(l) = last.filter(|l| !l.name.is_empty()) {
        let _ = write!(
            out,
            " [last unloaded: {}{}]",
            l.name,
            l.taints.as_deref().unwrap_or("")
        );
    }
    out.push('\n');
    out
}

/// modtrack's oops/panic record (tracker/modtrack_print.c): `Unloaded tainted modules:` then
/// `" %.56s(%s):%llu"` per entry, a new record started whenever the next entry would not fit in
/// its 896-byte line buffer. Empty when modtrack recorded nothing (it prints nothing then).
pub fn modtrack_unloaded_record(list: &[UnloadedTainted]) -> String {
    const LINE_MAX: usize = 896;
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut line = String::from("Unloaded tainted modules:");
    for e in list {
        let name: String =
            String::from_utf8_lossy(&e.name.as_bytes()[..e.name.len().min(56)]).into_owned();
        let item = format!(" {name}({}):{}", e.taint_letters, e.count);
        if line.len() + item.len() >= LINE_MAX {
            out += &line;
            out.push('\n');
            line.clear();
        }
        line += &item;
    }
    out += &line;
    out.push('\n');
    out
}

/// What an oops on this system logs about modules: print_modules() (with the kernel's own
/// `Unloaded tainted modules:` record where it tracks them), then modtrack's record from its die
/// notifier when modtrack is loaded and attached to unloads.
pub fn oops_modules(r: &Report) -> String {
    let kernel_list = match &r.unloaded_tainted {
        Tracked::Kernel(l) => Some(l.as_slice()),
        _ => None,
    };
    let mut out = print_modules(&r.modules, kernel_list, r.last_unloaded.as_ref());
    if let Some(m) = r
        .modtrack
        .as_ref()
        .filter(|m| m.unload_tracking != crate::analysis::UnloadTracking::None)
    {
        out += &modtrack_unloaded_record(&m.unloaded_tainted);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::DupFailed;

    fn module(name: &str, taints: u64, letters: &str, state: ModuleState) -> LoadedModule {
        LoadedModule {
            name: name.into(),
            address: 0,
            state,
            size: 16384,
            refcount: 0,
            used_by: vec![],
            permanent: false,
            base: 0xffffffffc0223000,
            taints,
            taint_letters: letters.into(),
            version: None,
            srcversion: None,
        }
    }

    #[test]
    fn proc_modules_lines() {
        let mut a = module("modcrash_stay", 0x3000, "OE", ModuleState::Live);
        a.used_by = vec!["x".into()];
        let b = module("crc7", 0, "", ModuleState::Live);
        let c = module("going", 0, "", ModuleState::Going);
        assert_eq!(
            proc_modules(&[a, b, c]),
            "modcrash_stay 16384 0 x, Live 0xffffffffc0223000 (OE)\ncrc7 16384 0 - Live 0xffffffffc0223000\n\
going 16384 0 - Unloading 0xffffffffc0223000\n"
        );
    }

    #[test]
    fn flags_show_state() {
        let c = module("m", 0x1000, "O", ModuleState::Coming);
        assert_eq!(module_flags(&c, true), "(O+)");
        assert_eq!(module_flags(&c, false), "(O)");
        let g = module("m", 0, "", ModuleState::Going);
        assert_eq!(module_flags(&g, true), "(-)");
        assert_eq!(module_flags(&g, false), "");
    }

    #[test]
    fn stats_text_matches_the_reference_sample() {
        // The stats sample measured on a 6.12 guest after two load/unload rounds
        // (shared/reference/upstream-kernel-config.md; "%25s" pads every label to 25 columns).
        let s = ModStats {
            modcount: 2,
            total_mod_size: 40960,
            total_text_size: 16384,
            ..Default::default()
        };
        let want = [
            "         Mods ever loaded\t2",
            "     Mods failed on kread\t0",
            "Mods failed on decompress\t0",
            "  Mods failed on becoming\t0",
            "      Mods failed on load\t0",
            "        Total module size\t40960",
            "      Total mod text size\t16384",
            "       Failed kread bytes\t0",
            "  Failed decompress bytes\t0",
            "    Failed becoming bytes\t0",
            "        Failed kmod bytes\t0",
            " Virtual mem wasted bytes\t0",
            "         Average mod size\t20480",
            "    Average mod text size\t8192\n",
        ]
        .join("\n");
        assert_eq!(stats(&s), want);
    }

    #[test]
    fn stats_duplicates_and_rounding() {
        let s = ModStats {
            modcount: 3,
            total_mod_size: 10,
            failed_load_modules: 2,
            invalid_mod_bytes: 5,
            dup_failed: vec![DupFailed {
                name: "slow".into(),
                count: 7,
                dup_fail_mask: 3,
            }],
            ..Default::default()
        };
        let t = stats(&s);
        assert!(t.contains("         Average mod size\t4\n"), "{t}");
        assert!(t.contains("  Average fail load bytes\t3\n"), "{t}");
        assert!(t.ends_with(
            "Duplicate failed modules:\n              Module-name\t MODULE_HOWMANY\t                   Reason\n                     slow\t              7\t          Becoming & Load\n"
                .replace(" MODULE_HOWMANY", " How-many-times")
                .as_str()
        ), "{t}");
    }

    #[test]
    fn unloaded_and_print_modules() {
        let u = vec![
            UnloadedTainted {
                name: "a".into(),
                taints: 0x1000,
                taint_letters: "O".into(),
                count: 3,
            },
            UnloadedTainted {
                name: "b".into(),
                taints: 1,
                taint_letters: "P".into(),
                count: 1,
            },
        ];
        assert_eq!(unloaded_tainted(&u), "a (O) 3\nb (P) 1\n");
        let m = vec![
            module("s", 0x1000, "O", ModuleState::Live),
            module("c", 0, "", ModuleState::Live),
        ];
        let last = LastUnloaded {
            name: "a".into(),
            taints: Some("(O)".into()),
        };
        assert_eq!(
            print_modules(&m, Some(&u), Some(&last)),
            "Modules linked in: s(O) c\nUnloaded tainted modules: a(O):3 b(P):1 [last unloaded: a(O)]\n"
        );
        assert_eq!(
            print_modules(&m, Some(&[]), None),
            "Modules linked in: s(O) c\n"
        );
    }
}
