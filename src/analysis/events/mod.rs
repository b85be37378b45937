//! Crash events parsed from the kernel log: bad page state, bad rss-counter, bad page map,
//! oopses, warnings and panics, each with the records it spans, the modules the report listed,
//! the taint of its `CPU:` line and its call trace.
//!
//! Input: the log's records in order ([`LogLine`]; a record's text may hold several lines).
//! Each report is a run of lines whose shapes follow the kernel's format strings (see
//! [`lines`] and [`page_dump`]): a header line starts it, and the lines that belong to it
//! are taken by shape. A line of another shape (another CPU's or context's printk) is skipped
//! without ending the report, so interleaved records do not break it. A report ends at its
//! own end (the end of its stack trace for bad page/bad page map, `---[ end trace ...]---` for
//! oops and warning, `---[ end Kernel panic ...]---` for panic), at the next header, after
//! [`MAX_FOREIGN_RUN`] lines in a row of other shapes, or at the end of the log.
//!
//! Limits: two reports printed at the same time by two CPUs are not told apart (the log
//! records carry no CPU here); the second header ends the first report.

pub mod lines;
pub mod model;
pub mod page_dump;

pub use model::*;

use lines::Header;
use page_dump::PageLine;

/// Lines of other shapes tolerated in a row inside an unfinished report.
pub const MAX_FOREIGN_RUN: usize = 256;
/// Lines of other shapes tolerated in a row in oops_end()'s register summary after the end
/// marker (it is the next thing the oopsing CPU prints).
const MAX_SUMMARY_GAP: usize = 8;
/// Lines one report may take; a longer one is closed there (as incomplete).
pub const MAX_EVENT_LINES: usize = 8192;
/// Frames kept per report.
pub const MAX_FRAMES: usize = 1024;
/// Lines a WARN() message may have between `cut here` and `WARNING:`.
const MAX_CUT_MESSAGE: usize = 16;
/// tracker/modtrack_print.c MT_LINE_MAX: a list record is cut before it reaches this length,
/// and the kernel's printk cuts at LOG_LINE_MAX (976 or 992 in 6.1, 1024 in 6.12), which is
/// longer. A line can only continue a list if the item could not fit on the previous one.
const LIST_RECORD_MIN: usize = 896;
const CUT_HERE: &str = "------------[ cut here ]------------";

/// Parse the log. Never panics; cost is linear in the text.
pub fn parse(records: &[LogLine<'_>]) -> Vec<Event> {
    let mut p = Parser::default();
    for r in records {
        let mut text = r.text;
        if let Some(t) = text.strip_suffix('\n') {
            text = t;
        }
        for l in text.split('\n') {
            p.line(r.seq, l);
        }
    }
    p.finish()
}

/// Records from `dmesg` text: one per line, numbered from 0, the `[    1.234567] ` prefix (and
/// a `[T123]`/`[C1]` caller field after it) removed. For tests and for logs saved as text.
pub fn dmesg_records(text: &str) -> Vec<LogLine<'_>> {
    text.lines()
        .enumerate()
        .map(|(i, l)| LogLine {
            seq: i as u64,
            text: strip_dmesg_prefix(l),
        })
        .collect()
}

fn strip_dmesg_prefix(l: &str) -> &str {
    let mut s = l;
    // An optional "<N>" syslog prefix (dmesg -r).
    if let Some(r) = s.strip_prefix('<') {
        if let Some((lvl, rest)) = r.split_once('>') {
            if !lvl.is_empty() && lvl.len() <= 4 && lvl.bytes().all(|b| b.is_ascii_digit()) {
                s = rest;
            }
        }
    }
    // "[%5lu.%06lu]", then CONFIG_PRINTK_CALLER's "[%6s]" ("T123" or "C1"), then a space.
    let group = |s: &str, ok: &dyn Fn(&str) -> bool| -> Option<usize> {
        let (inner, _) = s.strip_prefix('[')?.split_once(']')?;
        (inner.len() <= 24 && ok(inner.trim_start())).then_some(inner.len() + 2)
    };
    let is_ts = |t: &str| {
        t.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        })
    };
    let is_caller = |t: &str| {
        (t.starts_with('T') || t.starts_with('C'))
            && t.len() > 1
            && t[1..].bytes().all(|c| c.is_ascii_digit())
    };
    let Some(n) = group(s, &is_ts) else {
        return l;
    };
    s = s.get(n..).unwrap_or("");
    if let Some(n) = group(s, &is_caller) {
        s = s.get(n..).unwrap_or("");
    }
    s.strip_prefix(' ').unwrap_or(s)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Modules,
    /// Index into `unloaded_tainted`.
    Unloaded(usize),
}

struct Builder {
    ev: Event,
    lines: usize,
    foreign_run: usize,
    in_trace: bool,
    /// Open stack markers (`<TASK>`, `<IRQ>`...).
    stacks: Vec<String>,
    seen_cpu: bool,
    /// dump_page() is over (its reason line or the next part of the report was seen).
    page_done: bool,
    /// After `---[ end trace` of an oops: take oops_end()'s register summary, then close.
    summary: bool,
    /// The list the previous line belonged to, and that line's length.
    list: Option<(List, usize)>,
    /// `[last unloaded:` was seen, and where.
    last_unloaded_on_modules: bool,
    /// Per unloaded line: it carried `[last unloaded:`.
    unloaded_has_last: Vec<bool>,
    /// Per unloaded line: it came right after the modules line (inside print_modules()).
    unloaded_inside: Vec<bool>,
    /// The last line taken was the modules line (or its continuation).
    after_modules: bool,
    keep_after_modules: bool,
}

impl Builder {
    fn new(kind: EventKind, headline: &str, seq: u64) -> Builder {
        let mut ev = Event::new(kind, headline);
        ev.seqs.push(seq);
        Builder {
            ev,
            lines: 1,
            foreign_run: 0,
            in_trace: false,
            stacks: Vec::new(),
            seen_cpu: false,
            page_done: !matches!(kind, EventKind::BadPage | EventKind::BadPageMap),
            summary: false,
            list: None,
            last_unloaded_on_modules: false,
            unloaded_has_last: Vec::new(),
            unloaded_inside: Vec::new(),
            after_modules: false,
            keep_after_modules: false,
        }
    }

    fn take_seq(&mut self, seq: u64) {
        if self.ev.seqs.last() != Some(&seq) {
            self.ev.seqs.push(seq);
        }
        self.lines += 1;
        self.foreign_run = 0;
    }

    /// Whether the line belongs to this report (and take it). A line that does not leaves the
    /// report's state as it was (another CPU's record in between changes nothing).
    fn accept(&mut self, t: &str) -> bool {
        let list = self.list.take();
        self.keep_after_modules = false;
        let ok = match list {
            Some((which, prev_len)) if self.continuation(which, prev_len, t) => true,
            _ => self.accept_part(t),
        };
        if ok {
            self.after_modules = self.keep_after_modules;
        } else {
            self.list = list;
        }
        ok
    }

    fn accept_part(&mut self, t: &str) -> bool {
        if self.summary {
            return lines::is_register_line(t);
        }
        if !self.page_done {
            let pd = self.ev.page.get_or_insert_with(PageDump::default);
            match page_dump::page_line(pd, t) {
                PageLine::Consumed => return true,
                PageLine::Reason(r) => {
                    self.ev.reason = Some(r.to_string());
                    self.page_done = true;
                    return true;
                }
                PageLine::NotMine => {}
            }
        }
        if self.ev.kind == EventKind::BadPageMap {
            if t.starts_with("addr:") && t.contains(" vm_flags:") {
                let bp = self.ev.bad_pte.get_or_insert_with(BadPte::default);
                bp.addr = lines::kv(t, "addr").and_then(lines::hex_u64);
                bp.vm_flags = lines::kv(t, "vm_flags").and_then(lines::hex_u64);
                bp.vma_line = Some(t.to_string());
                self.page_done = true;
                return true;
            }
            if t.starts_with("file:") && t.contains(" fault:") {
                let bp = self.ev.bad_pte.get_or_insert_with(BadPte::default);
                bp.file_line = Some(t.to_string());
                self.page_done = true;
                return true;
            }
        }
        if let Some(rest) = t.strip_prefix("Modules linked in:") {
            if self.ev.modules.is_some() {
                return true;
            }
            if let Some((mods, last)) = lines::linked_items(rest) {
                self.last_unloaded_on_modules = last.is_some();
                self.ev.modules = Some(ModulesLinkedIn {
                    modules: mods,
                    last_unloaded: last,
                });
                self.list = Some((List::Modules, t.len()));
                self.keep_after_modules = true;
                self.page_done = true;
                return true;
            }
            return false;
        }
        if let Some(rest) = t.strip_prefix("Unloaded tainted modules:") {
            if let Some((mods, last)) = lines::unloaded_items(rest) {
                // Inside print_modules() when it follows the modules line directly and
                // print_modules() has not printed its `[last unloaded:` yet.
                let inside = self.after_modules && !self.last_unloaded_on_modules;
                let i = self.ev.unloaded_tainted.len();
                self.ev.unloaded_tainted.push(UnloadedTaintedLine {
                    source: UnloadedSource::KernelOrModtrack,
                    modules: mods,
                });
                self.unloaded_inside.push(inside);
                self.unloaded_has_last.push(false);
                if let Some(l) = last {
                    self.set_last_unloaded(i, l);
                }
                self.list = Some((List::Unloaded(i), t.len()));
                return true;
            }
            return false;
        }
        if let Some(c) = lines::cpu_line(t) {
            if !self.seen_cpu {
                self.seen_cpu = true;
                self.ev.cpu = self.ev.cpu.or(c.cpu);
                self.ev.pid = self.ev.pid.or(c.pid);
                self.ev.uid = c.uid;
                if self.ev.process.is_none() {
                    self.ev.process = Some(c.comm);
                }
                self.ev.taint = Some(c.taint);
            }
            self.page_done = true;
            return true;
        }
        if let Some(d) = lines::taint_verbose(t) {
            if let Some(tl) = self.ev.taint.as_mut() {
                if tl.descriptions.is_empty() {
                    tl.descriptions = d;
                }
            }
            return true;
        }
        if let Some(h) = t.strip_prefix("Hardware name: ") {
            self.ev.hardware.get_or_insert_with(|| h.to_string());
            return true;
        }
        // lib/dump_stack.c print_worker_info()/print_stop_info()/print_scx_info().
        if t.starts_with("Workqueue: ")
            || t.starts_with("Stopper: ")
            || t.starts_with("Sched_ext: ")
        {
            return true;
        }
        if t == "Call Trace:" {
            self.in_trace = true;
            self.page_done = true;
            return true;
        }
        if let Some((open, name)) = lines::stack_marker(t) {
            if open {
                self.stacks.push(name.to_string());
            } else if let Some(i) = self.stacks.iter().rposition(|s| s == name) {
                self.stacks.truncate(i);
                if self.stacks.is_empty()
                    && name == "TASK"
                    && matches!(
                        self.ev.kind,
                        EventKind::BadPage | EventKind::BadPageMap | EventKind::BadRssCounter
                    )
                {
                    self.ev.complete = true;
                }
            }
            return true;
        }
        if self.in_trace {
            if let Some(mut f) = lines::frame(t) {
                if self.ev.trace.len() < MAX_FRAMES {
                    f.stack = self.stacks.last().cloned();
                    self.ev.trace.push(f);
                }
                return true;
            }
        }
        if let Some(r) = lines::rip_line(t) {
            self.ev.rip.get_or_insert(r);
            return true;
        }
        if lines::is_register_line(t) {
            return true;
        }
        // Page-fault details (arch/x86/mm/fault.c): "#PF: ...", dump_pagetable()'s
        // "PGD .. P4D .. ", show_ldttss()'s "IDT: ..", "GDT: ..".
        if self.ev.kind == EventKind::Oops
            && (t.starts_with("#PF: ")
                || t.starts_with("PGD ")
                || t.starts_with("IDT: ")
                || t.starts_with("GDT: ")
                || t.starts_with("LDTR: ")
                || t.starts_with("TR: "))
        {
            return true;
        }
        if t.starts_with("---[ end trace ") && t.ends_with(" ]---") {
            if matches!(self.ev.kind, EventKind::Oops | EventKind::Warning) {
                self.ev.complete = true;
                // oops_end() prints the first oops' registers after the marker.
                self.summary = self.ev.kind == EventKind::Oops;
            }
            return true;
        }
        if self.ev.kind == EventKind::Panic {
            if t.starts_with("---[ end Kernel panic - not syncing: ") {
                self.ev.complete = true;
                return true;
            }
            // arch/x86/kernel/setup.c dump_kernel_offset(); kernel/panic.c.
            if t.starts_with("Kernel Offset: ")
                || t.starts_with("Rebooting in ")
                || t.starts_with("Shutting down cpus with NMI")
            {
                return true;
            }
        }
        false
    }

    fn set_last_unloaded(&mut self, line: usize, l: LinkedModule) {
        if let Some(h) = self.unloaded_has_last.get_mut(line) {
            *h = true;
        }
        if let Some(m) = self.ev.modules.as_mut() {
            m.last_unloaded.get_or_insert(l);
        }
    }

    /// A further record of a list cut because it was full: ` item item ...`.
    fn continuation(&mut self, which: List, prev_len: usize, t: &str) -> bool {
        if !t.starts_with(' ') || prev_len + 1 + lines::first_token(t).len() < LIST_RECORD_MIN {
            return false;
        }
        match which {
            List::Modules => {
                let Some((mods, last)) = lines::linked_items(t) else {
                    return false;
                };
                if let Some(m) = self.ev.modules.as_mut() {
                    m.modules.extend(mods);
                    if last.is_some() {
                        self.last_unloaded_on_modules = true;
                        m.last_unloaded = m.last_unloaded.take().or(last);
                    }
                }
                self.keep_after_modules = true;
            }
            List::Unloaded(i) => {
                let Some((mods, last)) = lines::unloaded_items(t) else {
                    return false;
                };
                if let Some(u) = self.ev.unloaded_tainted.get_mut(i) {
                    u.modules.extend(mods);
                }
                if let Some(l) = last {
                    self.set_last_unloaded(i, l);
                }
            }
        }
        self.list = Some((which, t.len()));
        true
    }

    fn finish(mut self) -> Event {
        // Who printed each `Unloaded tainted modules:` line (see UnloadedSource).
        let n = self.ev.unloaded_tainted.len();
        let kernel_line = (0..n).find(|&i| self.unloaded_has_last[i]);
        for i in 0..n {
            let src = if Some(i) == kernel_line {
                UnloadedSource::Kernel
            } else if !self.unloaded_inside[i]
                || kernel_line.is_some()
                || self.last_unloaded_on_modules
            {
                UnloadedSource::Modtrack
            } else if n > 1 {
                // Two lines with no `[last unloaded:`: print_modules() prints first.
                UnloadedSource::Kernel
            } else {
                UnloadedSource::KernelOrModtrack
            };
            self.ev.unloaded_tainted[i].source = src;
        }
        if self.ev.page.as_ref().is_some_and(|p| p.lines.is_empty()) {
            self.ev.page = None;
        }
        self.ev
    }
}

#[derive(Default)]
struct Parser {
    events: Vec<Event>,
    cur: Option<Builder>,
    /// `------------[ cut here ]------------` and the WARN() message lines after it.
    cut: Option<(u64, Vec<(u64, String)>)>,
    suppressed: Option<u64>,
}

impl Parser {
    fn close(&mut self) {
        if let Some(b) = self.cur.take() {
            self.events.push(b.finish());
        }
    }

    fn line(&mut self, seq: u64, t: &str) {
        if let Some(h) = lines::header(t) {
            self.header(seq, t, h);
            return;
        }
        if t == CUT_HERE {
            if self.cur.as_ref().is_some_and(|b| b.ev.complete) {
                self.close();
            }
            self.cut = Some((seq, Vec::new()));
            return;
        }
        if let Some(b) = self.cur.as_mut() {
            if b.accept(t) {
                b.take_seq(seq);
                let done = (b.ev.complete && !b.summary) || b.lines >= MAX_EVENT_LINES;
                if done {
                    self.close();
                }
                return;
            }
            b.foreign_run += 1;
            let limit = if b.summary {
                MAX_SUMMARY_GAP
            } else {
                MAX_FOREIGN_RUN
            };
            if b.foreign_run > limit {
                self.close();
            }
        }
        if let Some((_, msg)) = self.cut.as_mut() {
            if msg.len() < MAX_CUT_MESSAGE {
                msg.push((seq, t.to_string()));
            } else {
                self.cut = None;
            }
        }
    }

    fn header(&mut self, seq: u64, t: &str, h: Header<'_>) {
        // The die line of an oops whose cause line (page fault, kernel BUG) came first.
        if let Header::Die(d) = &h {
            if let Some(b) = self.cur.as_mut() {
                if b.ev.kind == EventKind::Oops && !b.seen_cpu {
                    let oops = b.ev.oops.get_or_insert_with(OopsInfo::default);
                    if oops.die.is_none() {
                        oops.die = Some(d.clone());
                        b.take_seq(seq);
                        return;
                    }
                }
            }
        }
        if let Header::Suppressed(n) = h {
            self.close();
            self.suppressed = Some(n);
            return;
        }
        self.close();
        let cut = self.cut.take();
        let suppressed = self.suppressed.take();
        let kind = match &h {
            Header::BadPage { .. } => EventKind::BadPage,
            Header::BadRss(_) => EventKind::BadRssCounter,
            Header::BadPageMap { .. } => EventKind::BadPageMap,
            Header::PageFault { .. } | Header::KernelBug { .. } | Header::Die(_) => EventKind::Oops,
            Header::Warning { .. } => EventKind::Warning,
            Header::Panic(_) => EventKind::Panic,
            Header::Suppressed(_) => return,
        };
        let mut b = Builder::new(kind, t, seq);
        let ev = &mut b.ev;
        match h {
            Header::BadPage { process, pfn } => {
                ev.process = Some(process.to_string());
                ev.pfn = pfn;
                ev.suppressed_before = suppressed;
            }
            Header::BadRss(r) => {
                ev.rss_counter = Some(r);
                ev.complete = true;
            }
            Header::BadPageMap { process, pte, pmd } => {
                ev.process = Some(process.to_string());
                ev.bad_pte = Some(BadPte {
                    pte,
                    pmd,
                    ..BadPte::default()
                });
                ev.suppressed_before = suppressed;
            }
            Header::PageFault { cause, address } => {
                ev.reason = Some(cause.to_string());
                ev.oops = Some(OopsInfo {
                    fault_address: address,
                    ..OopsInfo::default()
                });
            }
            Header::KernelBug { cause, file, line } => {
                ev.reason = Some(cause.to_string());
                ev.oops = Some(OopsInfo {
                    bug_file: file.map(str::to_string),
                    bug_line: line,
                    ..OopsInfo::default()
                });
                if let Some((cseq, _)) = cut {
                    if ev.seqs.first() != Some(&cseq) {
                        ev.seqs.insert(0, cseq);
                    }
                }
            }
            Header::Die(d) => {
                ev.reason = Some(d.what.clone());
                ev.oops = Some(OopsInfo {
                    die: Some(d),
                    ..OopsInfo::default()
                });
            }
            Header::Warning { cpu, pid, info } => {
                ev.cpu = cpu;
                ev.pid = pid;
                ev.warning = Some(info);
                if let Some((cseq, msg)) = cut {
                    // WARN()'s own message comes between `cut here` and `WARNING:`.
                    let mut seqs = vec![cseq];
                    for (s, _) in &msg {
                        if seqs.last() != Some(s) {
                            seqs.push(*s);
                        }
                    }
                    if seqs.last() == ev.seqs.first() {
                        seqs.pop();
                    }
                    seqs.append(&mut ev.seqs);
                    ev.seqs = seqs;
                    if !msg.is_empty() {
                        let text: Vec<&str> = msg.iter().map(|(_, t)| t.as_str()).collect();
                        ev.reason = Some(text.join("\n"));
                    }
                }
            }
            Header::Panic(msg) => ev.reason = Some(msg.to_string()),
            Header::Suppressed(_) => {}
        }
        if b.ev.complete {
            self.events.push(b.finish());
        } else {
            self.cur = Some(b);
        }
    }

    fn finish(mut self) -> Vec<Event> {
        self.close();
        self.events
    }
}

#[cfg(test)]
mod tests;
