//! Byte sources: where the readers get file bytes from. A plain file (mmap or an in-memory
//! buffer) here; the flattened-format index (`flattened.rs`) is another; both look like one
//! random-access file.

use super::error::DumpError;
use std::path::Path;

/// A read ran past the end of the source; `len` is the source's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange {
    pub len: u64,
}

/// Random access to the bytes of one (possibly virtual) dump file.
pub trait ByteSource: Send + Sync {
    /// File name for messages.
    fn name(&self) -> &str;
    /// Length in bytes.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fill `buf` with the bytes at `off..off+buf.len()`, or fail if that passes the end.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), OutOfRange>;
    /// A zero-copy view, when the bytes are contiguous in memory.
    fn slice(&self, _off: u64, _len: usize) -> Option<&[u8]> {
        None
    }
    /// The offset in the real file that holds virtual offset `off` (same for plain files).
    fn file_offset(&self, off: u64) -> Option<u64> {
        Some(off)
    }
    /// Whether the file really holds every byte of `off..off+len` (a virtual file can have
    /// ranges it only reads as zeros: a flattened stream cut short). Plain files: within `len`.
    fn holds(&self, off: u64, len: u64) -> bool {
        off.checked_add(len).is_some_and(|e| e <= self.len())
    }
    /// Whether every byte of `off..off+len` was written to the file (a flattened stream's gaps
    /// were not, whatever its end marker says). Plain files: within `len`.
    fn recorded(&self, off: u64, len: u64) -> bool {
        self.holds(off, len)
    }
}

enum Bytes {
    Mmap(memmap2::Mmap),
    Vec(Vec<u8>),
}

/// A plain file: mmapped, or owned bytes (tests, fuzzing).
pub struct MemSource {
    name: String,
    bytes: Bytes,
}

impl MemSource {
    /// Map `path` read-only.
    pub fn open(path: &Path) -> Result<MemSource, DumpError> {
        let name = path.display().to_string();
        let io = |source| DumpError::Io {
            path: name.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(io(std::io::Error::other("is a directory")));
        }
        if meta.len() == 0 {
            return Ok(MemSource::from_vec(name, Vec::new()));
        }
        // SAFETY: the map is read-only. If another process truncates the file while it is mapped,
        // accesses past the new end raise SIGBUS; that is the accepted trade-off of mmap-based
        // readers (crash and libkdumpfile do the same). Dump files are not modified in place.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        #[cfg(unix)]
        {
            let _ = map.advise(memmap2::Advice::Random);
        }
        Ok(MemSource {
            name,
            bytes: Bytes::Mmap(map),
        })
    }

    /// Owned bytes under a display name.
    pub fn from_vec(name: impl Into<String>, bytes: Vec<u8>) -> MemSource {
        MemSource {
            name: name.into(),
            bytes: Bytes::Vec(bytes),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mmap(m) => m,
            Bytes::Vec(v) => v,
        }
    }
}

impl ByteSource for MemSource {
    fn name(&self) -> &str {
        &self.name
    }
    fn len(&self) -> u64 {
        self.bytes().len() as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), OutOfRange> {
        match self.slice(off, buf.len()) {
            Some(s) => {
                buf.copy_from_slice(s);
                Ok(())
            }
            None => Err(OutOfRange { len: self.len() }),
        }
    }
    fn slice(&self, off: u64, len: usize) -> Option<&[u8]> {
        let b = self.bytes();
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(len)?;
        b.get(start..end)
    }
}

/// Read `len` bytes at `off` into a new buffer, refusing lengths above `cap` (untrusted sizes).
pub(crate) fn read_vec<S: ByteSource + ?Sized>(
    src: &S,
    off: u64,
    len: u64,
    cap: u64,
) -> Result<Vec<u8>, OutOfRange> {
    let end = off.checked_add(len).ok_or(OutOfRange { len: src.len() })?;
    if len > cap || end > src.len() {
        return Err(OutOfRange { len: src.len() });
    }
    let mut v = vec![0u8; len as usize];
    src.read_at(off, &mut v)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_source_bounds() {
        let s = MemSource::from_vec("t", vec![1, 2, 3, 4]);
        let mut b = [0u8; 2];
        s.read_at(2, &mut b).unwrap();
        assert_eq!(b, [3, 4]);
        assert!(s.read_at(3, &mut b).is_err());
        assert!(s.read_at(u64::MAX, &mut b).is_err());
        assert!(read_vec(&s, 0, 5, 100).is_err());
        assert_eq!(read_vec(&s, 1, 2, 100).unwrap(), vec![2, 3]);
    }
}
