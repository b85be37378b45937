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

use std::ops::ControlFlow;

use crate::symbols::name_index::{name_hash, NameIndex};

use super::paged::PagedReader;
use super::KernelMem;
use crate::addr::Va;
use crate::dump::vmcoreinfo::{VmcoreInfo, VmcoreInfoValueError};
use crate::kernel::ObjError;

/// More symbols than any kernel has: bounds the walk of `kallsyms_names`.
const MAX_SYMS: u32 = 4 << 20;
/// KSYM_NAME_LEN.
const MAX_NAME: usize = 512;
/// More bytes of `kallsyms_names` than any kernel has (Debian 6.12's 154,686 names take 1.6 MiB).
const MAX_NAMES_BYTES: usize = 64 << 20;
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
    #[error("kallsyms_names at {names} runs past {limit} bytes before its last entry, more than any kernel has: corrupt")]
    NamesTooLong { names: Va, limit: usize },
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
    token_table: u64,
    num: u32,
    offsets: u64,
    relative_base: Option<u64>,
    tokens: Tokens,
}

/// Bytes of a token copied in one move when expanding a name.
const SLOT: usize = 16;
/// Room for an expanded name: KSYM_NAME_LEN, twice over (a corrupt entry is cut here), plus a slot.
const NAME_BUF: usize = 2 * MAX_NAME + SLOT;

/// The 256 tokens, each also in a fixed slot so a short one is copied in one move.
#[derive(Clone)]
struct Tokens {
    full: Vec<Vec<u8>>,
    slot: Vec<[u8; SLOT]>,
}

impl Tokens {
    fn new(full: Vec<Vec<u8>>) -> Tokens {
        let slot = full
            .iter()
            .map(|t| {
                let mut s = [0u8; SLOT];
                let n = t.len().min(SLOT);
                s[..n].copy_from_slice(&t[..n]);
                s
            })
            .collect();
        Tokens { full, slot }
    }

    fn get(&self, t: u8) -> &[u8] {
        &self.full[usize::from(t)]
    }

    /// Expand `entry` into `out`; returns the length (cut at [`NAME_BUF`] - [`SLOT`]).
    fn expand(&self, entry: &[u8], out: &mut [u8; NAME_BUF]) -> usize {
        const CUT: usize = NAME_BUF - SLOT;
        let mut n = 0usize;
        for &t in entry {
            if n >= CUT {
                break;
            }
            let tok = &self.full[usize::from(t)];
            if tok.len() <= SLOT {
                // n < CUT, so the whole slot fits.
                out[n..n + SLOT].copy_from_slice(&self.slot[usize::from(t)]);
                n += tok.len();
            } else {
                let k = tok.len().min(CUT - n);
                out[n..n + k].copy_from_slice(&tok[..k]);
                n += k;
            }
        }
        n.min(CUT)
    }
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
        let tokens = Tokens::new(
            starts
                .iter()
                .map(|&s| {
                    let t = table.get(s..).unwrap_or(&[]);
                    t[..t.iter().position(|&c| c == 0).unwrap_or(t.len())].to_vec()
                })
                .collect(),
        );
        Ok(Tables {
            names,
            token_table: ttable,
            num: n,
            offsets,
            relative_base,
            tokens,
        })
    }

    /// Call `f(i, where, token numbers)` for each entry of `kallsyms_names` in order; `where`
    /// is the entry's offset in `raw`, which holds the table's first bytes (those
    /// [`Tables::prefetch`] read, or none) and receives the rest as they are needed (a page at
    /// a time, at most [`MAX_NAMES_BYTES`] in all). A page that cannot be read is an error
    /// only when an entry needs it.
    fn each_entry(
        &self,
        mem: &KernelMem<'_>,
        raw: &mut Vec<u8>,
        mut f: impl FnMut(u32, u32, &[u8]) -> ControlFlow<()>,
    ) -> Result<(), KallsymsError> {
        let mut r = PagedReader::new(mem, "kallsyms_names");
        let mut pos = 0usize;
        let mut fill = |raw: &mut Vec<u8>, need: usize| -> Result<(), KallsymsError> {
            while raw.len() < need {
                if raw.len() >= MAX_NAMES_BYTES {
                    return Err(KallsymsError::NamesTooLong {
                        names: Va(self.names),
                        limit: MAX_NAMES_BYTES,
                    });
                }
                let va = self.names.wrapping_add(raw.len() as u64);
                let n = 4096 - (va & 4095) as usize;
                let at = raw.len();
                raw.resize(at + n, 0);
                if let Err(e) = r.read(Va(va), &mut raw[at..]) {
                    raw.truncate(at);
                    return Err(e.into());
                }
            }
            Ok(())
        };
        for i in 0..self.num {
            fill(raw, pos + 1)?;
            if raw[pos] & 0x80 != 0 {
                fill(raw, pos + 2)?;
            }
            let (len, head) = header(&raw[pos..]);
            fill(raw, pos + head + len)?;
            let take = len.min(2 * MAX_NAME);
            if f(i, pos as u32, &raw[pos + head..pos + head + take]).is_break() {
                break;
            }
            pos += head + len;
        }
        Ok(())
    }

    /// `kallsyms_names` up to `kallsyms_token_table`, which follows it (with the markers in
    /// between) in every 6.x layout, read in two halves at once; nothing when the token table
    /// is elsewhere or a page is missing (then [`Tables::each_entry`] reads page by page).
    fn prefetch(&self, mem: &KernelMem<'_>) -> Vec<u8> {
        let Some(len) = self.token_table.checked_sub(self.names) else {
            return Vec::new();
        };
        if len as usize > MAX_NAMES_BYTES {
            return Vec::new();
        }
        let mut raw = vec![0u8; len as usize];
        match mem.read_split(Va(self.names), &mut raw, "kallsyms_names") {
            Ok(()) => raw,
            Err(_) => Vec::new(),
        }
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
    let mut raw = Vec::new();
    t.each_entry(mem, &mut raw, |i, _, entry| {
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
fn name_is(entry: &[u8], tokens: &Tokens, want: &[u8]) -> bool {
    let mut pos = 0usize; // bytes of `want` matched; the first expanded byte is the type
    let mut typed = false;
    for &t in entry {
        let mut tok = tokens.get(t);
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

/// The whole table: every symbol's address and type letter, its extent (the distance to the
/// next higher address, an upper bound of its size), and its name kept as the kernel stores it
/// (token numbers), found through a hash of the expanded name. Names are expanded once, into
/// one reused buffer, to hash them; nothing is allocated per symbol.
pub struct KallsymsTable {
    tokens: Tokens,
    /// `kallsyms_names` as read; entry `i` starts at `raw[starts[i]]`.
    raw: Vec<u8>,
    starts: Vec<u32>,
    /// Each symbol's runtime address and type letter.
    addrs: Vec<u64>,
    kinds: Vec<u8>,
    /// Names (without the type letter) to symbol numbers.
    by_name: NameIndex,
    /// Distinct addresses, sorted, for extents; empty when `addrs` is sorted already (as
    /// scripts/kallsyms emits it).
    sorted: Vec<u64>,
    /// The address of `kallsyms_names`, for messages.
    pub names_at: Va,
}

impl KallsymsTable {
    /// Read the dump's table. Its cost follows `kallsyms_num_syms`, which is bounded, and
    /// the bytes actually read.
    pub fn read(mem: &KernelMem<'_>, vi: &VmcoreInfo) -> Result<KallsymsTable, KallsymsError> {
        let t = Tables::locate(mem, vi)?;
        // Capacity from the (bounded) claim, but no more than a real table needs.
        let cap = (t.num as usize).min(1 << 18);
        // The offsets are read by a second thread while the names are read and decoded (a
        // real kernel has 50,000 symbols or more; a small table is not worth a thread).
        let read_offsets = || mem.read_vec(Va(t.offsets), t.num as usize * 4, "kallsyms_offsets");
        let (offs, names) = if t.num >= 1 << 14 {
            std::thread::scope(|sc| {
                let offs = sc.spawn(read_offsets);
                let names = Self::decode_names(mem, &t, cap);
                (
                    offs.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    names,
                )
            })
        } else {
            let names = Self::decode_names(mem, &t, cap);
            (read_offsets(), names)
        };
        let (raw, starts, kinds, by_name) = names?;
        let offs = offs?;
        let count = kinds.len() as u32;
        let mut table = KallsymsTable {
            tokens: t.tokens.clone(),
            raw,
            starts,
            addrs: Vec::new(),
            kinds,
            by_name,
            sorted: Vec::new(),
            names_at: Va(t.names),
        };
        let off = |i: u32| {
            let c = &offs[i as usize * 4..i as usize * 4 + 4];
            i32::from_le_bytes([c[0], c[1], c[2], c[3]])
        };
        // The scheme: the first VMCOREINFO symbol the table has.
        let mut scheme = None;
        for &c in CHECK_SYMBOLS {
            let (Some(want), Some(i)) = (vi.symbol(c)?, table.first_named(c)) else {
                continue;
            };
            scheme = Some(t.pick_scheme(t.schemes(t.offset_at(i), off(i)), c, want)?);
            break;
        }
        let scheme = scheme.ok_or(KallsymsError::NoCheckSymbol {
            count,
            names: Va(t.names),
        })?;
        table.addrs = (0..count)
            .map(|i| t.schemes(t.offset_at(i), off(i))[scheme].unwrap_or(0))
            .collect();
        if !table.addrs.is_sorted() {
            let mut sorted = table.addrs.clone();
            sorted.sort_unstable();
            table.sorted = sorted;
        }
        Ok(table)
    }

    /// One pass over `kallsyms_names`: the bytes, where each entry starts, each type letter,
    /// and the name index.
    #[allow(clippy::type_complexity)]
    fn decode_names(
        mem: &KernelMem<'_>,
        t: &Tables,
        cap: usize,
    ) -> Result<(Vec<u8>, Vec<u32>, Vec<u8>, NameIndex), KallsymsError> {
        let mut raw = t.prefetch(mem);
        let mut starts: Vec<u32> = Vec::with_capacity(cap);
        let mut kinds = Vec::with_capacity(cap);
        let mut by_name = NameIndex::with_capacity(cap);
        let mut name = [0u8; NAME_BUF];
        t.each_entry(mem, &mut raw, |_, at, entry| {
            let n = t.tokens.expand(entry, &mut name);
            let (kind, rest) = match name[..n].split_first() {
                Some((k, r)) => (*k, r),
                None => (b'?', &[][..]),
            };
            by_name.push(name_hash(rest));
            starts.push(at);
            kinds.push(kind);
            ControlFlow::Continue(())
        })?;
        by_name.finish();
        Ok((raw, starts, kinds, by_name))
    }

    fn first_named(&self, name: &str) -> Option<u32> {
        self.by_name.first(name.as_bytes(), |j| {
            name_is(
                entry(&self.raw, &self.starts, j),
                &self.tokens,
                name.as_bytes(),
            )
        })
    }

    pub fn len(&self) -> usize {
        self.addrs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty()
    }

    /// Every symbol named `name`, in table order.
    pub fn get(&self, name: &str) -> Vec<KSym> {
        self.by_name
            .find(name.as_bytes(), |j| {
                name_is(
                    entry(&self.raw, &self.starts, j),
                    &self.tokens,
                    name.as_bytes(),
                )
            })
            .map(|i| KSym {
                addr: self.addrs[i as usize],
                kind: self.kinds[i as usize],
            })
            .collect()
    }

    /// Distance from `addr` to the next higher symbol address (None for the last).
    pub fn extent(&self, addr: u64) -> Option<u64> {
        let sorted = if self.sorted.is_empty() {
            &self.addrs
        } else {
            &self.sorted
        };
        let i = sorted.partition_point(|&a| a <= addr);
        sorted.get(i).map(|&next| next - addr)
    }
}

/// An entry's length and the bytes its length takes (6.1+: with 0x80 set, two bytes).
fn header(at: &[u8]) -> (usize, usize) {
    match at {
        [b0, b1, ..] if b0 & 0x80 != 0 => ((usize::from(*b0) & 0x7f) | (usize::from(*b1) << 7), 2),
        [b0, ..] => (usize::from(*b0), 1),
        [] => (0, 1),
    }
}

/// The token numbers of the entry at `at` in `raw` (cut as [`Tables::each_entry`] cuts them).
fn entry<'a>(raw: &'a [u8], starts: &[u32], i: u32) -> &'a [u8] {
    let at = starts[i as usize] as usize;
    let rest = raw.get(at..).unwrap_or(&[]);
    let (len, head) = header(rest);
    rest.get(head..head + len.min(2 * MAX_NAME)).unwrap_or(&[])
}
