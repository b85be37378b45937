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
    let mut warnings = Vec::new();

    let s32 = |n: &str| -> Result<u32, DecodeError> {
        let d = f.get(SCOPE_STATE, n, TYPE_U32)?;
        blob.u32(u64::from(d.offset), n)
    };
    let s64 = |n: &str| -> Result<u64, DecodeError> {
        let d = f.get(SCOPE_STATE, n, TYPE_U64)?;
        blob.u64(u64::from(d.offset), n)
    };
    let seq = s64("seq")?;
    let torn = seq % 2 == 1;
    if torn {
        warnings.push(format!(
            "update in progress (seq {seq} is odd): a CPU stopped inside a list change; the lists are read from their heads, one count may be one behind"
        ));
    }
    let flags = s32("flags")?;
    let release = {
        let d = f.get(SCOPE_STATE, "release", TYPE_CHARS)?;
        blob.chars(u64::from(d.offset), u64::from(d.size), "release")?
    };

    // Taint letters as modtrack renders them: bit i in taints and in taint_module_mask.
    let nr_taint = s32("nr_taint_flags")?;
    let module_mask = s32("taint_module_mask")?;
    let letters = {
        let d = f.get(SCOPE_STATE, "taint_letters", TYPE_BYTES)?;
        blob.bytes(u64::from(d.offset), u64::from(d.size), "taint_letters")?
            .to_vec()
    };
    let n_letters = (nr_taint as usize).min(letters.len()).min(32);
    let render = |taints: u64| -> String {
        let mut s: Vec<u8> = (0..n_letters)
            .filter(|&i| module_mask & (1 << i) != 0 && taints & (1 << i) != 0)
            .map(|i| letters[i])
            .collect();
        // The C string ends at a NUL letter, as modtrack's %s would.
        if let Some(z) = s.iter().position(|&c| c == 0) {
            s.truncate(z);
        }
        String::from_utf8_lossy(&s).into_owned()
    };

    let mut counters = Vec::with_capacity(COUNTERS.len());
    for (name, flag) in COUNTERS {
        counters.push(Counter {
            name,
            value: s64(name)?,
            collected: flags & flag != 0,
        });
    }

    // Unloaded tainted modules.
    let up = pool(
        &blob,
        &f,
        "unloaded",
        "unloaded_pool",
        "modtrack unloaded list",
    )?;
    let u_name = entry_field(&f, SCOPE_UNLOADED, "name", TYPE_CHARS, up.entry_size)?;
    let u_taints = entry_field(&f, SCOPE_UNLOADED, "taints", TYPE_U64, up.entry_size)?;
    let u_count = entry_field(&f, SCOPE_UNLOADED, "count", TYPE_U64, up.entry_size)?;
    let u_next = entry_field(&f, SCOPE_UNLOADED, "next", TYPE_INDEX, up.entry_size)?;
    let (entries, err) = walk(&blob, &up, &u_next, torn);
    warnings.extend(err);
    let mut unloaded = Vec::with_capacity(entries.len());
    for at in entries {
        let taints = blob.u64(at + u64::from(u_taints.offset), "unloaded taints")?;
        unloaded.push(Unloaded {
            name: blob.chars(
                at + u64::from(u_name.offset),
                u64::from(u_name.size),
                "unloaded name",
            )?,
            taints,
            taint_letters: render(taints),
            count: blob.u64(at + u64::from(u_count.offset), "unloaded count")?,
        });
    }

    // Duplicate failed loads.
    let dp = pool(
        &blob,
        &f,
        "dupfail",
        "dupfail_pool",
        "modtrack duplicate list",
    )?;
    let d_name = entry_field(&f, SCOPE_DUPFAIL, "name", TYPE_CHARS, dp.entry_size)?;
    let d_count = entry_field(&f, SCOPE_DUPFAIL, "count", TYPE_U64, dp.entry_size)?;
    let d_reasons = entry_field(&f, SCOPE_DUPFAIL, "reasons", TYPE_U64, dp.entry_size)?;
    let d_next = entry_field(&f, SCOPE_DUPFAIL, "next", TYPE_INDEX, dp.entry_size)?;
    let (entries, err) = walk(&blob, &dp, &d_next, torn);
    warnings.extend(err);
    let mut dup_failed = Vec::with_capacity(entries.len());
    for at in entries {
        dup_failed.push(DupFailed {
            name: blob.chars(
                at + u64::from(d_name.offset),
                u64::from(d_name.size),
                "dupfail name",
            )?,
            count: blob.u64(at + u64::from(d_count.offset), "dupfail count")?,
            reasons: blob.u64(at + u64::from(d_reasons.offset), "dupfail reasons")?,
        });
    }
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

    let unload_tracking = if flags & F_UNLOAD_TP != 0 {
        UnloadTracking::Exact
    } else if flags & F_UNLOAD_NOTIFIER != 0 {
        UnloadTracking::Approximate
    } else {
        UnloadTracking::None
    };
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
        unload_tracking,
        unloaded,
        unloaded_dropped: up.dropped,
        unloaded_capacity: up.cap,
        counters,
        dup_failed,
        dup_failed_collected: flags & (F_DUP_PROBE | F_DUP_EMULATED) != 0,
        dup_failed_dropped: dp.dropped,
        dup_failed_capacity: dp.cap,
        untracked_loads: s64("untracked_loads")?,
        probe_missed: s64("probe_missed")?,
    };
    Ok((state, warnings))
}
