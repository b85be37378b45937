//! A plain or a flattened file behind one type, for places that hold several files of different
//! kinds (split dumps).

use super::flattened::FlatSource;
use super::source::{ByteSource, MemSource, OutOfRange};

/// Either kind of source, for places that hold several files of different kinds (split dumps).
pub enum AnySource {
    Plain(MemSource),
    Flat(FlatSource),
}

impl ByteSource for AnySource {
    fn name(&self) -> &str {
        match self {
            AnySource::Plain(s) => s.name(),
            AnySource::Flat(s) => s.name(),
        }
    }
    fn len(&self) -> u64 {
        match self {
            AnySource::Plain(s) => s.len(),
            AnySource::Flat(s) => s.len(),
        }
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), OutOfRange> {
        match self {
            AnySource::Plain(s) => s.read_at(off, buf),
            AnySource::Flat(s) => s.read_at(off, buf),
        }
    }
    fn slice(&self, off: u64, len: usize) -> Option<&[u8]> {
        match self {
            AnySource::Plain(s) => s.slice(off, len),
            AnySource::Flat(s) => s.slice(off, len),
        }
    }
    fn file_offset(&self, off: u64) -> Option<u64> {
        match self {
            AnySource::Plain(s) => s.file_offset(off),
            AnySource::Flat(s) => s.file_offset(off),
        }
    }
}
