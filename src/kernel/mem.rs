//! Kernel virtual memory: typed reads through the translation layer, each fault naming the
//! address and what was being read.

use super::bytes::{c_string, decode_int, StructBytes};
use crate::addr::{Pa, Va};

/// The largest object read in one piece (`struct module` is about 1 KiB; modtrack's state 33 KiB).
pub const MAX_OBJECT: usize = 1 << 20;
use crate::memory::{FaultKind, MemFault, PhysMem};
use crate::translate::{Arch, TranslateError};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ObjError {
    #[error("reading {what} at {va}: {source}")]
    Translate {
        what: String,
        va: Va,
        #[source]
        source: TranslateError,
    },
    #[error("reading {what} at {va} (physical {pa}): {source}")]
    Mem {
        what: String,
        va: Va,
        pa: Pa,
        #[source]
        source: MemFault,
    },
    #[error("{what} at {va}: {problem}")]
    Corrupt {
        what: String,
        va: Va,
        problem: String,
    },
}

impl ObjError {
    /// The virtual address the fault is at.
    pub fn va(&self) -> Va {
        match self {
            ObjError::Translate { va, .. }
            | ObjError::Mem { va, .. }
            | ObjError::Corrupt { va, .. } => *va,
        }
    }

    /// True when the bytes are missing because the dump's filter excluded them: the report goes
    /// on with a warning rather than failing.
    pub fn is_excluded(&self) -> bool {
        match self {
            ObjError::Mem { source, .. } => source.kind == FaultKind::Excluded,
            ObjError::Translate {
                source: TranslateError::PageTable { source, .. },
                ..
            } => source.kind == FaultKind::Excluded,
            _ => false,
        }
    }
}

/// Reads of kernel virtual memory.
pub struct KernelMem<'a> {
    pub phys: &'a dyn PhysMem,
    pub arch: &'a dyn Arch,
}

impl<'a> KernelMem<'a> {
    pub fn new(phys: &'a dyn PhysMem, arch: &'a dyn Arch) -> Self {
        KernelMem { phys, arch }
    }

    /// Bytes from `va` to the end of its page (the architecture's page size).
    fn left_in_page(&self, va: Va) -> usize {
        let ps = self.arch.page_size();
        (ps - (va.0 & (ps - 1))) as usize
    }

    /// Read `buf.len()` bytes at `va`, page by page (a range may cross into another mapping).
    pub fn read(&self, va: Va, buf: &mut [u8], what: &str) -> Result<(), ObjError> {
        self.read_paged(va, buf, what, |cur| {
            self.arch.translate(self.phys, cur).map(|(pa, _)| pa)
        })
    }

    /// Like [`KernelMem::read`], but every page through a full page-table walk, never the
    /// translation's shortcuts (direct map, kernel image): for ranges that can lie inside the
    /// span a shortcut assumes (the vmemmap under CONFIG_RANDOMIZE_MEMORY).
    pub fn read_walked(&self, va: Va, buf: &mut [u8], what: &str) -> Result<(), ObjError> {
        self.read_paged(va, buf, what, |cur| {
            self.arch.walk(self.phys, cur).map(|(pa, _, _)| pa)
        })
    }

    /// The page-by-page loop of the reads: `translate` places each page's first byte.
    fn read_paged(
        &self,
        va: Va,
        buf: &mut [u8],
        what: &str,
        translate: impl Fn(Va) -> Result<Pa, TranslateError>,
    ) -> Result<(), ObjError> {
        let mut done = 0usize;
        while done < buf.len() {
            let cur = va.wrapping_add(done as u64);
            let n = self.left_in_page(cur).min(buf.len() - done);
            let pa = translate(cur).map_err(|source| ObjError::Translate {
                what: what.to_string(),
                va: cur,
                source,
            })?;
            self.phys
                .read_phys(pa, &mut buf[done..done + n])
                .map_err(|source| ObjError::Mem {
                    what: what.to_string(),
                    va: cur,
                    pa,
                    source,
                })?;
            done += n;
        }
        Ok(())
    }

    /// [`KernelMem::read`] of a large range in two halves at once, on two threads: on a
    /// compressed dump a long read is mostly page decompression.
    pub fn read_split(&self, va: Va, buf: &mut [u8], what: &str) -> Result<(), ObjError> {
        const MIN_SPLIT: usize = 256 << 10;
        if buf.len() < MIN_SPLIT {
            return self.read(va, buf, what);
        }
        let mid = (buf.len() / 2) & !4095;
        let (first, second) = buf.split_at_mut(mid);
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| self.read(va.wrapping_add(mid as u64), second, what));
            (self.read(va, first, what), h.join())
        });
        a?;
        b.unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    pub fn read_vec(&self, va: Va, len: usize, what: &str) -> Result<Vec<u8>, ObjError> {
        let mut v = vec![0u8; len];
        self.read(va, &mut v, what)?;
        Ok(v)
    }

    pub fn u64(&self, va: Va, what: &str) -> Result<u64, ObjError> {
        let mut b = [0u8; 8];
        self.read(va, &mut b, what)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn u32(&self, va: Va, what: &str) -> Result<u32, ObjError> {
        let mut b = [0u8; 4];
        self.read(va, &mut b, what)?;
        Ok(u32::from_le_bytes(b))
    }

    /// An unsigned or signed integer of 1, 2, 4 or 8 bytes, sign-extended when `signed`.
    pub fn int(&self, va: Va, size: u64, signed: bool, what: &str) -> Result<i128, ObjError> {
        if !matches!(size, 1 | 2 | 4 | 8) {
            return Err(ObjError::Corrupt {
                what: what.into(),
                va,
                problem: format!("unsupported integer size {size}"),
            });
        }
        let mut b = [0u8; 8];
        self.read(va, &mut b[..size as usize], what)?;
        let v = decode_int(&b[..size as usize], signed);
        Ok(if signed { v as i128 } else { v as u64 as i128 })
    }

    /// The `len` bytes of an object at `va`, to decode through its layout's fields.
    pub fn read_struct(&self, va: Va, len: u64, what: &str) -> Result<StructBytes, ObjError> {
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_OBJECT);
        Ok(StructBytes {
            va,
            bytes: self.read_vec(va, len, what)?,
        })
    }

    /// Read `len` bytes at `va` where pages at or past byte `optional_from` that the dump
    /// excluded (makedumpfile drops all-zero pages) read as zeros.
    pub fn read_zero_excluded_tail(
        &self,
        va: Va,
        len: usize,
        optional_from: usize,
        what: &str,
    ) -> Result<Vec<u8>, ObjError> {
        let mut out = vec![0u8; len];
        let mut done = 0usize;
        while done < len {
            let cur = va.wrapping_add(done as u64);
            let n = self.left_in_page(cur).min(len - done);
            match self.read(cur, &mut out[done..done + n], what) {
                Ok(()) => {}
                Err(e) if e.is_excluded() && done >= optional_from => out[done..done + n].fill(0),
                Err(e) => return Err(e),
            }
            done += n;
        }
        Ok(out)
    }

    /// A NUL-terminated string in a fixed-size array (e.g. `char name[56]`): bytes up to the first
    /// NUL or the array's end. Non-UTF-8 bytes are replaced.
    pub fn c_array_str(&self, va: Va, len: usize, what: &str) -> Result<String, ObjError> {
        Ok(c_string(&self.read_vec(va, len, what)?))
    }

    /// A string behind a `char *`, at most `max` bytes; NULL gives None.
    pub fn c_ptr_str(&self, ptr: u64, max: usize, what: &str) -> Result<Option<String>, ObjError> {
        if ptr == 0 {
            return Ok(None);
        }
        let mut out = Vec::new();
        let mut va = Va(ptr);
        while out.len() < max {
            let chunk = self.left_in_page(va).min(max - out.len());
            let b = self.read_vec(va, chunk, what)?;
            if let Some(n) = b.iter().position(|&c| c == 0) {
                out.extend_from_slice(&b[..n]);
                return Ok(Some(String::from_utf8_lossy(&out).into_owned()));
            }
            out.extend_from_slice(&b);
            va = va.wrapping_add(chunk as u64);
        }
        Err(ObjError::Corrupt {
            what: what.into(),
            va: Va(ptr),
            problem: format!("string is not terminated within {max} bytes"),
        })
    }
}
