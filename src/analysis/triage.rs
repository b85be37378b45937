//! The triage summary: what happened (from the crash reports in the kernel log), the taints that
//! matter, the pages the reports name read back from the dump, and the suspect modules, each
//! with the evidence that makes it one. Facts only: every suspect cites where it was seen.

use super::events::{Event, EventKind};
use super::model::{
    KernelTaint, LoadedModule, ModuleState, Report, TaintBit, TaintFlagDef, Tracked,
};
use crate::kernel::page::Page;
use serde::Serialize;

/// Taint bits that say something about a crash whatever the modules: TAINT_BAD_PAGE (B),
/// TAINT_DIE (D), TAINT_WARN (W).
const CRASH_TAINTS: [u32; 3] = [5, 7, 9];
/// Module taints where the dump's taint_flags[] has no `module` member (7.x): P, F, C, O, E.
const MODULE_TAINTS: [u32; 5] = [0, 1, 10, 12, 13];

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Triage {
    /// The crash reports of the log, oldest first (indexes into the report's `events`).
    pub happened: Vec<Happening>,
    /// The panic message, when the log ends in a panic.
    pub panic: Option<String>,
    /// The set taint bits that matter: B, D, W and the module taints.
    pub taints: Vec<TaintBit>,
    /// Each page a bad-page report names, as the dump holds it, beside what the report printed.
    pub pages: Vec<PageCheck>,
    pub suspects: Vec<Suspect>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Happening {
    /// Index into the report's `events`.
    pub event: usize,
    pub kind: EventKind,
    pub headline: String,
    pub pfn: Option<u64>,
    pub process: Option<String>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PageCheck {
    pub event: usize,
    pub pfn: u64,
    /// The struct page read from the dump.
    pub page: Option<Page>,
    /// Why it could not be read.
    pub error: Option<String>,
    /// The report's mapping (the `invalid mapping:` value where printed, else the %p value when
    /// it is NULL) equals the struct page's; None when the report printed no usable value.
    pub mapping_agrees: Option<bool>,
    /// The report's `flags:` value equals the struct page's.
    pub flags_agree: Option<bool>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SuspectState {
    /// In the dump's module list, live.
    Loaded,
    /// In the dump's module list, MODULE_STATE_COMING (its init had not returned).
    Loading,
    /// In the dump's module list, MODULE_STATE_GOING.
    Going,
    /// Not loaded at dump time, but recorded as unloaded.
    Unloaded,
    /// Named by a report but neither loaded nor recorded as unloaded at dump time.
    NotLoaded,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A frame of the report's call trace is in the module.
    InCallTrace,
    /// The report's RIP is in the module.
    AtRip,
    /// The report's `Modules linked in:` printed it with `+` (coming) or `-` (going).
    LoadingAtEvent,
    /// The report's own `Unloaded tainted modules:` line (printed at the event) lists it.
    UnloadedBeforeEvent,
    /// The report's `[last unloaded: ...]`.
    LastUnloadedAtEvent,
    /// The kernel's unloaded_tainted_modules at dump time.
    UnloadedTainted,
    /// modtrack's unloaded tainted modules at dump time.
    UnloadedTaintedModtrack,
    /// `last_unloaded_module` at dump time.
    LastUnloaded,
    /// MODULE_STATE_COMING in the dump.
    ComingInDump,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// The event it comes from (index into `events`), when it comes from one.
    pub event: Option<usize>,
    /// What was seen, as printed or read (the event it was seen in is `event`).
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Suspect {
    pub module: String,
    pub state: SuspectState,
    /// Taint letters at dump time (loaded) or as recorded (unloaded).
    pub taints: Option<String>,
    pub evidence: Vec<Evidence>,
}

/// A page read for a pfn, or why not.
pub type PageRead = Result<Page, String>;

/// Build the triage from the report (modules, tracking, taint), the log's events and the pages
/// of the bad-page events (`pages[i]` for the i-th event with a pfn, in event order).
pub fn triage(r: &Report, events: &[Event], mut read_page: impl FnMut(u64) -> PageRead) -> Triage {
    let happened = events
        .iter()
        .enumerate()
        .map(|(i, e)| Happening {
            event: i,
            kind: e.kind,
            headline: e.headline.clone(),
            pfn: e.pfn,
            process: e.process.clone(),
            reason: e.reason.clone(),
        })
        .collect();
    let panic = events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Panic)
        .and_then(|e| e.reason.clone());
    let pages = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::BadPage)
        .filter_map(|(i, e)| Some((i, e, e.pfn?)))
        .map(|(i, e, pfn)| page_check(i, e, pfn, read_page(pfn)))
        .collect();
    let mut s = Suspects::new(r);
    for (i, e) in events.iter().enumerate() {
        s.add_event(i, e);
    }
    s.add_dump();
    Triage {
        happened,
        panic,
        taints: r
            .taint
            .as_ref()
            .map(|t| taints_that_matter(t, &r.taint_flags))
            .unwrap_or_default(),
        pages,
        suspects: s.list,
    }
}

fn taints_that_matter(t: &KernelTaint, flags: &[TaintFlagDef]) -> Vec<TaintBit> {
    let is_module_taint = |bit: u32| match flags.iter().find(|f| f.bit == bit) {
        Some(TaintFlagDef {
            module: Some(m), ..
        }) => *m,
        _ => MODULE_TAINTS.contains(&bit),
    };
    t.bits
        .iter()
        .filter(|b| CRASH_TAINTS.contains(&b.bit) || is_module_taint(b.bit))
        .cloned()
        .collect()
}

fn page_check(event: usize, e: &Event, pfn: u64, page: PageRead) -> PageCheck {
    let printed = e.page.as_ref();
    let (page, error) = match page {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    let printed_mapping = printed.and_then(|d| d.invalid_mapping.or(d.mapping.filter(|&m| m == 0)));
    let mapping_agrees = match (&page, printed_mapping) {
        (Some(p), Some(m)) => Some(p.mapping == m),
        _ => None,
    };
    let flags_agree = match (&page, printed.and_then(|d| d.flags.as_ref())) {
        (Some(p), Some(f)) => Some(p.flags == f.raw),
        _ => None,
    };
    PageCheck {
        event,
        pfn,
        page,
        error,
        mapping_agrees,
        flags_agree,
    }
}

struct Suspects<'r> {
    r: &'r Report,
    list: Vec<Suspect>,
}

impl<'r> Suspects<'r> {
    fn new(r: &'r Report) -> Suspects<'r> {
        Suspects {
            r,
            list: Vec::new(),
        }
    }

    fn loaded(&self, name: &str) -> Option<&'r LoadedModule> {
        self.r.modules.iter().find(|m| m.name == name)
    }

    fn recorded_unloaded(&self, name: &str) -> Option<String> {
        let mt = self.r.modtrack.as_ref().map(|m| &m.unloaded_tainted);
        let kernel = self.r.unloaded_tainted.data();
        kernel
            .into_iter()
            .chain(mt)
            .flatten()
            .find(|u| u.name == name)
            .map(|u| u.taint_letters.clone())
            .or_else(|| {
                self.r
                    .last_unloaded
                    .as_ref()
                    .filter(|l| l.name == name)
                    .map(|l| l.taints.clone().unwrap_or_default())
            })
    }

    fn add(&mut self, module: &str, kind: EvidenceKind, event: Option<usize>, detail: String) {
        let ev = Evidence {
            kind,
            event,
            detail,
        };
        if let Some(s) = self.list.iter_mut().find(|s| s.module == module) {
            if !s.evidence.contains(&ev) {
                s.evidence.push(ev);
            }
            return;
        }
        let (state, taints) = match self.loaded(module) {
            Some(m) => (
                match m.state {
                    ModuleState::Coming => SuspectState::Loading,
                    ModuleState::Going => SuspectState::Going,
                    _ => SuspectState::Loaded,
                },
                Some(m.taint_letters.clone()),
            ),
            None => match self.recorded_unloaded(module) {
                Some(t) => (SuspectState::Unloaded, Some(t)),
                None => (SuspectState::NotLoaded, None),
            },
        };
        self.list.push(Suspect {
            module: module.to_string(),
            state,
            taints,
            evidence: vec![ev],
        });
    }

    fn add_event(&mut self, i: usize, e: &Event) {
        if let Some(rip) = &e.rip {
            if let Some(m) = &rip.frame.module {
                let f = rip.frame.symbol.as_deref().unwrap_or("?");
                self.add(m, EvidenceKind::AtRip, Some(i), format!("RIP in {f} [{m}]"));
            }
        }
        for f in &e.trace {
            if let Some(m) = &f.module {
                let sym = f.symbol.as_deref().unwrap_or("?");
                let q = if f.reliable { "" } else { "? " };
                self.add(
                    m,
                    EvidenceKind::InCallTrace,
                    Some(i),
                    format!("call trace frame {q}{sym} [{m}]"),
                );
            }
        }
        if let Some(ml) = &e.modules {
            for m in ml.modules.iter().filter(|m| m.flags.contains(['+', '-'])) {
                let doing = if m.flags.contains('+') {
                    "loading"
                } else {
                    "unloading"
                };
                self.add(
                    &m.name,
                    EvidenceKind::LoadingAtEvent,
                    Some(i),
                    format!(
                        "{doing} at the event: printed as {}({}) in its Modules linked in: line",
                        m.name, m.flags
                    ),
                );
            }
            if let Some(l) = &ml.last_unloaded {
                self.add(
                    &l.name,
                    EvidenceKind::LastUnloadedAtEvent,
                    Some(i),
                    format!(
                        "[last unloaded: {}({})] at the end of its Modules linked in: line",
                        l.name, l.flags
                    ),
                );
            }
        }
        for line in &e.unloaded_tainted {
            for u in &line.modules {
                self.add(
                    &u.name,
                    EvidenceKind::UnloadedBeforeEvent,
                    Some(i),
                    format!(
                        "unloaded before the event: {}({}):{} on its Unloaded tainted modules: line",
                        u.name, u.flags, u.count
                    ),
                );
            }
        }
    }

    /// What the dump itself holds: modules still coming, the tracking lists, last unloaded.
    fn add_dump(&mut self) {
        let r = self.r;
        for m in r.modules.iter().filter(|m| m.state == ModuleState::Coming) {
            self.add(
                &m.name,
                EvidenceKind::ComingInDump,
                None,
                format!(
                    "still loading (MODULE_STATE_COMING) in the dump, at {:#x}",
                    m.address
                ),
            );
        }
        if let Tracked::Kernel(list) = &r.unloaded_tainted {
            for u in list {
                self.add(
                    &u.name,
                    EvidenceKind::UnloadedTainted,
                    None,
                    format!(
                        "in the kernel's unloaded_tainted_modules at dump time: {}({}), unloaded {} time(s)",
                        u.name, u.taint_letters, u.count
                    ),
                );
            }
        }
        if let Some(mt) = &r.modtrack {
            for u in &mt.unloaded_tainted {
                self.add(
                    &u.name,
                    EvidenceKind::UnloadedTaintedModtrack,
                    None,
                    format!(
                        "in modtrack's unloaded tainted modules at dump time: {}({}), unloaded {} time(s)",
                        u.name, u.taint_letters, u.count
                    ),
                );
            }
        }
        if let Some(l) = &r.last_unloaded {
            self.add(
                &l.name,
                EvidenceKind::LastUnloaded,
                None,
                format!(
                    "last_unloaded_module at dump time: {}{}",
                    l.name,
                    l.taints.as_deref().unwrap_or("")
                ),
            );
        }
    }
}
