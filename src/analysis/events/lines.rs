//! Parsers for single log lines, each following the kernel's own format string (cited per
//! function). Pure, total functions: anything that does not match gives `None`.

use super::model::{
    DieLine, Frame, LinkedModule, Rip, RssCounter, TaintLine, UnloadedModule, WarningInfo,
};

/// Hex with an optional `0x`, 1 to 16 digits.
pub(crate) fn hex_u64(s: &str) -> Option<u64> {
    let d = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if d.is_empty() || d.len() > 16 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(d, 16).ok()
}

pub(crate) fn dec_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn dec_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn dec_i64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The value of `key:` in a line of space-separated `key:value` items: the text after the key
/// up to the next space. The key must start the line or follow a space.
pub(crate) fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = s.get(from..)?.find(key) {
        let at = from + i;
        let after = at + key.len();
        if (at == 0 || s.as_bytes()[at - 1] == b' ') && s.as_bytes().get(after) == Some(&b':') {
            let rest = &s[after + 1..];
            return Some(rest.split(' ').next().unwrap_or(""));
        }
        from = after;
    }
    None
}

/// A line that starts a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Header<'a> {
    /// mm/page_alloc.c bad_page(): `"BUG: Bad page state in process %s  pfn:%05lx\n"`.
    BadPage { process: &'a str, pfn: Option<u64> },
    /// `"BUG: Bad page state: %lu messages suppressed\n"` (and `Bad page map`).
    Suppressed(u64),
    /// kernel/fork.c check_mm(): `"BUG: Bad rss-counter state mm:%p type:%s val:%ld\n"`.
    BadRss(RssCounter),
    /// mm/memory.c print_bad_pte():
    /// `"BUG: Bad page map in process %s  pte:%08llx pmd:%08llx\n"`.
    BadPageMap {
        process: &'a str,
        pte: Option<u64>,
        pmd: Option<u64>,
    },
    /// arch/x86/mm/fault.c show_fault_oops(): `"BUG: kernel NULL pointer dereference, address:
    /// %px\n"`, `"BUG: unable to handle page fault for address: %px\n"` (and the pre-5.1
    /// `unable to handle kernel paging request at` / `NULL pointer dereference at`).
    PageFault {
        cause: &'a str,
        address: Option<u64>,
    },
    /// lib/bug.c report_bug(): `"kernel BUG at %s:%u!\n"`, or `"Kernel BUG at %pB [verbose
    /// debug info unavailable]\n"`.
    KernelBug {
        cause: &'a str,
        file: Option<&'a str>,
        line: Option<u32>,
    },
    /// arch/x86/kernel/dumpstack.c __die_header(): 6.1 `"%s: %04lx [#%d]%s%s%s%s%s\n"`,
    /// 6.12 `"Oops: %s: %04lx [#%d]..."`.
    Die(DieLine),
    /// kernel/panic.c __warn(): `"WARNING: CPU: %d PID: %d at %s:%d %pS\n"` or
    /// `"WARNING: CPU: %d PID: %d at %pS\n"`.
    Warning {
        cpu: Option<u32>,
        pid: Option<u32>,
        info: WarningInfo,
    },
    /// kernel/panic.c panic(): `"Kernel panic - not syncing: %s\n"`.
    Panic(&'a str),
}

pub(crate) fn header(t: &str) -> Option<Header<'_>> {
    if let Some(rest) = t.strip_prefix("BUG: ") {
        return bug_header(rest);
    }
    if let Some(rest) = t.strip_prefix("WARNING: CPU: ") {
        return warning_header(rest);
    }
    if let Some(msg) = t.strip_prefix("Kernel panic - not syncing: ") {
        return Some(Header::Panic(msg));
    }
    if let Some(at) = t.strip_prefix("kernel BUG at ") {
        let loc = at.strip_suffix('!');
        let (file, line) = match loc.and_then(|l| l.rsplit_once(':')) {
            Some((f, l)) if !f.is_empty() => (Some(f), dec_u32(l)),
            _ => (None, None),
        };
        return Some(Header::KernelBug {
            cause: t,
            file,
            line,
        });
    }
    if t.starts_with("Kernel BUG at ") {
        return Some(Header::KernelBug {
            cause: t,
            file: None,
            line: None,
        });
    }
    die_line(t).map(Header::Die)
}

fn bug_header(rest: &str) -> Option<Header<'_>> {
    if let Some(r) = rest.strip_prefix("Bad page state in process ") {
        let (process, pfn) = match r.rfind("  pfn:") {
            Some(i) => (&r[..i], hex_u64(&r[i + "  pfn:".len()..])),
            None => (r, None),
        };
        return Some(Header::BadPage { process, pfn });
    }
    for p in ["Bad page state: ", "Bad page map: "] {
        if let Some(n) = rest
            .strip_prefix(p)
            .and_then(|r| r.strip_suffix(" messages suppressed"))
        {
            return dec_u64(n).map(Header::Suppressed);
        }
    }
    if let Some(r) = rest.strip_prefix("Bad rss-counter state ") {
        return Some(Header::BadRss(RssCounter {
            mm: kv(r, "mm").unwrap_or("").to_string(),
            counter: kv(r, "type").unwrap_or("").to_string(),
            value: kv(r, "val").and_then(dec_i64).unwrap_or(0),
        }));
    }
    if let Some(r) = rest.strip_prefix("Bad page map in process ") {
        let (process, tail) = match r.rfind("  pte:") {
            Some(i) => (&r[..i], &r[i + 2..]),
            None => (r, ""),
        };
        return Some(Header::BadPageMap {
            process,
            pte: kv(tail, "pte").and_then(hex_u64),
            pmd: kv(tail, "pmd").and_then(hex_u64),
        });
    }
    for p in [
        "kernel NULL pointer dereference, address: ",
        "unable to handle page fault for address: ",
        "unable to handle kernel paging request at ",
        "unable to handle kernel NULL pointer dereference at ",
    ] {
        if let Some(a) = rest.strip_prefix(p) {
            return Some(Header::PageFault {
                cause: rest,
                address: hex_u64(a.trim()),
            });
        }
    }
    None
}

fn warning_header(rest: &str) -> Option<Header<'_>> {
    // "%d PID: %d at <location>"
    let (cpu, r) = rest.split_once(" PID: ")?;
    let (pid, at) = r.split_once(" at ")?;
    let mut info = WarningInfo::default();
    // "<file>:<line> <sym>" or "<sym>"; a symbol may carry " [module]".
    let (loc, module) = split_module_suffix(at);
    match loc.split_once(' ') {
        Some((fl, sym)) => {
            if let Some((f, l)) = fl.rsplit_once(':') {
                info.file = Some(f.to_string());
                info.line = dec_u32(l);
            }
            info.caller = Some(symbol(sym, module, true));
        }
        None => info.caller = Some(symbol(loc, module, true)),
    }
    Some(Header::Warning {
        cpu: dec_u32(cpu),
        pid: dec_u32(pid),
        info,
    })
}

/// `[Oops: ]STR: %04lx [#N] FLAGS`.
pub(crate) fn die_line(t: &str) -> Option<DieLine> {
    let open = t.find(" [#")?;
    let head = &t[..open];
    let (what, err) = head.rsplit_once(": ")?;
    if err.len() != 4 || !err.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let rest = &t[open + 3..];
    let close = rest.find(']')?;
    let count = dec_u32(&rest[..close])?;
    let what = match what.strip_prefix("Oops: ") {
        Some(w) if !w.is_empty() => w,
        _ => what,
    };
    if what.is_empty() {
        return None;
    }
    Some(DieLine {
        what: what.to_string(),
        error_code: u16::from_str_radix(err, 16).ok()?,
        count,
        flags: rest[close + 1..]
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// lib/dump_stack.c dump_stack_print_info(): 6.1 `"CPU: %d PID: %d Comm: %.20s %s%s %s %.*s
/// %s"`, 6.10+ `"CPU: %d UID: %u PID: %d Comm: ..."`, the second `%s` being print_tainted()
/// (`Not tainted` or `Tainted: ` and one letter or space per taint flag) and the first
/// `Kdump: loaded ` or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CpuLine {
    pub cpu: Option<u32>,
    pub uid: Option<u32>,
    pub pid: Option<u32>,
    pub comm: String,
    pub taint: TaintLine,
}

pub(crate) fn cpu_line(t: &str) -> Option<CpuLine> {
    let rest = t.strip_prefix("CPU: ")?;
    let (head, after_comm) = rest.split_once(" Comm: ")?;
    let (cpu, head) = match head.split_once(' ') {
        Some((c, h)) => (dec_u32(c), h),
        None => return None,
    };
    let mut uid = None;
    let mut pid = None;
    let mut it = head.split(' ');
    while let Some(k) = it.next() {
        match k {
            "UID:" => uid = it.next().and_then(dec_u32),
            "PID:" => pid = it.next().and_then(dec_u32),
            _ => {}
        }
    }
    pid?;
    // The comm may hold spaces; the taint part is the last " Tainted: " / " Not tainted " (the
    // release and version after it are the kernel's own).
    let (comm_end, taint_start, tainted) = match (
        after_comm.rfind(" Tainted: "),
        after_comm.rfind(" Not tainted"),
    ) {
        (Some(a), Some(b)) if b > a => (b, b + " Not tainted".len(), false),
        (Some(a), _) => (a, a + " Tainted: ".len(), true),
        (None, Some(b)) => (b, b + " Not tainted".len(), false),
        (None, None) => return None,
    };
    let mut comm = &after_comm[..comm_end];
    let mut taint = TaintLine {
        tainted,
        ..TaintLine::default()
    };
    if let Some(c) = comm.strip_suffix(" Kdump: loaded") {
        comm = c;
        taint.kdump_loaded = true;
    }
    let tail = &after_comm[taint_start..];
    let rel_start = if tainted {
        // One letter or space per flag, then " release": letters are upper-case ASCII.
        let n = tail
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || *b == b' ')
            .count();
        taint.letters = tail[..n].chars().filter(|c| *c != ' ').collect();
        n
    } else {
        0
    };
    taint.release = tail[rel_start..]
        .split(' ')
        .find(|s| !s.is_empty())
        .map(str::to_string);
    Some(CpuLine {
        cpu,
        uid,
        pid,
        comm: comm.to_string(),
        taint,
    })
}

/// kernel/panic.c print_tainted_verbose() (6.12): `Tainted: [P]=PROPRIETARY_MODULE, [O]=...`.
pub(crate) fn taint_verbose(t: &str) -> Option<Vec<(String, String)>> {
    let rest = t.strip_prefix("Tainted: [")?;
    let mut out = Vec::new();
    for item in format!("[{rest}").split(", ") {
        let (l, name) = item.strip_prefix('[')?.split_once("]=")?;
        out.push((l.to_string(), name.to_string()));
    }
    Some(out)
}

/// Split a trailing ` [module]` / ` [module buildid]` off a `%pS`/`%pB` symbol.
fn split_module_suffix(s: &str) -> (&str, Option<&str>) {
    if let Some(body) = s.strip_suffix(']') {
        if let Some(i) = body.rfind(" [") {
            return (&s[..i], Some(&body[i + 2..]));
        }
    }
    (s, None)
}

/// A `%pS`/`%pB` symbol (kernel/kallsyms.c __sprint_symbol(): `name+%#lx/%#lx` and
/// ` [module]` or ` [module build-id]`; `0x%lx` when no symbol is found).
fn symbol(sym: &str, module: Option<&str>, reliable: bool) -> Frame {
    let (module, build_id) = match module.map(|m| m.split_once(' ')) {
        Some(Some((m, b))) => (Some(m.to_string()), Some(b.to_string())),
        Some(None) => (module.map(str::to_string), None),
        None => (None, None),
    };
    let mut f = Frame {
        symbol: None,
        offset: None,
        size: None,
        module,
        build_id,
        address: None,
        reliable,
        stack: None,
    };
    if let Some((name, offsz)) = sym.rsplit_once('+') {
        if let Some((o, s)) = offsz.split_once('/') {
            if let (Some(o), Some(s)) = (hex_u64(o), hex_u64(s)) {
                if offsz.starts_with("0x") && !name.is_empty() {
                    f.symbol = Some(name.to_string());
                    f.offset = Some(o);
                    f.size = Some(s);
                    return f;
                }
            }
        }
    }
    if sym.starts_with("0x") {
        if let Some(a) = hex_u64(sym) {
            f.address = Some(a);
            return f;
        }
    }
    f.symbol = Some(sym.to_string());
    f
}

/// A call-trace line, arch/x86/kernel/dumpstack.c printk_stack_address():
/// `"%s %s%pBb\n"`: a space, `? ` for an unreliable frame, then the symbol.
pub(crate) fn frame(t: &str) -> Option<Frame> {
    let s = t.strip_prefix(' ')?;
    let (s, reliable) = match s.strip_prefix("? ") {
        Some(r) => (r, false),
        None => (s, true),
    };
    if s.is_empty() || s.starts_with(' ') || s.starts_with('<') {
        return None;
    }
    let (sym, module) = split_module_suffix(s);
    if sym.contains(' ') {
        return None;
    }
    let f = symbol(sym, module, reliable);
    // A frame is a symbol with +off/size or a bare address; anything else is not a frame.
    if f.offset.is_some() || f.address.is_some() {
        Some(f)
    } else {
        None
    }
}

/// show_trace_log_lvl()'s ` <TASK>`/` </TASK>`, ` <IRQ>`, ` <NMI>`, ` <#DF>`, ...:
/// (opening?, name).
pub(crate) fn stack_marker(t: &str) -> Option<(bool, &str)> {
    let inner = t.strip_prefix(" <")?.strip_suffix('>')?;
    if inner.is_empty() || inner.contains(' ') || inner.len() > 16 {
        return None;
    }
    match inner.strip_prefix('/') {
        Some(n) if !n.is_empty() => Some((false, n)),
        Some(_) => None,
        None => Some((true, inner)),
    }
}

/// arch/x86/kernel/dumpstack.c show_ip(): `"%sRIP: %04x:%pS\n"`.
pub(crate) fn rip_line(t: &str) -> Option<Rip> {
    let rest = t.strip_prefix("RIP: ")?;
    let (cs, sym) = rest.split_once(':')?;
    if cs.len() != 4 {
        return None;
    }
    let cs = u16::from_str_radix(cs, 16).ok()?;
    let (sym, module) = split_module_suffix(sym);
    Some(Rip {
        cs,
        frame: symbol(sym, module, true),
    })
}

/// The register dump of arch/x86/kernel/process_64.c __show_regs() and show_iret_regs(), and
/// show_opcodes()'s `Code:` line.
pub(crate) fn is_register_line(t: &str) -> bool {
    const STARTS: [&str; 14] = [
        "RIP: ", "Code: ", "RSP: ", "RAX: ", "RDX: ", "RBP: ", "R10: ", "R13: ", "FS:  ", "CS:  ",
        "CR2: ", "DR0: ", "DR3: ", "PKRU: ",
    ];
    STARTS.iter().any(|p| t.starts_with(p))
}

/// A ` name` or ` name(flags)` item of print_modules() (kernel/module/main.c:
/// `pr_cont(" %s%s", mod->name, module_flags(mod, buf, true))`).
fn linked_module(tok: &str) -> Option<LinkedModule> {
    let (name, flags) = match tok.split_once('(') {
        Some((n, f)) => (n, f.strip_suffix(')')?),
        None => (tok, ""),
    };
    if !is_module_name(name) || !flags.bytes().all(|b| b.is_ascii_graphic() && b != b'(') {
        return None;
    }
    Some(LinkedModule {
        name: name.to_string(),
        flags: flags.to_string(),
    })
}

/// Module names are C identifiers in practice (MODULE_NAME_LEN 56; `-` becomes `_` at build
/// time, but a name can still be anything a loader passes: be lenient, but no brackets,
/// parentheses or colons).
fn is_module_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()[]:".contains(&b))
}

/// Splits off the `[last unloaded: name(flags)]` print_modules() may end a line with: the items
/// before it and the module it names. None if the bracket is there but malformed.
fn split_last_unloaded(s: &str) -> Option<(&str, Option<LinkedModule>)> {
    const LAST: &str = "[last unloaded: ";
    match s.find(LAST) {
        Some(i) => {
            let l = s[i + LAST.len()..].strip_suffix(']')?;
            Some((&s[..i], Some(linked_module(l.trim())?)))
        }
        None => Some((s, None)),
    }
}

/// Items of a `Modules linked in:` line or its continuation record, and the
/// `[last unloaded: name(flags)]` that may end it. None if any token is not an item.
pub(crate) fn linked_items(s: &str) -> Option<(Vec<LinkedModule>, Option<LinkedModule>)> {
    let (items, last) = split_last_unloaded(s)?;
    let mut out = Vec::new();
    for tok in items.split(' ').filter(|t| !t.is_empty()) {
        out.push(linked_module(tok)?);
    }
    Some((out, last))
}

/// ` name(flags):count` items of `Unloaded tainted modules:` (kernel/module/tracking.c
/// print_unloaded_tainted_modules(): `pr_cont(" %s(%s):%llu", ...)`; tracker/modtrack_print.c
/// prints the same), and a `[last unloaded: ...]` print_modules() appends after them.
pub(crate) fn unloaded_items(s: &str) -> Option<(Vec<UnloadedModule>, Option<LinkedModule>)> {
    let (items, last) = split_last_unloaded(s)?;
    let mut out = Vec::new();
    for tok in items.split(' ').filter(|t| !t.is_empty()) {
        let (head, count) = tok.rsplit_once("):")?;
        let (name, flags) = head.split_once('(')?;
        if !is_module_name(name) || !flags.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        out.push(UnloadedModule {
            name: name.to_string(),
            flags: flags.to_string(),
            count: dec_u64(count)?,
        });
    }
    Some((out, last))
}

/// The first token of a line (for the continuation-record length rule).
pub(crate) fn first_token(s: &str) -> &str {
    s.trim_start().split(' ').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(hex_u64("0x1f"), Some(0x1f));
        assert_eq!(hex_u64("dead000000000400"), Some(0xdead000000000400));
        assert_eq!(hex_u64("0x"), None);
        assert_eq!(hex_u64("12345678901234567"), None);
        assert_eq!(dec_i64("-3"), Some(-3));
        assert_eq!(dec_i64("-"), None);
        assert_eq!(dec_u32("99999999999"), None);
    }

    #[test]
    fn key_values() {
        let s = "page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x4a3f";
        assert_eq!(kv(s, "refcount"), Some("0"));
        assert_eq!(kv(s, "pfn"), Some("0x4a3f"));
        assert_eq!(kv(s, "count"), None, "refcount: must not match count:");
        assert_eq!(kv(s, "page"), Some(""));
    }

    #[test]
    fn die_lines() {
        // 6.12 (arch/x86/kernel/dumpstack.c: "Oops: %s: %04lx [#%d]...") from deb612-oops.
        let d = die_line("Oops: Oops: 0000 [#1] PREEMPT SMP NOPTI").unwrap();
        assert_eq!(d.what, "Oops");
        assert_eq!(d.count, 1);
        assert_eq!(d.flags, ["PREEMPT", "SMP", "NOPTI"]);
        // 6.1: "%s: %04lx [#%d]...".
        let d = die_line("Oops: 0002 [#3] PREEMPT SMP PTI").unwrap();
        assert_eq!((d.what.as_str(), d.error_code, d.count), ("Oops", 2, 3));
        let d = die_line("general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI").unwrap();
        assert_eq!(
            d.what,
            "general protection fault, probably for non-canonical address 0xdead000000000122"
        );
        let d = die_line("Oops: invalid opcode: 0000 [#2] PREEMPT SMP NOPTI").unwrap();
        assert_eq!((d.what.as_str(), d.count), ("invalid opcode", 2));
        assert!(die_line("usb 1-1: 0000 [#x]").is_none());
        assert!(die_line(": 0000 [#1]").is_none());
        assert!(die_line("Oops: 0000 [#1").is_none());
    }

    #[test]
    fn cpu_lines() {
        // deb612-oops (Debian 6.12.117).
        let c = cpu_line("CPU: 0 UID: 0 PID: 176 Comm: insmod Tainted: P         C OE      6.12.117+deb12-cloud-amd64 #1  Debian 6.12.117-1~deb12u1").unwrap();
        assert_eq!((c.cpu, c.uid, c.pid), (Some(0), Some(0), Some(176)));
        assert_eq!(c.comm, "insmod");
        assert_eq!(c.taint.letters, "PCOE");
        assert!(c.taint.tainted && !c.taint.kdump_loaded);
        assert_eq!(
            c.taint.release.as_deref(),
            Some("6.12.117+deb12-cloud-amd64")
        );
        // 6.1 shape, a comm with a space, Kdump loaded, not tainted.
        let c = cpu_line(
            "CPU: 3 PID: 1 Comm: kworker/u8 x Kdump: loaded Not tainted 6.1.0-56-cloud-amd64 #1 Debian 6.1.192-2",
        )
        .unwrap();
        assert_eq!((c.cpu, c.uid, c.pid), (Some(3), None, Some(1)));
        assert_eq!(c.comm, "kworker/u8 x");
        assert!(!c.taint.tainted && c.taint.kdump_loaded && c.taint.letters.is_empty());
        assert_eq!(c.taint.release.as_deref(), Some("6.1.0-56-cloud-amd64"));
        assert!(cpu_line("CPU: 0 PID: 1").is_none());
        assert!(cpu_line("CPU: 0 PID: 1 Comm: x").is_none());
    }

    #[test]
    fn frames() {
        let f = frame(" do_one_initcall+0x5b/0x320").unwrap();
        assert_eq!(f.symbol.as_deref(), Some("do_one_initcall"));
        assert_eq!(
            (f.offset, f.size, f.reliable),
            (Some(0x5b), Some(0x320), true)
        );
        let f = frame(" ? arch_exit_to_user_mode_prepare.constprop.0+0x16/0xa0").unwrap();
        assert!(!f.reliable);
        assert_eq!(
            f.symbol.as_deref(),
            Some("arch_exit_to_user_mode_prepare.constprop.0")
        );
        let f = frame(" ? 0xffffffffc03fd0de").unwrap();
        assert_eq!(f.address, Some(0xffffffffc03fd0de));
        let f = frame(" mt_test_init+0x47/0xff0 [mt_test_c]").unwrap();
        assert_eq!(f.module.as_deref(), Some("mt_test_c"));
        let f = frame(" foo+0x1/0x2 [bar 0123456789abcdef0123456789abcdef01234567]").unwrap();
        assert_eq!(f.module.as_deref(), Some("bar"));
        assert_eq!(
            f.build_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert!(frame(" <TASK>").is_none());
        assert!(frame(" crc7 qemu_fw_cfg").is_none());
        assert!(frame("do_one_initcall+0x5b/0x320").is_none());
        assert!(frame("  with arguments:").is_none());
        assert!(frame(" HOME=/").is_none());
    }

    #[test]
    fn module_lists() {
        let (m, l) = linked_items(" mt_test_c(OE+) modcrash_slow(OE) crc7 qemu_fw_cfg modtrack(OE) [last unloaded: modcrash_dual(CE)]").unwrap();
        assert_eq!(m.len(), 5);
        assert_eq!(
            (m[0].name.as_str(), m[0].flags.as_str()),
            ("mt_test_c", "OE+")
        );
        assert_eq!(m[2].flags, "");
        let l = l.unwrap();
        assert_eq!((l.name.as_str(), l.flags.as_str()), ("modcrash_dual", "CE"));
        let (u, l) = unloaded_items(" modcrash_failmod(OE):2 modcrash_hello():3").unwrap();
        assert_eq!(u[0].count, 2);
        assert_eq!(u[1].flags, "");
        assert!(l.is_none());
        assert!(unloaded_items(" do_one_initcall+0x5b/0x320").is_none());
        assert!(linked_items(" do_one_initcall+0x5b/0x320 [x]").is_none());
    }

    #[test]
    fn headers() {
        assert_eq!(
            header("BUG: Bad page state in process insmod  pfn:04a3f"),
            Some(Header::BadPage {
                process: "insmod",
                pfn: Some(0x4a3f)
            })
        );
        assert_eq!(
            header("BUG: Bad page state in process a  b  pfn:1"),
            Some(Header::BadPage {
                process: "a  b",
                pfn: Some(1)
            })
        );
        assert_eq!(
            header("BUG: Bad page state: 7 messages suppressed"),
            Some(Header::Suppressed(7))
        );
        let Some(Header::Warning { cpu, pid, info }) =
            header("WARNING: CPU: 1 PID: 42 at mm/page_alloc.c:1234 foo+0x1/0x2 [m]")
        else {
            panic!()
        };
        assert_eq!((cpu, pid, info.line), (Some(1), Some(42), Some(1234)));
        assert_eq!(info.file.as_deref(), Some("mm/page_alloc.c"));
        assert_eq!(info.caller.unwrap().module.as_deref(), Some("m"));
        let Some(Header::KernelBug { file, line, .. }) = header("kernel BUG at mm/slub.c:435!")
        else {
            panic!()
        };
        assert_eq!((file, line), (Some("mm/slub.c"), Some(435)));
        assert!(header("BUG: soft lockup").is_none());
    }
}
