//! The `modtrack_state` binary format (tracker/LAYOUT.md): the fixed header, the self-describing
//! field table, and the index-linked pools. Only the 32-byte header is read by offset; every other
//! field is looked up by (scope, name), its type and size checked, and every pool index bounded.

use crate::kernel::bytes::c_string;

pub const MODULE_NAME: &str = "modtrack";
pub const STATE_SYMBOL: &str = "modtrack_state";
/// The layout version this reader knows (LAYOUT.md: a reader must reject others).
pub const LAYOUT_VERSION: u32 = 1;

pub(super) const MAGIC: &[u8; 8] = b"MODTRACK";
/// magic, layout_version, header_size, state_size, field_size, nr_fields, fields_offset.
pub(super) const FIXED_HEADER: usize = 32;
/// The version-1 state is 33,712 bytes; a later version may grow, but not past this.
pub(super) const MAX_STATE_SIZE: u64 = 1 << 20;
pub(super) const MIN_FIELD_SIZE: u32 = 48;
pub(super) const FIELD_NAME_LEN: usize = 32;
pub(super) const MAX_FIELDS: u32 = 4096;
pub(super) const MAX_ENTRY_SIZE: u32 = 4096;
pub(super) const NIL: u32 = u32::MAX;

pub(super) const SCOPE_STATE: u16 = 0;
pub(super) const SCOPE_UNLOADED: u16 = 1;
pub(super) const SCOPE_DUPFAIL: u16 = 2;

pub(super) const TYPE_U32: u16 = 1;
pub(super) const TYPE_U64: u16 = 2;
pub(super) const TYPE_CHARS: u16 = 3;
pub(super) const TYPE_INDEX: u16 = 4;
pub(super) const TYPE_POOL: u16 = 5;
pub(super) const TYPE_BYTES: u16 = 6;

/// `flags` bits (LAYOUT.md section 6).
pub(super) const FLAG_NAMES: [&str; 12] = [
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
pub(super) const F_UNLOAD_TP: u32 = 1 << 1;
pub(super) const F_LIVE_NOTIFIER: u32 = 1 << 2;
pub(super) const F_LOAD_PROBES: u32 = 1 << 3;
pub(super) const F_DUP_PROBE: u32 = 1 << 4;
pub(super) const F_DUP_EMULATED: u32 = 1 << 5;
pub(super) const F_DECOMPRESS_PROBE: u32 = 1 << 6;
pub(super) const F_KREAD_PROBES: u32 = 1 << 7;
pub(super) const F_UNLOAD_NOTIFIER: u32 = 1 << 11;

/// The eleven counters, by the kernel's (and the field table's) names, with the flag that makes
/// each valid.
pub(super) const COUNTERS: [(&str, u32); 11] = [
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
pub(super) struct FieldDesc {
    pub(super) name: String,
    scope: u16,
    ty: u16,
    pub(super) offset: u32,
    pub(super) size: u32,
}

pub(super) struct Blob<'a> {
    pub(super) b: &'a [u8],
}

impl Blob<'_> {
    pub(super) fn bytes(&self, off: u64, len: u64, what: &str) -> Result<&[u8], DecodeError> {
        let beyond = |end| DecodeError::Beyond {
            what: what.to_string(),
            start: off,
            end,
            len: self.b.len(),
        };
        let end = off.checked_add(len).ok_or_else(|| beyond(u64::MAX))?;
        if end > self.b.len() as u64 {
            return Err(beyond(end));
        }
        Ok(&self.b[off as usize..end as usize])
    }
    pub(super) fn u32(&self, off: u64, what: &str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(
            self.bytes(off, 4, what)?.try_into().unwrap_or_default(),
        ))
    }
    pub(super) fn u64(&self, off: u64, what: &str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(
            self.bytes(off, 8, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u16(&self, off: u64, what: &str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(
            self.bytes(off, 2, what)?.try_into().unwrap_or_default(),
        ))
    }
    /// A NUL-terminated char[size]; an unterminated array is taken whole.
    pub(super) fn chars(&self, off: u64, len: u64, what: &str) -> Result<String, DecodeError> {
        Ok(c_string(self.bytes(off, len, what)?))
    }
}

/// The validated fixed header.
#[derive(Clone, Copy, Debug)]
pub(super) struct Header {
    pub(super) header_size: u32,
    pub(super) state_size: u32,
    field_size: u32,
    nr_fields: u32,
    fields_offset: u32,
}

pub(super) fn header(b: &[u8]) -> Result<Header, DecodeError> {
    if b.len() < FIXED_HEADER {
        return Err(DecodeError::ShortHeader { len: b.len() });
    }
    if &b[..8] != MAGIC {
        return Err(DecodeError::BadMagic {
            found: String::from_utf8_lossy(&b[..8]).into_owned(),
        });
    }
    let r = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let version = r(8);
    if version != LAYOUT_VERSION {
        return Err(DecodeError::UnknownVersion { version });
    }
    let h = Header {
        header_size: r(12),
        state_size: r(16),
        field_size: r(20),
        nr_fields: r(24),
        fields_offset: r(28),
    };
    if h.field_size < MIN_FIELD_SIZE {
        return Err(DecodeError::BadHeader(format!(
            "field_size {} is below {MIN_FIELD_SIZE}",
            h.field_size
        )));
    }
    if h.nr_fields > MAX_FIELDS {
        return Err(DecodeError::BadHeader(format!(
            "nr_fields {} is implausible",
            h.nr_fields
        )));
    }
    let table_end = u64::from(h.fields_offset) + u64::from(h.nr_fields) * u64::from(h.field_size);
    if (h.fields_offset as usize) < FIXED_HEADER
        || table_end > u64::from(h.header_size)
        || h.header_size > h.state_size
        || u64::from(h.state_size) > MAX_STATE_SIZE
    {
        return Err(DecodeError::BadHeader(format!(
            "inconsistent sizes: field table {}..{table_end}, header_size {}, state_size {} (want 32 <= table start, table end <= header_size <= state_size <= {MAX_STATE_SIZE})",
            h.fields_offset, h.header_size, h.state_size
        )));
    }
    Ok(h)
}

pub(super) struct Fields {
    list: Vec<FieldDesc>,
    header_size: u32,
    state_size: u32,
}

impl Fields {
    pub(super) fn parse(blob: &Blob<'_>, h: &Header) -> Result<Fields, DecodeError> {
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
    pub(super) fn get(&self, scope: u16, name: &str, ty: u16) -> Result<FieldDesc, DecodeError> {
        let f = self
            .list
            .iter()
            .find(|f| f.scope == scope && f.name == name)
            .ok_or_else(|| DecodeError::NoField {
                scope: scope_name(scope),
                name: name.to_string(),
            })?;
        let size_ok = match ty {
            TYPE_U32 | TYPE_INDEX => f.size == 4,
            TYPE_U64 => f.size == 8,
            _ => f.size > 0,
        };
        if f.ty != ty || !size_ok {
            return Err(DecodeError::FieldType {
                name: name.to_string(),
                ty: f.ty,
                size: f.size,
                want: ty,
            });
        }
        let end = u64::from(f.offset) + u64::from(f.size);
        if scope == SCOPE_STATE {
            let limit = if ty == TYPE_POOL {
                self.state_size
            } else {
                self.header_size
            };
            if end > u64::from(limit) || (ty == TYPE_POOL && f.offset < self.header_size) {
                return Err(DecodeError::FieldOutside {
                    name: format!("{name:?}"),
                    area: format!(
                        "at {}..{end}, outside its area (header {}, state {})",
                        f.offset, self.header_size, self.state_size
                    ),
                });
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
pub(super) struct Pool {
    what: &'static str,
    head: u32,
    nr_used: u32,
    pub(super) cap: u32,
    pub(super) entry_size: u32,
    pub(super) dropped: u64,
    base: u64,
}

pub(super) fn pool(
    blob: &Blob<'_>,
    f: &Fields,
    list: &'static str,
    pool_name: &str,
    what: &'static str,
) -> Result<Pool, DecodeError> {
    let v32 = |n: &str, ty| -> Result<u32, DecodeError> {
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
        return Err(DecodeError::BadPool {
            what,
            problem: format!("entry_size {} is implausible", p.entry_size),
        });
    }
    if u64::from(p.cap) * u64::from(p.entry_size) > u64::from(pd.size) {
        return Err(DecodeError::BadPool {
            what,
            problem: format!(
                "{} entries of {} bytes do not fit the {}-byte pool",
                p.cap, p.entry_size, pd.size
            ),
        });
    }
    Ok(Pool {
        base: u64::from(pd.offset),
        ..p
    })
}

/// Walk a list from its head (LAYOUT.md section 4): every index below the capacity (and below
/// nr_used unless an update was in progress), every `next` smaller than its own index, at most
/// `cap` steps. Returns the entry offsets and the reason the walk stopped early, if it did.
pub(super) fn walk(
    blob: &Blob<'_>,
    p: &Pool,
    next: &FieldDesc,
    torn: bool,
) -> (Vec<u64>, Option<String>) {
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
pub(super) fn entry_field(
    f: &Fields,
    scope: u16,
    name: &str,
    ty: u16,
    entry_size: u32,
) -> Result<FieldDesc, DecodeError> {
    let d = f.get(scope, name, ty)?;
    if u64::from(d.offset) + u64::from(d.size) > u64::from(entry_size) {
        return Err(DecodeError::FieldOutside {
            name: format!("{} field {name:?}", scope_name(scope)),
            area: format!(
                "at {}+{}, outside the {entry_size}-byte entry",
                d.offset, d.size
            ),
        });
    }
    Ok(d)
}

/// Why a `modtrack_state` cannot be used at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("truncated: {len} bytes, the fixed header alone is {FIXED_HEADER}")]
    ShortHeader { len: usize },
    #[error("truncated: state_size is {state_size} but only {len} bytes were read")]
    Truncated { state_size: u32, len: usize },
    #[error("bad magic {found:?} (want \"MODTRACK\")")]
    BadMagic { found: String },
    #[error("layout version {version} is not known to this modcrash (it reads version {LAYOUT_VERSION})")]
    UnknownVersion { version: u32 },
    #[error("{0}")]
    BadHeader(String),
    #[error("{what}: bytes {start}..{end} are beyond the {len} bytes read (truncated state)")]
    Beyond {
        what: String,
        start: u64,
        end: u64,
        len: usize,
    },
    #[error("the field table has no {scope} field {name:?}")]
    NoField { scope: &'static str, name: String },
    #[error("field {name:?} has type {ty} and size {size}, want type {want}")]
    FieldType {
        name: String,
        ty: u16,
        size: u32,
        want: u16,
    },
    #[error("field {name} {area}")]
    FieldOutside { name: String, area: String },
    #[error("{what}: {problem}")]
    BadPool { what: &'static str, problem: String },
}
