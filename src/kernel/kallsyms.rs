//! A few kernel symbols from the dump's own kallsyms table, located through VMCOREINFO (6.0+:
//! `SYMBOL(kallsyms_names)`, `kallsyms_num_syms`, `kallsyms_token_table`, `kallsyms_token_index`,
//! `kallsyms_offsets`, and `kallsyms_relative_base` before 7.0), so a variable can be found with
//! no vmlinux.
//!
//! Format (kernel/kallsyms.c, scripts/kallsyms.c): `kallsyms_names` holds one entry per symbol:
//! a length (6.1+: with 0x80 set it is two bytes, `(b0 & 0x7f) | (b1 << 7)`), then that many token
//! numbers; `kallsyms_token_index[t]` is where token `t` starts in the NUL-separated
//! `kallsyms_token_table`. The first character of the expanded name is the symbol type. Addresses
//! come from `kallsyms_offsets[i]` by one of three schemes, which differ between kernel versions and
//! configs; the one that gives a known symbol (from VMCOREINFO) its VMCOREINFO address is used.

use super::paged::PagedReader;
use super::KernelMem;
use crate::addr::Va;
use crate::dump::vmcoreinfo::{VmcoreInfo, VmcoreInfoValueError};
use crate::kernel::ObjError;

/// More symbols than any kernel has: bounds the walk of `kallsyms_names`.
const MAX_SYMS: u32 = 4 << 20;
/// KSYM_NAME_LEN.
const MAX_NAME: usize = 512;

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
    #[error("kallsyms: no address scheme gives {name} its VMCOREINFO address {expected:#x} (got {got:?}): the table is corrupt or of an unknown format")]
    NoScheme {
        name: String,
        expected: u64,
        got: Vec<u64>,
    },
}

/// Find `wanted` symbols. `check` is a symbol whose address VMCOREINFO gives (e.g. `prb` or
/// `_stext`): it selects the address scheme. Returns each wanted symbol's address, if present.
pub fn lookup(
    mem: &KernelMem<'_>,
    vi: &VmcoreInfo,
    wanted: &[&str],
    check: (&str, u64),
) -> Result<Vec<Option<u64>>, KallsymsError> {
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
    // The 256 tokens.
    let idx = mem.read_vec(Va(tindex), 512, "kallsyms_token_index")?;
    let starts: Vec<usize> = idx
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]) as usize)
        .collect();
    let table_len = starts.iter().copied().max().unwrap_or(0) + 256;
    let mut tr = PagedReader::new(mem, "kallsyms_token_table");
    let mut table = vec![0u8; table_len];
    tr.read(Va(ttable), &mut table)?;
    let tokens: Vec<&[u8]> = starts
        .iter()
        .map(|&s| {
            let t = table.get(s..).unwrap_or(&[]);
            &t[..t.iter().position(|&c| c == 0).unwrap_or(t.len())]
        })
        .collect();

    let mut targets: Vec<&str> = wanted.to_vec();
    targets.push(check.0);
    let mut found: Vec<Option<u32>> = vec![None; targets.len()];
    let mut left = targets.len();
    let mut nr = PagedReader::new(mem, "kallsyms_names");
    let mut pos = names;
    let mut entry = vec![0u8; 2 * MAX_NAME];
    for i in 0..n {
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
        // Compare token by token without building the name (most differ in the first token).
        for (k, t) in targets.iter().enumerate() {
            if found[k].is_none() && name_is(&entry[..len], &tokens, t.as_bytes()) {
                found[k] = Some(i);
                left -= 1;
            }
        }
        if left == 0 {
            break;
        }
    }

    let mut or = PagedReader::new(mem, "kallsyms_offsets");
    let mut schemes = |i: u32| -> Result<[Option<u64>; 3], ObjError> {
        let at = Va(offsets + u64::from(i) * 4);
        let mut b = [0u8; 4];
        or.read(at, &mut b)?;
        let off = i32::from_le_bytes(b);
        Ok([
            // CONFIG_KALLSYMS_ABSOLUTE_PERCPU: non-negative = absolute, negative = base-relative.
            relative_base.map(|base| {
                if off >= 0 {
                    off as u64
                } else {
                    base.wrapping_sub(1).wrapping_sub(off as i64 as u64)
                }
            }),
            // Base-relative (6.15+, and other configs).
            relative_base.map(|base| base.wrapping_add(u64::from(off as u32))),
            // 7.x: relative to the offset's own address.
            Some(at.0.wrapping_add(off as i64 as u64)),
        ])
    };
    let check_i = found
        .pop()
        .flatten()
        .ok_or_else(|| KallsymsError::CheckMissing {
            name: check.0.to_string(),
        })?;
    let cands = schemes(check_i)?;
    let scheme = cands
        .iter()
        .position(|a| *a == Some(check.1))
        .ok_or_else(|| KallsymsError::NoScheme {
            name: check.0.to_string(),
            expected: check.1,
            got: cands.iter().flatten().copied().collect(),
        })?;
    found
        .into_iter()
        .map(|f| match f {
            Some(i) => Ok(schemes(i)?[scheme]),
            None => Ok(None),
        })
        .collect()
}

/// Whether the token numbers `entry` expand to a type letter followed by `want`.
fn name_is(entry: &[u8], tokens: &[&[u8]], want: &[u8]) -> bool {
    let mut pos = 0usize; // bytes of `want` matched; the first expanded byte is the type
    let mut typed = false;
    for &t in entry {
        let mut tok = tokens[usize::from(t)];
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
