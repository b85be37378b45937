//! The events as plain data. Addresses are `0x…` strings in JSON (the schema's convention);
//! `pfn` is a number, `process` and `reason` are the kernel's own text.

use crate::analysis::model::{hex, hex_opt};
use serde::Serialize;

/// One record of the kernel log: its sequence number and its text (which may hold several
/// lines separated by '\n'; a trailing '\n' is allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub seq: u64,
    pub text: &'a str,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// mm/page_alloc.c bad_page(): `BUG: Bad page state in process P  pfn:N`.
    BadPage,
    /// kernel/fork.c check_mm(): `BUG: Bad rss-counter state mm:.. type:.. val:..`.
    BadRssCounter,
    /// mm/memory.c print_bad_pte(): `BUG: Bad page map in process P  pte:.. pmd:..`.
    BadPageMap,
    /// A die() report: a page fault (`BUG: unable to handle page fault for address`,
    /// `BUG: kernel NULL pointer dereference`), `kernel BUG at`, `general protection fault`,
    /// or any other `...: 0000 [#N]` die line.
    Oops,
    /// kernel/panic.c __warn(): `WARNING: CPU: N PID: M at ...`.
    Warning,
    /// kernel/panic.c panic(): `Kernel panic - not syncing: ...`.
    Panic,
}

/// One crash report found in the log, newest last.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The line that started the event, as printed.
    pub headline: String,
    /// The log records the event spans (ascending; records of other CPUs printed in between
    /// are not included).
    pub seqs: Vec<u64>,
    /// The end of the report was seen (the end of its stack trace, `---[ end trace ...]---` or
    /// `---[ end Kernel panic ...]---`); false when the log ends or another report starts first.
    pub complete: bool,
    /// The task: the comm of the report's own header (bad page, bad page map), else the
    /// `Comm:` of its `CPU:` line.
    pub process: Option<String>,
    /// From the `CPU:` line (or the `WARNING:` line).
    pub pid: Option<u32>,
    pub cpu: Option<u32>,
    /// 6.10+ `CPU: N UID: U PID: ...`.
    pub uid: Option<u32>,
    /// Bad page: the pfn of the header (`pfn:%05lx`, hex).
    pub pfn: Option<u64>,
    /// What the kernel said went wrong: the `page dumped because:` text (bad page, bad page
    /// map), the panic message, the oops cause (`kernel NULL pointer dereference, address: 0`,
    /// `kernel BUG at mm/x.c:1!`, `general protection fault, ...`, the die string), or the
    /// text a WARN() printed before its `WARNING:` line.
    pub reason: Option<String>,
    /// `BUG: Bad page state: N messages suppressed` printed just before this report.
    pub suppressed_before: Option<u64>,
    /// dump_page()'s lines (bad page, bad page map with a page).
    pub page: Option<PageDump>,
    pub rss_counter: Option<RssCounter>,
    pub bad_pte: Option<BadPte>,
    pub oops: Option<OopsInfo>,
    pub warning: Option<WarningInfo>,
    /// print_modules()'s `Modules linked in:` line.
    pub modules: Option<ModulesLinkedIn>,
    /// Every `Unloaded tainted modules:` line of the report, in log order.
    pub unloaded_tainted: Vec<UnloadedTaintedLine>,
    /// The taint part of the `CPU:` line.
    pub taint: Option<TaintLine>,
    /// `Hardware name:` line.
    pub hardware: Option<String>,
    /// The first `RIP: cs:symbol` line: where the CPU was.
    pub rip: Option<Rip>,
    /// Every call-trace frame of the report, in order.
    pub trace: Vec<Frame>,
}

impl Event {
    pub(crate) fn new(kind: EventKind, headline: &str) -> Event {
        Event {
            kind,
            headline: headline.to_string(),
            seqs: Vec::new(),
            complete: false,
            process: None,
            pid: None,
            cpu: None,
            uid: None,
            pfn: None,
            reason: None,
            suppressed_before: None,
            page: None,
            rss_counter: None,
            bad_pte: None,
            oops: None,
            warning: None,
            modules: None,
            unloaded_tainted: Vec::new(),
            taint: None,
            hardware: None,
            rip: None,
            trace: Vec::new(),
        }
    }

    /// The modules named by the call trace (and the RIP), in order of first appearance.
    pub fn trace_modules(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let rip = self.rip.as_ref().map(|r| &r.frame);
        for f in rip.into_iter().chain(self.trace.iter()) {
            if let Some(m) = f.module.as_deref() {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }
}

/// mm/debug.c dump_page() as printed (6.1 `page:%p refcount:..`, 6.12 `page: refcount:..`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PageDump {
    /// 6.1 prints the struct page address with %p: hashed unless `no_hash_pointers`.
    pub address: Option<String>,
    pub refcount: Option<i64>,
    pub mapcount: Option<i64>,
    /// As printed with %p: NULL prints as 0; any other value is hashed unless `no_hash_pointers`
    /// (dump_mapping()'s `invalid mapping:` line has the real one).
    #[serde(serialize_with = "hex_opt")]
    pub mapping: Option<u64>,
    #[serde(serialize_with = "hex_opt")]
    pub index: Option<u64>,
    pub pfn: Option<u64>,
    /// The large-folio line (`head:%p order:..` in 6.1, `head: order:..` in 6.12), raw.
    pub head: Option<String>,
    /// The compound order from that line.
    pub order: Option<u32>,
    #[serde(serialize_with = "hex_opt")]
    pub memcg: Option<u64>,
    /// dump_mapping()'s line (`invalid mapping:..`, `aops:..`), raw.
    pub mapping_info: Option<String>,
    /// The `%px` value of an `invalid mapping:` line.
    #[serde(serialize_with = "hex_opt")]
    pub invalid_mapping: Option<u64>,
    pub flags: Option<PrintedFlags>,
    pub page_type: Option<PrintedPageType>,
    /// The words of the `raw:` lines (the struct page, hex).
    pub raw: Vec<String>,
    /// The words of the `head: ` hex lines (the folio's head page(s)).
    pub head_raw: Vec<String>,
    /// `page:%p is uninitialized and poisoned`.
    pub poisoned: bool,
    /// Every dump_page() line, as printed.
    pub lines: Vec<String>,
}

/// `%pGp`: `0x<flags>(<name>|<name>|node=N|zone=Z|lastcpupid=0x..)`, lib/vsprintf.c
/// format_page_flags().
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PrintedFlags {
    #[serde(serialize_with = "hex")]
    pub raw: u64,
    /// The flag names the kernel printed (pageflag_names[]), in its order.
    pub names: Vec<String>,
    /// The field part: section=, node=, zone=, lastcpupid=, kasantag=.
    pub fields: Vec<FlagField>,
    /// Bits of the flag area that had no name (printed as `0x..` among the names).
    #[serde(serialize_with = "hex_opt")]
    pub unnamed: Option<u64>,
    /// `anon ` or `ksm ` before `flags:`.
    pub kind: Option<String>,
    /// ` CMA` after the flags.
    pub cma: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FlagField {
    pub name: String,
    pub value: u64,
}

/// `page_type: f5(buddy)` (6.12) or `page_type: 0xffffff7f(buddy)` (6.3..6.11).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PrintedPageType {
    #[serde(serialize_with = "hex")]
    pub raw: u64,
    pub names: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RssCounter {
    /// `mm:%p`, hashed.
    pub mm: String,
    /// `type:` (MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES).
    pub counter: String,
    pub value: i64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct BadPte {
    #[serde(serialize_with = "hex_opt")]
    pub pte: Option<u64>,
    #[serde(serialize_with = "hex_opt")]
    pub pmd: Option<u64>,
    /// `addr:%px` of the second line.
    #[serde(serialize_with = "hex_opt")]
    pub addr: Option<u64>,
    #[serde(serialize_with = "hex_opt")]
    pub vm_flags: Option<u64>,
    /// The `addr:` line, raw.
    pub vma_line: Option<String>,
    /// The `file:%pD fault:%ps mmap:%ps read_folio:%ps` line, raw.
    pub file_line: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct OopsInfo {
    /// The page-fault address of `BUG: unable to handle page fault for address: %px`.
    #[serde(serialize_with = "hex_opt")]
    pub fault_address: Option<u64>,
    /// `kernel BUG at FILE:LINE!`.
    pub bug_file: Option<String>,
    pub bug_line: Option<u32>,
    /// The die line: `[Oops: ]STR: ERR [#N] FLAGS`.
    pub die: Option<DieLine>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DieLine {
    /// The die() string: "Oops", "invalid opcode", "general protection fault, ...".
    pub what: String,
    pub error_code: u16,
    /// die_counter: 1 for the first oops since boot.
    pub count: u32,
    /// PREEMPT, SMP, DEBUG_PAGEALLOC, KASAN, PTI/NOPTI.
    pub flags: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct WarningInfo {
    pub file: Option<String>,
    pub line: Option<u32>,
    /// The `%pS` caller.
    pub caller: Option<Frame>,
}

/// print_modules(): `Modules linked in: a(OE+) b ... [last unloaded: c(E)]`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ModulesLinkedIn {
    pub modules: Vec<LinkedModule>,
    /// `[last unloaded: name(flags)]`, wherever print_modules() put it (on kernels that track
    /// unloaded tainted modules it ends their line instead).
    pub last_unloaded: Option<LinkedModule>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LinkedModule {
    pub name: String,
    /// module_flags(): the taint letters and `+` (coming) / `-` (going), without parentheses;
    /// empty when none were printed.
    pub flags: String,
}

/// Who printed an `Unloaded tainted modules:` line. The kernel's (print_modules(),
/// kernel/module/tracking.c, 5.19+) and modtrack's (tracker/modtrack_print.c) look alike; the
/// position tells them apart where it can.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnloadedSource {
    /// Printed inside print_modules(): its `[last unloaded: ..]` ends this line.
    Kernel,
    /// Printed after print_modules() had finished (or with no print_modules() at all, as in a
    /// panic): modtrack's die/panic notifier.
    Modtrack,
    /// Right after `Modules linked in:` with no `[last unloaded:` to place it: either.
    KernelOrModtrack,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UnloadedTaintedLine {
    pub source: UnloadedSource,
    pub modules: Vec<UnloadedModule>,
}

/// ` name(flags):count`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UnloadedModule {
    pub name: String,
    pub flags: String,
    pub count: u64,
}

/// The taint part of lib/dump_stack.c dump_stack_print_info()'s `CPU:` line.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TaintLine {
    /// False for `Not tainted`.
    pub tainted: bool,
    /// The set letters in the printed order (print_tainted() pads unset flags with spaces).
    pub letters: String,
    /// `Kdump: loaded` was printed.
    pub kdump_loaded: bool,
    /// The release after the taint.
    pub release: Option<String>,
    /// 6.12's `Tainted: [P]=PROPRIETARY_MODULE, ...` line: (letter, name).
    pub descriptions: Vec<(String, String)>,
}

/// `RIP: 0010:func+0x47/0xff0 [module]`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Rip {
    /// The code segment: 0010 kernel, 0033 user.
    pub cs: u16,
    pub frame: Frame,
}

/// One `%pB` frame: ` [? ]func+0xoff/0xsize [module buildid]` or ` [? ]0xaddr`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Frame {
    pub symbol: Option<String>,
    #[serde(serialize_with = "hex_opt")]
    pub offset: Option<u64>,
    #[serde(serialize_with = "hex_opt")]
    pub size: Option<u64>,
    pub module: Option<String>,
    /// CONFIG_STACKTRACE_BUILD_ID: the module's build id after its name.
    pub build_id: Option<String>,
    /// The address, when no symbol was found (`0xffffffffc03fd0de`).
    #[serde(serialize_with = "hex_opt")]
    pub address: Option<u64>,
    /// False for the `? ` frames the unwinder could not vouch for.
    pub reliable: bool,
    /// The stack the frame was on: the innermost open `<TASK>`, `<IRQ>`, `<NMI>`, ... marker.
    pub stack: Option<String>,
}
