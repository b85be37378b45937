//! `modtrack_state` decoded into its own type ([`ModtrackState`]): what modtrack recorded, as
//! modtrack recorded it. The analysis maps it onto the report.

use super::format::*;
use serde::Serialize;

/// How modtrack saw unloads.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnloadTracking {
    /// The module_free tracepoint: the same events as the kernel's own list.
    Exact,
    /// The GOING module notifier (no tracepoints): misses modules that never reached sysfs.
    Approximate,
    /// Neither attached: the list is empty because nothing was recorded.
    None,
}

/// One of modtrack's unloaded tainted modules, letters as modtrack renders them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unloaded {
    pub name: String,
    pub taints: u64,
    pub taint_letters: String,
    pub count: u64,
}

/// One of modtrack's duplicate failed loads (`reasons`: the kernel's dup_fail_mask bits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DupFailed {
    pub name: String,
    pub count: u64,
    pub reasons: u64,
}

/// A counter by the kernel's stats.c name; `collected` is false when the probe that feeds it
/// did not attach (modtrack then prints 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    pub name: &'static str,
    pub value: u64,
    pub collected: bool,
}

/// The decoded state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModtrackState {
    pub layout_version: u32,
    /// `uname -r` of the kernel modtrack was loaded into.
    pub release: String,
    pub seq: u64,
    /// `seq` was odd: a CPU stopped inside a list change.
    pub update_in_progress: bool,
    pub flags: u32,
    /// Names of the set `flags` bits (LAYOUT.md section 6).
    pub flag_names: Vec<&'static str>,
    pub unload_tracking: UnloadTracking,
    /// Newest first.
    pub unloaded: Vec<Unloaded>,
    pub unloaded_dropped: u64,
    pub unloaded_capacity: u32,
    /// The eleven stats.c counters, in the kernel's order.
    pub counters: Vec<Counter>,
    /// Newest first.
    pub dup_failed: Vec<DupFailed>,
    pub dup_failed_collected: bool,
    pub dup_failed_dropped: u64,
    pub dup_failed_capacity: u32,
    pub untracked_loads: u64,
    pub probe_missed: u64,
}

/// A validated blob and its field table: state fields by name.
struct State<'a> {
    blob: Blob<'a>,
    f: Fields,
}

impl State<'_> {
    fn u32(&self, n: &str) -> Result<u32, DecodeError> {
        let d = self.f.get(SCOPE_STATE, n, TYPE_U32)?;
        self.blob.u32(u64::from(d.offset), n)
    }
    fn u64(&self, n: &str) -> Result<u64, DecodeError> {
        let d = self.f.get(SCOPE_STATE, n, TYPE_U64)?;
        self.blob.u64(u64::from(d.offset), n)
    }
    fn chars(&self, n: &str) -> Result<String, DecodeError> {
        let d = self.f.get(SCOPE_STATE, n, TYPE_CHARS)?;
        self.blob.chars(u64::from(d.offset), u64::from(d.size), n)
    }
    /// An entry's char[] field.
    fn entry_chars(&self, at: u64, d: &FieldDesc, what: &str) -> Result<String, DecodeError> {
        self.blob
            .chars(at + u64::from(d.offset), u64::from(d.size), what)
    }
    fn entry_u64(&self, at: u64, d: &FieldDesc, what: &str) -> Result<u64, DecodeError> {
        self.blob.u64(at + u64::from(d.offset), what)
    }
}

/// Taint letters as modtrack renders them: bit i in taints and in taint_module_mask.
struct Letters {
    letters: Vec<u8>,
    module_mask: u32,
    n: usize,
}

impl Letters {
    fn read(st: &State<'_>) -> Result<Letters, DecodeError> {
        let nr_taint = st.u32("nr_taint_flags")?;
        let module_mask = st.u32("taint_module_mask")?;
        let d = st.f.get(SCOPE_STATE, "taint_letters", TYPE_BYTES)?;
        let letters = st
            .blob
            .bytes(u64::from(d.offset), u64::from(d.size), "taint_letters")?
            .to_vec();
        let n = (nr_taint as usize).min(letters.len()).min(32);
        Ok(Letters {
            letters,
            module_mask,
            n,
        })
    }

    fn render(&self, taints: u64) -> String {
        let mut s: Vec<u8> = (0..self.n)
            .filter(|&i| self.module_mask & (1 << i) != 0 && taints & (1 << i) != 0)
            .map(|i| self.letters[i])
            .collect();
        // The C string ends at a NUL letter, as modtrack's %s would.
        if let Some(z) = s.iter().position(|&c| c == 0) {
            s.truncate(z);
        }
        String::from_utf8_lossy(&s).into_owned()
    }
}

/// One of the two index-linked lists: its pool, the offsets of its entries (newest first) and
/// the entry fields by name.
struct List<'s> {
    pool: Pool,
    entries: Vec<u64>,
    fields: &'s Fields,
    scope: u16,
}

impl List<'_> {
    fn open<'s>(
        st: &'s State<'_>,
        list: &'static str,
        pool_name: &str,
        what: &'static str,
        scope: u16,
        torn: bool,
        warnings: &mut Vec<String>,
    ) -> Result<List<'s>, DecodeError> {
        let pool = pool(&st.blob, &st.f, list, pool_name, what)?;
        let next = entry_field(&st.f, scope, "next", TYPE_INDEX, pool.entry_size)?;
        let (entries, err) = walk(&st.blob, &pool, &next, torn);
        warnings.extend(err);
        Ok(List {
            pool,
            entries,
            fields: &st.f,
            scope,
        })
    }

    fn field(&self, name: &str, ty: u16) -> Result<FieldDesc, DecodeError> {
        entry_field(self.fields, self.scope, name, ty, self.pool.entry_size)
    }
}

/// The unloaded list, newest first, and its pool.
fn unloaded(
    st: &State<'_>,
    torn: bool,
    letters: &Letters,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Unloaded>, Pool), DecodeError> {
    let l = List::open(
        st,
        "unloaded",
        "unloaded_pool",
        "modtrack unloaded list",
        SCOPE_UNLOADED,
        torn,
        warnings,
    )?;
    let (name, taints, count) = (
        l.field("name", TYPE_CHARS)?,
        l.field("taints", TYPE_U64)?,
        l.field("count", TYPE_U64)?,
    );
    let mut out = Vec::with_capacity(l.entries.len());
    for &at in &l.entries {
        let t = st.entry_u64(at, &taints, "unloaded taints")?;
        out.push(Unloaded {
            name: st.entry_chars(at, &name, "unloaded name")?,
            taints: t,
            taint_letters: letters.render(t),
            count: st.entry_u64(at, &count, "unloaded count")?,
        });
    }
    Ok((out, l.pool))
}

/// The duplicate-failure list, newest first, and its pool.
fn dup_failed(
    st: &State<'_>,
    torn: bool,
    warnings: &mut Vec<String>,
) -> Result<(Vec<DupFailed>, Pool), DecodeError> {
    let l = List::open(
        st,
        "dupfail",
        "dupfail_pool",
        "modtrack duplicate list",
        SCOPE_DUPFAIL,
        torn,
        warnings,
    )?;
    let (name, count, reasons) = (
        l.field("name", TYPE_CHARS)?,
        l.field("count", TYPE_U64)?,
        l.field("reasons", TYPE_U64)?,
    );
    let mut out = Vec::with_capacity(l.entries.len());
    for &at in &l.entries {
        out.push(DupFailed {
            name: st.entry_chars(at, &name, "dupfail name")?,
            count: st.entry_u64(at, &count, "dupfail count")?,
            reasons: st.entry_u64(at, &reasons, "dupfail reasons")?,
        });
    }
    Ok((out, l.pool))
}

fn unload_tracking(flags: u32) -> UnloadTracking {
    if flags & F_UNLOAD_TP != 0 {
        UnloadTracking::Exact
    } else if flags & F_UNLOAD_NOTIFIER != 0 {
        UnloadTracking::Approximate
    } else {
        UnloadTracking::None
    }
}

/// Decode a `modtrack_state` blob (the bytes at the symbol, `state_size` long). Errors: the
/// state cannot be used; the warnings: it was used, but something is off (torn update, damaged
/// list, dropped entries).
pub fn decode(bytes: &[u8]) -> Result<(ModtrackState, Vec<String>), DecodeError> {
    let h = header(bytes)?;
    if bytes.len() < h.state_size as usize {
        return Err(DecodeError::Truncated {
            state_size: h.state_size,
            len: bytes.len(),
        });
    }
    let blob = Blob {
        b: &bytes[..h.state_size as usize],
    };
    let f = Fields::parse(&blob, &h)?;
    let st = State { blob, f };
    let mut warnings = Vec::new();
    let seq = st.u64("seq")?;
    let torn = seq % 2 == 1;
    if torn {
        warnings.push(format!(
            "update in progress (seq {seq} is odd): a CPU stopped inside a list change; the lists are read from their heads, one count may be one behind"
        ));
    }
    let flags = st.u32("flags")?;
    let release = st.chars("release")?;
    let letters = Letters::read(&st)?;
    let mut counters = Vec::with_capacity(COUNTERS.len());
    for (name, flag) in COUNTERS {
        counters.push(Counter {
            name,
            value: st.u64(name)?,
            collected: flags & flag != 0,
        });
    }
    let (unloaded, up) = unloaded(&st, torn, &letters, &mut warnings)?;
    let (dup_failed, dp) = dup_failed(&st, torn, &mut warnings)?;
    for (p, name) in [
        (&up, "unloaded tainted modules"),
        (&dp, "duplicate failed loads"),
    ] {
        if p.dropped != 0 {
            warnings.push(format!(
                "{} {name} were not recorded: modtrack's pool of {} entries was full",
                p.dropped, p.cap
            ));
        }
    }
    let state = ModtrackState {
        layout_version: LAYOUT_VERSION,
        release,
        seq,
        update_in_progress: torn,
        flags,
        flag_names: FLAG_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| flags & (1 << i) != 0)
            .map(|(_, &n)| n)
            .collect(),
        unload_tracking: unload_tracking(flags),
        unloaded,
        unloaded_dropped: up.dropped,
        unloaded_capacity: up.cap,
        counters,
        dup_failed,
        dup_failed_collected: flags & (F_DUP_PROBE | F_DUP_EMULATED) != 0,
        dup_failed_dropped: dp.dropped,
        dup_failed_capacity: dp.cap,
        untracked_loads: st.u64("untracked_loads")?,
        probe_missed: st.u64("probe_missed")?,
    };
    Ok((state, warnings))
}
