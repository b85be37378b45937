//! The kernel's own symbol table (kallsyms), read from the dump through VMCOREINFO (6.0+:
//! `SYMBOL(kallsyms_names)`, `kallsyms_num_syms`, `kallsyms_token_table`, `kallsyms_token_index`,
//! `kallsyms_offsets`, and `kallsyms_relative_base` before 7.0): a few symbols by name
//! ([`lookup`], for the log's `printk_time`) or the whole table ([`KallsymsTable`], the symbol
//! source when there is no vmlinux).
//!
//! Format (kernel/kallsyms.c, scripts/kallsyms.c): `kallsyms_names` holds one entry per symbol:
//! a length (6.1+: with 0x80 set it is two bytes, `(b0 & 0x7f) | (b1 << 7)`), then that many token
//! numbers; `kallsyms_token_index[t]` is where token `t` starts in the NUL-separated
//! `kallsyms_token_table`. The first character of the expanded name is the symbol type. Addresses
//! come from `kallsyms_offsets[i]` by one of three schemes, which differ between kernel versions and
//! configs; the one that gives a known symbol (from VMCOREINFO) its VMCOREINFO address is used.

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::paged::PagedReader;
use super::KernelMem;
use crate::addr::Va;
use crate::dump::vmcoreinfo::{VmcoreInfo, VmcoreInfoValueError};
use crate::kernel::ObjError;

/// More symbols than any kernel has: bounds the walk of `kallsyms_names`.
const MAX_SYMS: u32 = 4 << 20;
/// KSYM_NAME_LEN.
const MAX_NAME: usize = 512;
/// Symbols VMCOREINFO gives on x86_64 and every 6.x kernel, tried in order to pick the scheme.
const CHECK_SYMBOLS: &[&str] = &[
    "init_top_pgt",
    "_stext",
    "prb",
    "init_uts_ns",
    "swapper_pg_dir",
];

#[derive(Debug, thiserror::Error)]
pub enum KallsymsError {
    #[error("VMCOREINFO has no {0} (kernels before 6.0 do not export kallsyms)")]
    MissingKey(&'static str),
    #[error("bad VMCOREINFO value: {0}")]
    BadValue(#[from] VmcoreInfoValueError),
    #[error("reading kallsyms: {0}")]
    Read(#[from] ObjError),
    #[error("kallsyms_num_syms at {va} is {value}, more than any kernel has: corrupt")]
    Count { va: Va, value: u32 },
    #[error("kallsyms: the check symbol {name} is not in the table")]
    CheckMissing { name: String },
    #[error("kallsyms: no symbol VMCOREINFO gives ({}) is in the table of {count} names at {names}: the table is corrupt", CHECK_SYMBOLS.join(", "))]
    NoCheckSymbol { count: u32, names: Va },
    #[error("kallsyms: no address scheme gives {name} its VMCOREINFO address {expected:#x} (got {got}): the table is corrupt or of an unknown format")]
    NoScheme {
        name: String,
        expected: u64,
        got: String,
    },
}

/// Where the tables are, and the 256 expanded tokens.
struct Tables {
    names: u64,
    num: u32,
    offsets: u64,
    relative_base: Option<u64>,
    tokens: Vec<Vec<u8>>,
}

impl Tables {
    fn locate(mem: &KernelMem<'_>, vi: &VmcoreInfo) -> Result<Tables, KallsymsError> {
        let key = |name: &'static str, k: &'static str| -> Result<u64, KallsymsError> {
            vi.symbol(name)?.ok_or(KallsymsError::MissingKey(k))
        };
        let names = key("kallsyms_names", "SYMBOL(kallsyms_names)")?;
        let num = key("kallsyms_num_syms", "SYMBOL(kallsyms_num_syms)")?;
        let ttable = key("kallsyms_token_table", "SYMBOL(kallsyms_token_table)")?;
        let tindex = key("kallsyms_token_index", "SYMBOL(kallsyms_token_index)")?;
        let offsets = key("kallsyms_offsets", "SYMBOL(kallsyms_offsets)")?;
        let relative_base = match vi.symbol("kallsyms_relative_base")? {
            Some(a) => Some(mem.u64(Va(a), "kallsyms_relative_base")?),
            None => None,
        };
        let n = mem.u32(Va(num), "kallsyms_num_syms")?;
        if n > MAX_SYMS {
            return Err(KallsymsError::Count {
                va: Va(num),
                value: n,
            });
        }
        let idx = mem.read_vec(Va(tindex), 512, "kallsyms_token_index")?;
        let starts: Vec<usize> = idx
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]) as usize)
            .collect();
        let table_len = starts.iter().copied().max().unwrap_or(0) + 256;
        let mut tr = PagedReader::new(mem, "kallsyms_token_table");
        let mut table = vec![0u8; table_len];
        tr.read(Va(ttable), &mut table)?;
        let tokens = starts
            .iter()
            .map(|&s| {
                let t = table.get(s..).unwrap_or(&[]);
                t[..t.iter().position(|&c| c == 0).unwrap_or(t.len())].to_vec()
            })
            .collect();
        Ok(Tables {
            names,
            num: n,
            offsets,
            relative_base,
            tokens,
        })
    }

    /// Call `f(i, token numbers)` for each entry of `kallsyms_names` in order.
    fn each_entry(
        &self,
        mem: &KernelMem<'_>,
        mut f: impl FnMut(u32, &[u8]) -> ControlFlow<()>,
    ) -> Result<(), KallsymsError> {
        let mut nr = PagedReader::new(mem, "kallsyms_names");
        let mut pos = self.names;
        let mut entry = vec![0u8; 2 * MAX_NAME];
        for i in 0..self.num {
            let mut b = [0u8; 1];
            nr.read(Va(pos), &mut b)?;
            let mut len = usize::from(b[0]);
            pos += 1;
            if len & 0x80 != 0 {
                nr.read(Va(pos), &mut b)?;
                len = (len & 0x7f) | (usize::from(b[0]) << 7);
                pos += 1;
            }
            let len = len.min(entry.len());
            nr.read(Va(pos), &mut entry[..len])?;
            pos += len as u64;
            if f(i, &entry[..len]).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The three candidate addresses of offset `off` stored at `at`.
    fn schemes(&self, at: u64, off: i32) -> [Option<u64>; 3] {
        [
            // CONFIG_KALLSYMS_ABSOLUTE_PERCPU: non-negative = absolute, negative = base-relative.
            self.relative_base.map(|base| {
                if off >= 0 {
                    off as u64
                } else {
                    base.wrapping_sub(1).wrapping_sub(off as i64 as u64)
                }
            }),
            // Base-relative (6.15+, and other configs).
            self.relative_base
                .map(|base| base.wrapping_add(u64::from(off as u32))),
            // 7.x: relative to the offset's own address.
            Some(at.wrapping_add(off as i64 as u64)),
        ]
    }

    fn offset_at(&self, i: u32) -> u64 {
        self.offsets + u64::from(i) * 4
    }

    /// Which scheme gives `(i, want)` its address.
    fn pick_scheme(
        &self,
        cands: [Option<u64>; 3],
        name: &str,
        want: u64,
    ) -> Result<usize, KallsymsError> {
        cands
            .iter()
            .position(|a| *a == Some(want))
            .ok_or_else(|| KallsymsError::NoScheme {
                name: name.to_string(),
                expected: want,
                got: cands
                    .iter()
                    .flatten()
                    .map(|a| format!("{a:#x}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// Find `wanted` symbols. `check` is a symbol whose address VMCOREINFO gives (e.g. `prb` or
/// `_stext`): it selects the address scheme. Returns each wanted symbol's address, if present.
pub fn lookup(
    mem: &KernelMem<'_>,
    vi: &VmcoreInfo,
    wanted: &[&str],
    check: (&str, u64),
) -> Result<Vec<Option<u64>>, KallsymsError> {
    let t = Tables::locate(mem, vi)?;
    let mut targets: Vec<&str> = wanted.to_vec();
    targets.push(check.0);
    let mut found: Vec<Option<u32>> = vec![None; targets.len()];
    let mut left = targets.len();
    t.each_entry(mem, |i, entry| {
        // Compare token by token without building the name (most differ in the first token).
        for (k, w) in targets.iter().enumerate() {
            if found[k].is_none() && name_is(entry, &t.tokens, w.as_bytes()) {
                found[k] = Some(i);
                left -= 1;
            }
        }
        if left == 0 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let mut or = PagedReader::new(mem, "kallsyms_offsets");
    let mut schemes = |i: u32| -> Result<[Option<u64>; 3], ObjError> {
        let at = t.offset_at(i);
        let mut b = [0u8; 4];
        or.read(Va(at), &mut b)?;
        Ok(t.schemes(at, i32::from_le_bytes(b)))
    };
    let check_i = found
        .pop()
        .flatten()
        .ok_or_else(|| KallsymsError::CheckMissing {
            name: check.0.to_string(),
        })?;
    let scheme = t.pick_scheme(schemes(check_i)?, check.0, check.1)?;
    found
        .into_iter()
        .map(|f| match f {
            Some(i) => Ok(schemes(i)?[scheme]),
            None => Ok(None),
        })
        .collect()
}

/// Whether the token numbers `entry` expand to a type letter followed by `want`.
fn name_is(entry: &[u8], tokens: &[Vec<u8>], want: &[u8]) -> bool {
    let mut pos = 0usize; // bytes of `want` matched; the first expanded byte is the type
    let mut typed = false;
    for &t in entry {
        let mut tok = tokens[usize::from(t)].as_slice();
        if !typed {
            match tok.split_first() {
                Some((_, rest)) => {
                    tok = rest;
                    typed = true;
                }
                None => continue,
            }
        }
        let end = pos + tok.len();
        if end > want.len() || want[pos..end] != *tok {
            return false;
        }
        pos = end;
    }
    typed && pos == want.len()
}

/// One kallsyms symbol: its runtime address and type letter (`T`, `d`, `B`, ...: upper case
/// is global).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KSym {
    pub addr: u64,
    pub kind: u8,
}

/// The whole table, decoded once: every name, its address and type, and each symbol's extent
/// (the distance to the next higher address, an upper bound of its size).
pub struct KallsymsTable {
    syms: Vec<KSym>,
    by_name: HashMap<Box<str>, Vec<u32>>,
    /// Distinct addresses, sorted, for extents.
    sorted: Vec<u64>,
    /// The address of `kallsyms_names`, for messages.
    pub names_at: Va,
}

impl KallsymsTable {
    /// Decode the dump's table. Its cost follows `kallsyms_num_syms`, which is bounded, and
    /// the bytes actually read.
    pub fn read(mem: &KernelMem<'_>, vi: &VmcoreInfo) -> Result<KallsymsTable, KallsymsError> {
        let t = Tables::locate(mem, vi)?;
        let mut by_name: HashMap<Box<str>, Vec<u32>> = HashMap::with_capacity(t.num as usize);
        let mut kinds = Vec::with_capacity(t.num as usize);
        let mut name = Vec::with_capacity(MAX_NAME);
        t.each_entry(mem, |i, entry| {
            name.clear();
            for &tok in entry {
                name.extend_from_slice(&t.tokens[usize::from(tok)]);
            }
            let (kind, rest) = name
                .split_first()
                .map(|(k, r)| (*k, r))
                .unwrap_or((b'?', &[]));
            kinds.push(kind);
            by_name
                .entry(String::from_utf8_lossy(rest).into())
                .or_default()
                .push(i);
            ControlFlow::Continue(())
        })?;
        let count = kinds.len() as u32;
        let raw = mem.read_vec(Va(t.offsets), count as usize * 4, "kallsyms_offsets")?;
        let offs: Vec<i32> = raw
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        // The scheme: the first VMCOREINFO symbol the table has.
        let mut scheme = None;
        for &c in CHECK_SYMBOLS {
            let (Some(want), Some(ids)) = (vi.symbol(c)?, by_name.get(c)) else {
                continue;
            };
            let i = ids[0];
            scheme = Some(t.pick_scheme(t.schemes(t.offset_at(i), offs[i as usize]), c, want)?);
            break;
        }
        let scheme = scheme.ok_or(KallsymsError::NoCheckSymbol {
            count,
            names: Va(t.names),
        })?;
        let syms: Vec<KSym> = offs
            .iter()
            .zip(kinds)
            .enumerate()
            .map(|(i, (&o, kind))| KSym {
                addr: t.schemes(t.offset_at(i as u32), o)[scheme].unwrap_or(0),
                kind,
            })
            .collect();
        let mut sorted: Vec<u64> = syms.iter().map(|s| s.addr).collect();
        sorted.sort_unstable();
        sorted.dedup();
        Ok(KallsymsTable {
            syms,
            by_name,
            sorted,
            names_at: Va(t.names),
        })
    }

    pub fn len(&self) -> usize {
        self.syms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }

    /// Every symbol named `name`.
    pub fn get(&self, name: &str) -> Vec<KSym> {
        self.by_name
            .get(name)
            .map(|ids| ids.iter().map(|&i| self.syms[i as usize]).collect())
            .unwrap_or_default()
    }

    /// Distance from `addr` to the next higher symbol address (None for the last).
    pub fn extent(&self, addr: u64) -> Option<u64> {
        let i = self.sorted.partition_point(|&a| a <= addr);
        self.sorted.get(i).map(|&next| next - addr)
    }
}
