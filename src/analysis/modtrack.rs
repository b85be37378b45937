//! modtrack (tracker/): find `modtrack_state` in the loaded `modtrack` module and decode it through
//! its own field table (tracker/LAYOUT.md), without modtrack's debug info.
//!
//! Finding: the module's kallsyms (`mod->kallsyms`, needs CONFIG_KALLSYMS_ALL for a data symbol),
//! else its exports (`mod->syms`). Decoding: only the fixed 32-byte header is read by offset; every
//! other field is looked up by (scope, name) in the state's field table, its type and size
//! checked, and every pool index bounded. Nothing here panics on a corrupt state: a state that
//! cannot be used at all is an error naming what was wrong; a damaged list gives the entries read
//! so far and a warning.

use super::model::{
    DupFailed, LoadedModule, ModStats, ModtrackReport, TaintFlagDef, UnloadTracking,
    UnloadedTainted,
};
use super::read::ptr;
use super::taint::module_taint_letters;
use crate::addr::Va;
use crate::kernel::layout::{KernelSymbolLayout, ModKallsymsLayout, ModuleLayout, ELF64_SYM_SIZE};
use crate::kernel::{Kernel, KernelMem, ObjError};

pub const MODULE_NAME: &str = "modtrack";
pub const STATE_SYMBOL: &str = "modtrack_state";
/// The layout version this reader knows (LAYOUT.md: a reader must reject others).
pub const LAYOUT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"MODTRACK";
/// magic, layout_version, header_size, state_size, field_size, nr_fields, fields_offset.
const FIXED_HEADER: usize = 32;
/// The version-1 state is 33,712 bytes; a later version may grow, but not past this.
const MAX_STATE_SIZE: u64 = 1 << 20;
const MIN_FIELD_SIZE: u32 = 48;
const FIELD_NAME_LEN: usize = 32;
const MAX_FIELDS: u32 = 4096;
const MAX_ENTRY_SIZE: u32 = 4096;
/// Bounds on what is read to find the symbol.
const MAX_SYMTAB: u64 = 1_000_000;
const MAX_EXPORTS: u64 = 100_000;
const NIL: u32 = u32::MAX;

const SCOPE_STATE: u16 = 0;
const SCOPE_UNLOADED: u16 = 1;
const SCOPE_DUPFAIL: u16 = 2;

const TYPE_U32: u16 = 1;
const TYPE_U64: u16 = 2;
const TYPE_CHARS: u16 = 3;
const TYPE_INDEX: u16 = 4;
const TYPE_POOL: u16 = 5;
const TYPE_BYTES: u16 = 6;

/// `flags` bits (LAYOUT.md section 6).
const FLAG_NAMES: [&str; 12] = [
    "READY",
    "UNLOAD_TP",
    "LIVE_NOTIFIER",
    "LOAD_PROBES",
    "DUP_PROBE",
    "DUP_EMULATED",
    "DECOMPRESS_PROBE",
    "KREAD_PROBES",
    "EXITING",
    "DIE_NOTIFIER",
    "PANIC_NOTIFIER",
    "UNLOAD_NOTIFIER",
];
const F_UNLOAD_TP: u32 = 1 << 1;
const F_LIVE_NOTIFIER: u32 = 1 << 2;
const F_LOAD_PROBES: u32 = 1 << 3;
const F_DUP_PROBE: u32 = 1 << 4;
const F_DUP_EMULATED: u32 = 1 << 5;
const F_DECOMPRESS_PROBE: u32 = 1 << 6;
const F_KREAD_PROBES: u32 = 1 << 7;
const F_UNLOAD_NOTIFIER: u32 = 1 << 11;

/// The eleven counters, by the kernel's (and the field table's) names, with the flag that makes
/// each valid.
const COUNTERS: [(&str, u32); 11] = [
    ("modcount", F_LIVE_NOTIFIER),
    ("failed_kreads", F_KREAD_PROBES),
    ("failed_decompress", F_DECOMPRESS_PROBE),
    ("failed_becoming", F_LOAD_PROBES),
    ("failed_load_modules", F_LOAD_PROBES),
    ("total_mod_size", F_LIVE_NOTIFIER),
    ("total_text_size", F_LIVE_NOTIFIER),
    ("invalid_kread_bytes", F_KREAD_PROBES),
    ("invalid_decompress_bytes", F_DECOMPRESS_PROBE),
    ("invalid_becoming_bytes", F_LOAD_PROBES),
    ("invalid_mod_bytes", F_LOAD_PROBES),
];

/// One `struct modtrack_field`.
#[derive(Clone, Debug)]
struct FieldDesc {
    name: String,
    scope: u16,
    ty: u16,
    offset: u32,
    size: u32,
}

struct Blob<'a> {
    b: &'a [u8],
}

impl Blob<'_> {
    fn bytes(&self, off: u64, len: u64, what: &str) -> Result<&[u8], String> {
        let end = off
            .checked_add(len)
            .ok_or_else(|| format!("{what}: offset overflow"))?;
        if end > self.b.len() as u64 {
            return Err(format!(
                "{what}: bytes {off}..{end} are beyond the {} bytes read (truncated state)",
                self.b.len()
            ));
        }
        Ok(&self.b[off as usize..end as usize])
    }
    fn u32(&self, off: u64, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.bytes(off, 4, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u64(&self, off: u64, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.bytes(off, 8, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u16(&self, off: u64, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.bytes(off, 2, what)?.try_into().unwrap_or_default(),
        ))
    }
    /// A NUL-terminated char[size]; an unterminated array is taken whole.
    fn chars(&self, off: u64, len: u64, what: &str) -> Result<String, String> {
        let b = self.bytes(off, len, what)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Ok(String::from_utf8_lossy(&b[..end]).into_owned())
    }
}

/// The validated fixed header.
#[derive(Clone, Copy, Debug)]
struct Header {
    header_size: u32,
    state_size: u32,
    field_size: u32,
    nr_fields: u32,
    fields_offset: u32,
}

fn header(b: &[u8]) -> Result<Header, String> {
    if b.len() < FIXED_HEADER {
        return Err(format!(
            "truncated: {} bytes, the fixed header alone is {FIXED_HEADER}",
            b.len()
        ));
    }
    if &b[..8] != MAGIC {
        return Err(format!(
            "bad magic {:?} (want \"MODTRACK\")",
            String::from_utf8_lossy(&b[..8])
        ));
    }
    let r = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let version = r(8);
    if version != LAYOUT_VERSION {
        return Err(format!("layout version {version} is not known to this modcrash (it reads version {LAYOUT_VERSION})"));
    }
    let h = Header {
        header_size: r(12),
        state_size: r(16),
        field_size: r(20),
        nr_fields: r(24),
        fields_offset: r(28),
    };
    if h.field_size < MIN_FIELD_SIZE {
        return Err(format!(
            "field_size {} is below {MIN_FIELD_SIZE}",
            h.field_size
        ));
    }
    if h.nr_fields > MAX_FIELDS {
        return Err(format!("nr_fields {} is implausible", h.nr_fields));
    }
    let table_end = u64::from(h.fields_offset) + u64::from(h.nr_fields) * u64::from(h.field_size);
    if (h.fields_offset as usize) < FIXED_HEADER
        || table_end > u64::from(h.header_size)
        || h.header_size > h.state_size
        || u64::from(h.state_size) > MAX_STATE_SIZE
    {
        return Err(format!(
            "inconsistent sizes: field table {}..{table_end}, header_size {}, state_size {} (want 32 <= table start, table end <= header_size <= state_size <= {MAX_STATE_SIZE})",
            h.fields_offset, h.header_size, h.state_size
        ));
    }
    Ok(h)
}

struct Fields {
    list: Vec<FieldDesc>,
    header_size: u32,
    state_size: u32,
}

impl Fields {
    fn parse(blob: &Blob<'_>, h: &Header) -> Result<Fields, String> {
        let mut list = Vec::with_capacity(h.nr_fields as usize);
        for i in 0..u64::from(h.nr_fields) {
            let at = u64::from(h.fields_offset) + i * u64::from(h.field_size);
            let what = format!("fields[{i}]");
            list.push(FieldDesc {
                name: blob.chars(at, FIELD_NAME_LEN as u64, &what)?,
                scope: blob.u16(at + 32, &what)?,
                ty: blob.u16(at + 34, &what)?,
                offset: blob.u32(at + 36, &what)?,
                size: blob.u32(at + 40, &what)?,
            });
        }
        Ok(Fields {
            list,
            header_size: h.header_size,
            state_size: h.state_size,
        })
    }

    /// Look a field up by (scope, name), check its type and size, and for state fields that they
    /// lie inside the header (pools: inside the state).
    fn get(&self, scope: u16, name: &str, ty: u16) -> Result<FieldDesc, String> {
        let f = self
            .list
            .iter()
            .find(|f| f.scope == scope && f.name == name)
            .ok_or_else(|| {
                format!(
                    "the field table has no {} field {name:?}",
                    scope_name(scope)
                )
            })?;
        let size_ok = match ty {
            TYPE_U32 | TYPE_INDEX => f.size == 4,
            TYPE_U64 => f.size == 8,
            _ => f.size > 0,
        };
        if f.ty != ty || !size_ok {
            return Err(format!(
                "field {name:?} has type {} and size {}, want type {ty}",
                f.ty, f.size
            ));
        }
        let end = u64::from(f.offset) + u64::from(f.size);
        if scope == SCOPE_STATE {
            let limit = if ty == TYPE_POOL {
                self.state_size
            } else {
                self.header_size
            };
            if end > u64::from(limit) || (ty == TYPE_POOL && f.offset < self.header_size) {
                return Err(format!(
                    "field {name:?} at {}..{end} is outside its area (header {}, state {})",
                    f.offset, self.header_size, self.state_size
                ));
            }
        }
        Ok(f.clone())
    }
}

fn scope_name(s: u16) -> &'static str {
    match s {
        SCOPE_STATE => "state",
        SCOPE_UNLOADED => "unloaded-entry",
        SCOPE_DUPFAIL => "dupfail-entry",
        _ => "unknown-scope",
    }
}

/// A list header and its pool, validated.
struct Pool {
    what: &'static str,
    head: u32,
    nr_used: u32,
    cap: u32,
    entry_size: u32,
    dropped: u64,
    base: u64,
}

fn pool(
    blob: &Blob<'_>,
    f: &Fields,
    list: &'static str,
    pool_name: &str,
    what: &'static str,
) -> Result<Pool, String> {
    let v32 = |n: &str, ty| -> Result<u32, String> {
        let d = f.get(SCOPE_STATE, &format!("{list}.{n}"), ty)?;
        blob.u32(u64::from(d.offset), &d.name)
    };
    let p = Pool {
        what,
        head: v32("head", TYPE_INDEX)?,
        nr_used: v32("nr_used", TYPE_U32)?,
        cap: v32("cap", TYPE_U32)?,
        entry_size: v32("entry_size", TYPE_U32)?,
        dropped: {
            let d = f.get(SCOPE_STATE, &format!("{list}.dropped"), TYPE_U64)?;
            blob.u64(u64::from(d.offset), &d.name)?
        },
        base: 0,
    };
    let pd = f.get(SCOPE_STATE, pool_name, TYPE_POOL)?;
    if p.entry_size == 0 || p.entry_size > MAX_ENTRY_SIZE {
        return Err(format!(
            "{what}: entry_size {} is implausible",
            p.entry_size
        ));
    }
    if u64::from(p.cap) * u64::from(p.entry_size) > u64::from(pd.size) {
        return Err(format!(
            "{what}: {} entries of {} bytes do not fit the {}-byte pool",
            p.cap, p.entry_size, pd.size
        ));
    }
    Ok(Pool {
        base: u64::from(pd.offset),
        ..p
    })
}

/// Walk a list from its head (LAYOUT.md section 4): every index below the capacity (and below
/// nr_used unless an update was in progress), every `next` smaller than its own index, at most
/// `cap` steps. Returns the entry offsets and the reason the walk stopped early, if it did.
fn walk(blob: &Blob<'_>, p: &Pool, next: &FieldDesc, torn: bool) -> (Vec<u64>, Option<String>) {
    let mut out = Vec::new();
    let mut idx = p.head;
    let mut prev: Option<u32> = None;
    while idx != NIL {
        let problem = if idx >= p.cap {
            Some(format!("index {idx} is out of range (capacity {})", p.cap))
        } else if !torn && idx >= p.nr_used {
            Some(format!("index {idx} is not in use (nr_used {})", p.nr_used))
        } else if let Some(pr) = prev.filter(|&pr| idx >= pr) {
            Some(format!(
                "entry {pr} links to {idx}, which is not older (a cycle or a corrupt link)"
            ))
        } else if out.len() as u64 >= u64::from(p.cap) {
            Some(format!("more than {} entries", p.cap))
        } else {
            None
        };
        if let Some(problem) = problem {
            let msg = format!(
                "{}: walk stopped after {} entries: {problem}",
                p.what,
                out.len()
            );
            return (out, Some(msg));
        }
        let at = p.base + u64::from(idx) * u64::from(p.entry_size);
        out.push(at);
        prev = Some(idx);
        idx = match blob.u32(at + u64::from(next.offset), "next") {
            Ok(n) => n,
            Err(e) => return (out, Some(format!("{}: {e}", p.what))),
        };
    }
    (out, None)
}

/// An entry field, checked to lie inside the entry.
fn entry_field(
    f: &Fields,
    scope: u16,
    name: &str,
    ty: u16,
    entry_size: u32,
) -> Result<FieldDesc, String> {
    let d = f.get(scope, name, ty)?;
    if u64::from(d.offset) + u64::from(d.size) > u64::from(entry_size) {
        return Err(format!(
            "{} field {name:?} at {}+{} is outside the {entry_size}-byte entry",
            scope_name(scope),
            d.offset,
            d.size
        ));
    }
    Ok(d)
}

/// Decode a `modtrack_state` blob (the bytes at the symbol, `state_size` long). The report's
/// addresses and `found_via` are left empty for the caller. Errors: the state cannot be used;
/// the warnings: it was used, but something is off (torn update, damaged list, dropped entries).
pub fn decode(bytes: &[u8]) -> Result<(ModtrackReport, Vec<String>), String> {
    let h = header(bytes)?;
    if bytes.len() < h.state_size as usize {
        return Err(format!(
            "truncated: state_size is {} but only {} bytes were read",
            h.state_size,
            bytes.len()
        ));
    }
    let blob = Blob {
        b: &bytes[..h.state_size as usize],
    };
    let f = Fields::parse(&blob, &h)?;
    let mut warnings = Vec::new();

    let s32 = |n: &str| -> Result<u32, String> {
        let d = f.get(SCOPE_STATE, n, TYPE_U32)?;
        blob.u32(u64::from(d.offset), n)
    };
    let s64 = |n: &str| -> Result<u64, String> {
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

    let mut stats = ModStats::default();
    let mut counters = [0u64; 11];
    for (slot, (name, flag)) in counters.iter_mut().zip(COUNTERS) {
        *slot = s64(name)?;
        if flags & flag == 0 {
            stats.unavailable.push(name.to_string());
        }
    }
    [
        stats.modcount,
        stats.failed_kreads,
        stats.failed_decompress,
        stats.failed_becoming,
        stats.failed_load_modules,
        stats.total_mod_size,
        stats.total_text_size,
        stats.invalid_kread_bytes,
        stats.invalid_decompress_bytes,
        stats.invalid_becoming_bytes,
        stats.invalid_mod_bytes,
    ] = counters;

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
        unloaded.push(UnloadedTainted {
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
    for at in entries {
        stats.dup_failed.push(DupFailed {
            name: blob.chars(
                at + u64::from(d_name.offset),
                u64::from(d_name.size),
                "dupfail name",
            )?,
            count: blob.u64(at + u64::from(d_count.offset), "dupfail count")?,
            dup_fail_mask: blob.u64(at + u64::from(d_reasons.offset), "dupfail reasons")?,
        });
    }
    if flags & (F_DUP_PROBE | F_DUP_EMULATED) == 0 {
        stats.unavailable.push("dup_failed".into());
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
    let report = ModtrackReport {
        state_address: 0,
        module_address: 0,
        found_via: String::new(),
        layout_version: LAYOUT_VERSION,
        release,
        seq,
        update_in_progress: torn,
        flags,
        flag_names: FLAG_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| flags & (1 << i) != 0)
            .map(|(_, n)| n.to_string())
            .collect(),
        unload_tracking,
        unloaded_tainted: unloaded,
        unloaded_dropped: up.dropped,
        unloaded_capacity: up.cap,
        stats,
        dup_failed_dropped: dp.dropped,
        dup_failed_capacity: dp.cap,
        untracked_loads: s64("untracked_loads")?,
        probe_missed: s64("probe_missed")?,
    };
    Ok((report, warnings))
}

/// Where the state symbol was found: address, size when known, and how.
struct Located {
    va: Va,
    size: Option<u64>,
    via: &'static str,
}

/// `modtrack_state` in the module's kallsyms (`mod->kallsyms`).
fn find_in_kallsyms(
    k: &Kernel<'_>,
    mem: &KernelMem<'_>,
    l: &ModuleLayout,
    module: Va,
) -> Result<Option<Located>, String> {
    let Some(off) = l.kallsyms else {
        return Err("struct module has no kallsyms member (CONFIG_KALLSYMS off)".into());
    };
    let kl =
        ModKallsymsLayout::resolve(k.vmlinux).map_err(|e| format!("struct mod_kallsyms: {e}"))?;
    let p = mem
        .u64(module.wrapping_add(off), "module.kallsyms")
        .map_err(|e| e.to_string())?;
    if p == 0 {
        return Err("module.kallsyms is NULL".into());
    }
    let ks = mem
        .read_vec(Va(p), kl.size.max(32) as usize, "struct mod_kallsyms")
        .map_err(|e| e.to_string())?;
    let symtab = ptr(&ks, kl.symtab);
    let strtab = ptr(&ks, kl.strtab);
    let n = super::read::uint(&ks, kl.num_symtab);
    if n > MAX_SYMTAB {
        return Err(format!(
            "mod_kallsyms at {:#x}: num_symtab {n} is implausible (more than {MAX_SYMTAB})",
            p
        ));
    }
    let want = format!("{STATE_SYMBOL}\0");
    // Read the table in chunks of 4096 symbols: bounded memory, and one bad page costs one chunk.
    let chunk = 4096u64;
    let mut i = 0;
    while i < n {
        let m = chunk.min(n - i);
        let tab = mem
            .read_vec(
                Va(symtab).wrapping_add(i * ELF64_SYM_SIZE),
                (m * ELF64_SYM_SIZE) as usize,
                "module symtab",
            )
            .map_err(|e| e.to_string())?;
        for s in tab.chunks_exact(ELF64_SYM_SIZE as usize) {
            let st_name = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            let st_value = u64::from_le_bytes(s[8..16].try_into().unwrap_or_default());
            let st_size = u64::from_le_bytes(s[16..24].try_into().unwrap_or_default());
            // Only an object big enough to hold the header can be the state.
            if st_name == 0 || st_size < FIXED_HEADER as u64 || st_size > MAX_STATE_SIZE {
                continue;
            }
            let name = Va(strtab).wrapping_add(u64::from(st_name));
            if mem
                .read_vec(name, want.len(), "module strtab")
                .map(|b| b == want.as_bytes())
                .unwrap_or(false)
            {
                return Ok(Some(Located {
                    va: Va(st_value),
                    size: Some(st_size),
                    via: "kallsyms",
                }));
            }
        }
        i += m;
    }
    Ok(None)
}

/// `modtrack_state` in the module's exports (EXPORT_SYMBOL_GPL: `mod->gpl_syms` where the kernel
/// keeps GPL exports apart, and `mod->syms`).
fn find_in_exports(
    k: &Kernel<'_>,
    mem: &KernelMem<'_>,
    l: &ModuleLayout,
    module: Va,
) -> Result<Option<Located>, String> {
    let tables: Vec<_> = [
        (l.gpl_syms, l.num_gpl_syms, "gpl_syms"),
        (l.syms, l.num_syms, "syms"),
    ]
    .into_iter()
    .filter_map(|(p, n, what)| Some((p?, n?, what)))
    .collect();
    if tables.is_empty() {
        return Err("struct module has no syms/num_syms".into());
    }
    let sl =
        KernelSymbolLayout::resolve(k.vmlinux).map_err(|e| format!("struct kernel_symbol: {e}"))?;
    if sl.size == 0 {
        return Err("struct kernel_symbol has no size".into());
    }
    let want = format!("{STATE_SYMBOL}\0");
    for (syms, num, what) in tables {
        let base = mem
            .u64(module.wrapping_add(syms), what)
            .map_err(|e| e.to_string())?;
        let n = mem
            .int(module.wrapping_add(num.offset), num.size, false, what)
            .map_err(|e| e.to_string())? as u64;
        if n > MAX_EXPORTS {
            return Err(format!("module.{what}: {n} exports is implausible"));
        }
        if n == 0 || base == 0 {
            continue;
        }
        let tab = mem
            .read_vec(Va(base), (n * sl.size) as usize, "module exports")
            .map_err(|e| e.to_string())?;
        for (i, e) in tab.chunks_exact(sl.size as usize).enumerate() {
            let at = Va(base).wrapping_add(i as u64 * sl.size);
            let get = |f: crate::kernel::layout::Field| -> u64 {
                if sl.prel32 {
                    // PREL32: a signed offset from the field's own address.
                    let v = super::read::int(e, crate::kernel::layout::Field { signed: true, ..f });
                    at.wrapping_add(f.offset).0.wrapping_add(v as u64)
                } else {
                    super::read::uint(e, f)
                }
            };
            let name = get(sl.name);
            if mem
                .read_vec(Va(name), want.len(), "export name")
                .map(|b| b == want.as_bytes())
                .unwrap_or(false)
            {
                return Ok(Some(Located {
                    va: Va(get(sl.value)),
                    size: None,
                    via: "exports",
                }));
            }
        }
    }
    Ok(None)
}

/// Read `len` bytes at `va`; pages at or past `optional_from` that the dump excluded (makedumpfile
/// drops all-zero pages) read as zeros, as LAYOUT.md section 5 allows for unused pool entries.
fn read_state(
    mem: &KernelMem<'_>,
    va: Va,
    len: usize,
    optional_from: usize,
) -> Result<Vec<u8>, ObjError> {
    let mut out = vec![0u8; len];
    let mut done = 0usize;
    while done < len {
        let cur = va.wrapping_add(done as u64);
        let n = ((4096 - (cur.0 & 0xfff)) as usize).min(len - done);
        match mem.read(cur, &mut out[done..done + n], "modtrack_state") {
            Ok(()) => {}
            Err(e) if e.is_excluded() && done >= optional_from => out[done..done + n].fill(0),
            Err(e) => return Err(e),
        }
        done += n;
    }
    Ok(out)
}

/// Read modtrack's state, if the module is loaded. `None`: no module named `modtrack`. `Err`:
/// it is loaded but its state could not be used (the message names the address and the problem).
/// `kernel_flags` is the dump's taint_flags[]: letters that differ from modtrack's are reported.
pub fn read(
    k: &Kernel<'_>,
    l: &ModuleLayout,
    modules: &[LoadedModule],
    kernel_flags: &[TaintFlagDef],
    warnings: &mut Vec<String>,
) -> Option<Result<ModtrackReport, String>> {
    let m = modules.iter().find(|m| m.name == MODULE_NAME)?;
    let module = Va(m.address);
    let mem = k.mem();
    let mut notes = Vec::new();
    let mut found = None;
    for find in [find_in_kallsyms, find_in_exports] {
        match find(k, &mem, l, module) {
            Ok(Some(loc)) => {
                found = Some(loc);
                break;
            }
            Ok(None) => {}
            Err(e) => notes.push(e),
        }
    }
    let Some(loc) = found else {
        let why = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        return Some(Err(format!(
            "module modtrack at {module}: symbol {STATE_SYMBOL} found neither in its kallsyms nor in its exports{why}"
        )));
    };
    let at = |e: String| {
        format!(
            "modtrack_state at {} (module modtrack at {module}, via {}): {e}",
            loc.va, loc.via
        )
    };
    let head = match mem.read_vec(loc.va, FIXED_HEADER, "modtrack_state header") {
        Ok(b) => b,
        Err(e) => return Some(Err(at(e.to_string()))),
    };
    let h = match header(&head) {
        Ok(h) => h,
        Err(e) => return Some(Err(at(e))),
    };
    if let Some(sz) = loc.size.filter(|&s| s != u64::from(h.state_size)) {
        return Some(Err(at(format!(
            "state_size {} differs from the symbol's size {sz}",
            h.state_size
        ))));
    }
    let bytes = match read_state(&mem, loc.va, h.state_size as usize, h.header_size as usize) {
        Ok(b) => b,
        Err(e) => return Some(Err(at(e.to_string()))),
    };
    let (mut r, w) = match decode(&bytes) {
        Ok(x) => x,
        Err(e) => return Some(Err(at(e))),
    };
    r.state_address = loc.va.0;
    r.module_address = module.0;
    r.found_via = loc.via.into();
    warnings.extend(w.into_iter().map(at));
    if !kernel_flags.is_empty() {
        for e in &r.unloaded_tainted {
            let kernel = module_taint_letters(e.taints, kernel_flags);
            if kernel != e.taint_letters {
                warnings.push(at(format!(
                    "{}: modtrack's taint letters {:?} differ from the kernel's rule {kernel:?} for taints {:#x}",
                    e.name, e.taint_letters, e.taints
                )));
            }
        }
    }
    Some(Ok(r))
}

#[cfg(test)]
mod tests {
    //! A synthetic `modtrack_state` built from tracker/LAYOUT.md's tables with its own literal
    //! offsets (not the parser's constants), then damaged in the ways a dump can be.
    use super::decode;
    use crate::analysis::UnloadTracking;
    use crate::output::kernel_text;

    const SIZE: usize = 33712;
    const NIL: u32 = 0xffff_ffff;

    struct State {
        b: Vec<u8>,
    }

    impl State {
        fn put32(&mut self, at: usize, v: u32) {
            self.b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        fn put64(&mut self, at: usize, v: u64) {
            self.b[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        fn get32(&self, at: usize) -> u32 {
            u32::from_le_bytes(self.b[at..at + 4].try_into().unwrap())
        }
        fn put_str(&mut self, at: usize, s: &str) {
            self.b[at..at + s.len()].copy_from_slice(s.as_bytes());
        }

        /// LAYOUT.md version 1, empty lists, every flag of a 6.1 build (no DECOMPRESS_PROBE,
        /// DUP_EMULATED rather than DUP_PROBE).
        fn new() -> State {
            let mut s = State { b: vec![0; SIZE] };
            s.put_str(0, "MODTRACK");
            for (at, v) in [
                (8, 1),
                (12, 2992),
                (16, 33712),
                (20, 48),
                (24, 48),
                (28, 304),
            ] {
                s.put32(at, v);
            }
            s.put64(32, 10); // seq, even
            s.put32(40, 0x6af); // READY UNLOAD_TP LIVE_NOTIFIER LOAD_PROBES DUP_EMULATED KREAD_PROBES DIE PANIC
            s.put32(44, (6 << 16) | (1 << 8) | 192);
            s.put_str(48, "6.1.0-56-cloud-amd64");
            s.put32(112, 19);
            s.put32(116, 0x7b403);
            s.put_str(120, "PFSRMBUDAWCIOELKXTNJ");
            // unloaded @256 and dupfail @280: head, nr_used, cap, entry_size, dropped
            for (at, cap) in [(256, 256), (280, 128)] {
                s.put32(at, NIL);
                s.put32(at + 8, cap);
                s.put32(at + 12, 80);
            }
            // The field table of LAYOUT.md section 3: (name, scope, type, offset, size).
            let mut fields: Vec<(&str, u16, u16, u32, u32)> = vec![
                ("magic", 0, 6, 0, 8),
                ("layout_version", 0, 1, 8, 4),
                ("header_size", 0, 1, 12, 4),
                ("state_size", 0, 1, 16, 4),
                ("field_size", 0, 1, 20, 4),
                ("nr_fields", 0, 1, 24, 4),
                ("fields_offset", 0, 1, 28, 4),
                ("seq", 0, 2, 32, 8),
                ("flags", 0, 1, 40, 4),
                ("linux_version_code", 0, 1, 44, 4),
                ("release", 0, 3, 48, 64),
                ("nr_taint_flags", 0, 1, 112, 4),
                ("taint_module_mask", 0, 1, 116, 4),
                ("taint_letters", 0, 6, 120, 32),
            ];
            let counters = [
                "modcount",
                "failed_kreads",
                "failed_decompress",
                "failed_becoming",
                "failed_load_modules",
                "total_mod_size",
                "total_text_size",
                "invalid_kread_bytes",
                "invalid_decompress_bytes",
                "invalid_becoming_bytes",
                "invalid_mod_bytes",
                "untracked_loads",
                "probe_missed",
            ];
            for (i, c) in counters.iter().enumerate() {
                fields.push((c, 0, 2, 152 + 8 * i as u32, 8));
            }
            for (list, at) in [("unloaded", 256u32), ("dupfail", 280)] {
                fields.push((
                    if list == "unloaded" {
                        "unloaded.head"
                    } else {
                        "dupfail.head"
                    },
                    0,
                    4,
                    at,
                    4,
                ));
                fields.push((
                    if list == "unloaded" {
                        "unloaded.nr_used"
                    } else {
                        "dupfail.nr_used"
                    },
                    0,
                    1,
                    at + 4,
                    4,
                ));
                fields.push((
                    if list == "unloaded" {
                        "unloaded.cap"
                    } else {
                        "dupfail.cap"
                    },
                    0,
                    1,
                    at + 8,
                    4,
                ));
                fields.push((
                    if list == "unloaded" {
                        "unloaded.entry_size"
                    } else {
                        "dupfail.entry_size"
                    },
                    0,
                    1,
                    at + 12,
                    4,
                ));
                fields.push((
                    if list == "unloaded" {
                        "unloaded.dropped"
                    } else {
                        "dupfail.dropped"
                    },
                    0,
                    2,
                    at + 16,
                    8,
                ));
            }
            fields.extend([
                ("fields", 0, 7, 304, 2688),
                ("unloaded_pool", 0, 5, 2992, 20480),
                ("dupfail_pool", 0, 5, 23472, 10240),
                ("name", 1, 3, 0, 56),
                ("taints", 1, 2, 56, 8),
                ("count", 1, 2, 64, 8),
                ("next", 1, 4, 72, 4),
                ("name", 2, 3, 0, 56),
                ("count", 2, 2, 56, 8),
                ("reasons", 2, 2, 64, 8),
                ("next", 2, 4, 72, 4),
            ]);
            assert_eq!(fields.len(), 48);
            s.set_fields(&fields);
            s
        }

        fn set_fields(&mut self, fields: &[(&str, u16, u16, u32, u32)]) {
            self.b[304..304 + 56 * 48].fill(0);
            for (i, &(name, scope, ty, off, size)) in fields.iter().enumerate() {
                let at = 304 + 48 * i;
                self.put_str(at, name);
                self.b[at + 32..at + 34].copy_from_slice(&scope.to_le_bytes());
                self.b[at + 34..at + 36].copy_from_slice(&ty.to_le_bytes());
                self.put32(at + 36, off);
                self.put32(at + 40, size);
            }
            self.put32(24, fields.len() as u32);
        }

        fn field_index(&self, scope: u16, name: &str) -> usize {
            (0..self.get32(24) as usize)
                .find(|&i| {
                    let at = 304 + 48 * i;
                    let n = &self.b[at..at + 32];
                    let end = n.iter().position(|&c| c == 0).unwrap();
                    &n[..end] == name.as_bytes()
                        && u16::from_le_bytes([self.b[at + 32], self.b[at + 33]]) == scope
                })
                .unwrap()
        }

        /// As modtrack's writer: new entry at nr_used, linked at the head.
        fn push(&mut self, list: usize, pool: usize, name: &str, a: u64, b: u64) -> usize {
            let idx = self.get32(list + 4) as usize;
            let e = pool + idx * 80;
            self.put_str(e, name);
            self.put64(e + 56, a);
            self.put64(e + 64, b);
            let head = self.get32(list);
            self.put32(e + 72, head);
            self.put32(list, idx as u32);
            self.put32(list + 4, idx as u32 + 1);
            e
        }
        fn unloaded(&mut self, name: &str, taints: u64, count: u64) -> usize {
            self.push(256, 2992, name, taints, count)
        }
        fn dupfail(&mut self, name: &str, count: u64, reasons: u64) -> usize {
            self.push(280, 23472, name, count, reasons)
        }
    }

    const P: u64 = 1;
    const O: u64 = 1 << 12;
    const E: u64 = 1 << 13;
    const C: u64 = 1 << 10;
    const W: u64 = 1 << 9; // not a per-module flag: never printed

    fn sample() -> State {
        let mut s = State::new();
        s.unloaded("modcrash_hello", O | E, 3);
        s.unloaded("modcrash_prop", P | O | E | W, 2);
        s.unloaded("modcrash_dual", C, 1);
        s.dupfail("modcrash_slow", 7, 2);
        for (i, v) in [14u64, 1, 0, 2, 3, 454656, 114688, 4096, 0, 100, 8192]
            .iter()
            .enumerate()
        {
            s.put64(152 + 8 * i, *v);
        }
        s
    }

    #[test]
    fn decodes_lists_counters_and_flags() {
        let (r, w) = decode(&sample().b).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.release, "6.1.0-56-cloud-amd64");
        assert_eq!(r.seq, 10);
        assert!(!r.update_in_progress);
        assert_eq!(r.unload_tracking, UnloadTracking::Exact);
        assert!(r.flag_names.contains(&"DUP_EMULATED".to_string()));
        let names: Vec<_> = r
            .unloaded_tainted
            .iter()
            .map(|e| (e.name.as_str(), e.taint_letters.as_str(), e.count))
            .collect();
        assert_eq!(
            names,
            [
                ("modcrash_dual", "C", 1),
                ("modcrash_prop", "POE", 2),
                ("modcrash_hello", "OE", 3)
            ]
        );
        assert_eq!(
            kernel_text::unloaded_tainted(&r.unloaded_tainted),
            "modcrash_dual (C) 1\nmodcrash_prop (POE) 2\nmodcrash_hello (OE) 3\n"
        );
        let s = &r.stats;
        assert_eq!(
            (
                s.modcount,
                s.failed_kreads,
                s.failed_becoming,
                s.failed_load_modules
            ),
            (14, 1, 2, 3)
        );
        assert_eq!(
            (
                s.total_mod_size,
                s.total_text_size,
                s.invalid_kread_bytes,
                s.invalid_mod_bytes
            ),
            (454656, 114688, 4096, 8192)
        );
        // 6.1 flags: no DECOMPRESS_PROBE, so those two are not measurements.
        assert_eq!(
            s.unavailable,
            ["failed_decompress", "invalid_decompress_bytes"]
        );
        assert_eq!(s.dup_failed.len(), 1);
        assert_eq!(
            (
                s.dup_failed[0].name.as_str(),
                s.dup_failed[0].count,
                s.dup_failed[0].reason()
            ),
            ("modcrash_slow", 7, "Load")
        );
        // What modtrack's debugfs stats prints: unavailable counters as 0, like modtrack.
        let t = kernel_text::stats(s);
        assert!(t.contains("Mods failed on decompress\t0\n"), "{t}");
        assert!(t.contains("  Avg fail becoming bytes\t50\n"), "{t}");
        assert!(
            t.ends_with("            modcrash_slow\t              7\t                     Load\n"),
            "{t}"
        );
    }

    #[test]
    fn fields_are_found_by_name_not_position() {
        let mut s = sample();
        // Reverse the table and move modcount into the unused tail of the header... there is
        // none in version 1, so swap modcount and probe_missed instead (data and descriptors).
        let mut fields: Vec<(String, u16, u16, u32, u32)> = (0..48)
            .map(|i| {
                let at = 304 + 48 * i;
                let n = &s.b[at..at + 32];
                let end = n.iter().position(|&c| c == 0).unwrap();
                (
                    String::from_utf8(n[..end].to_vec()).unwrap(),
                    u16::from_le_bytes([s.b[at + 32], s.b[at + 33]]),
                    u16::from_le_bytes([s.b[at + 34], s.b[at + 35]]),
                    s.get32(at + 36),
                    s.get32(at + 40),
                )
            })
            .collect();
        fields.reverse();
        for f in fields.iter_mut() {
            match f.0.as_str() {
                "modcount" => f.3 = 248,
                "probe_missed" => f.3 = 152,
                _ => {}
            }
        }
        let (a, b) = (s.b[152..160].to_vec(), s.b[248..256].to_vec());
        s.b[152..160].copy_from_slice(&b);
        s.b[248..256].copy_from_slice(&a);
        let borrowed: Vec<(&str, u16, u16, u32, u32)> = fields
            .iter()
            .map(|f| (f.0.as_str(), f.1, f.2, f.3, f.4))
            .collect();
        s.set_fields(&borrowed);
        let (r, w) = decode(&s.b).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.stats.modcount, 14);
        assert_eq!(r.unloaded_tainted.len(), 3);
    }

    #[test]
    fn bad_magic_version_and_sizes_are_errors() {
        let mut s = sample();
        s.b[0] = b'X';
        assert!(decode(&s.b).unwrap_err().contains("bad magic"));
        let mut s = sample();
        s.put32(8, 2);
        assert!(decode(&s.b).unwrap_err().contains("layout version 2"));
        let mut s = sample();
        s.put32(20, 16); // field_size below 48
        assert!(decode(&s.b).unwrap_err().contains("field_size"));
        let mut s = sample();
        s.put32(12, 40000); // header_size > state_size
        assert!(decode(&s.b).unwrap_err().contains("inconsistent sizes"));
        let mut s = sample();
        s.put32(24, 60); // a table running past the header
        assert!(decode(&s.b).unwrap_err().contains("inconsistent sizes"));
    }

    #[test]
    fn truncated_states_are_errors() {
        let s = sample();
        for n in [0, 8, 31, 32, 300, 2992, SIZE - 1] {
            let e = decode(&s.b[..n]).unwrap_err();
            assert!(e.contains("truncated"), "{n}: {e}");
        }
    }

    #[test]
    fn missing_or_mistyped_fields_are_errors() {
        let mut s = sample();
        let i = s.field_index(0, "modcount");
        s.put_str(304 + 48 * i, "modcounX");
        assert!(decode(&s.b).unwrap_err().contains("\"modcount\""));
        let mut s = sample();
        let i = s.field_index(0, "modcount");
        s.b[304 + 48 * i + 34] = 1; // u32 instead of u64
        assert!(decode(&s.b).unwrap_err().contains("type"));
        let mut s = sample();
        let i = s.field_index(0, "seq");
        s.put32(304 + 48 * i + 36, 2990); // straddles the end of the header
        assert!(decode(&s.b).unwrap_err().contains("outside"));
        let mut s = sample();
        let i = s.field_index(1, "next");
        s.put32(304 + 48 * i + 36, 78); // past the 80-byte entry
        assert!(decode(&s.b).unwrap_err().contains("outside"));
        let mut s = sample();
        s.put32(256 + 8, 1000); // cap larger than the pool
        assert!(decode(&s.b).unwrap_err().contains("do not fit"));
    }

    #[test]
    fn an_index_out_of_range_stops_the_walk_with_a_warning() {
        let mut s = sample();
        s.put32(256, 300); // head beyond the capacity
        let (r, w) = decode(&s.b).unwrap();
        assert!(r.unloaded_tainted.is_empty());
        assert!(w.iter().any(|w| w.contains("out of range")), "{w:?}");
        let mut s = sample();
        s.put32(280, 5); // head within the capacity but not in use
        let (r, w) = decode(&s.b).unwrap();
        assert!(r.stats.dup_failed.is_empty());
        assert!(w.iter().any(|w| w.contains("not in use")), "{w:?}");
        // The other list is unaffected.
        assert_eq!(r.unloaded_tainted.len(), 3);
    }

    #[test]
    fn cycles_end_the_walk() {
        for bad_next in [2u32, 1] {
            // entry 1 links to itself or to the newer entry 2: both would loop.
            let mut s = sample();
            s.put32(2992 + 80 + 72, bad_next);
            let (r, w) = decode(&s.b).unwrap();
            assert_eq!(r.unloaded_tainted.len(), 2, "{bad_next}");
            assert!(w.iter().any(|w| w.contains("not older")), "{w:?}");
        }
    }

    #[test]
    fn an_odd_seq_is_reported_and_the_walk_trusts_the_head() {
        let mut s = sample();
        s.put64(32, 11);
        // Entry written and linked, nr_used not yet advanced.
        s.put32(256 + 4, 2);
        let (r, w) = decode(&s.b).unwrap();
        assert!(r.update_in_progress);
        assert_eq!(r.unloaded_tainted.len(), 3);
        assert!(w.iter().any(|w| w.contains("update in progress")), "{w:?}");
    }

    #[test]
    fn drops_and_unload_sources_are_reported() {
        let mut s = sample();
        s.put64(256 + 16, 4);
        s.put32(40, 0x6af & !0x2 | 0x800); // GOING notifier instead of the tracepoint
        let (r, w) = decode(&s.b).unwrap();
        assert_eq!(r.unloaded_dropped, 4);
        assert_eq!(r.unload_tracking, UnloadTracking::Approximate);
        assert!(
            w.iter()
                .any(|w| w.contains("4 unloaded tainted modules were not recorded")),
            "{w:?}"
        );
        s.put32(40, 0x1); // READY only: nothing collected
        let (r, _) = decode(&s.b).unwrap();
        assert_eq!(r.unload_tracking, UnloadTracking::None);
        assert_eq!(r.stats.unavailable.len(), 12, "{:?}", r.stats.unavailable);
    }

    #[test]
    fn corrupt_bytes_never_panic() {
        // Every single-byte corruption of the header and table, and random garbage in the lists.
        let base = sample();
        for at in (0..2992).step_by(7) {
            for v in [0u8, 0xff, 0x80] {
                let mut s = State { b: base.b.clone() };
                s.b[at] = v;
                let _ = decode(&s.b);
            }
        }
        let mut x = 0x1234_5678u32;
        for _ in 0..200 {
            let mut s = State { b: base.b.clone() };
            for _ in 0..64 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let at = 256 + (x as usize % (SIZE - 256));
                s.b[at] = (x >> 24) as u8;
            }
            let _ = decode(&s.b);
        }
    }
}
