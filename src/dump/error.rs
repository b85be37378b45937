//! The one error type of the dump layer: every variant names the file, the offset where it applies,
//! what was expected there, and what the user can do about it.

/// Errors opening or indexing a dump. Reads of individual pages fail with
/// [`crate::memory::MemFault`] instead (small, `Copy`, carries the physical address).
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("cannot open {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The file is not a dump format we read; `looks_like` says what it is.
    #[error("{path}: not a crash dump modcrash can read: {looks_like}. {hint}")]
    UnknownFormat {
        path: String,
        looks_like: String,
        hint: String,
    },

    /// A recognised format, but a variant we do not read (32-bit ELF, big-endian kdump, ...).
    #[error("{path}: {what} is not supported. {hint}")]
    Unsupported {
        path: String,
        what: String,
        hint: String,
    },

    /// A header field or structure has an impossible value.
    #[error("{path}: {what} at file offset {offset:#x}: expected {expected}. {hint}")]
    Corrupt {
        path: String,
        offset: u64,
        what: String,
        expected: String,
        hint: &'static str,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The file ends before a structure that must be there for the dump to be opened at all.
    #[error(
        "{path}: the file is truncated: {what} needs bytes up to offset {needed:#x} but the file is only {len:#x} bytes long; copy the dump again (was the copy interrupted?)"
    )]
    Truncated {
        path: String,
        what: String,
        needed: u64,
        len: u64,
    },

    /// Files passed to [`crate::dump::Dump::open_split`] do not form one split dump.
    #[error("split dump: {msg}")]
    Split {
        msg: String,
        #[source]
        source: Option<Box<DumpError>>,
    },
}

/// Hint used for most corrupt-header errors.
pub const HINT_CORRUPT: &str =
    "The file is damaged or not what its header claims; check it with `makedumpfile --check-params` or re-take the dump";

impl DumpError {
    pub(crate) fn corrupt(
        path: &str,
        offset: u64,
        what: impl Into<String>,
        expected: impl Into<String>,
    ) -> DumpError {
        DumpError::Corrupt {
            path: path.to_string(),
            offset,
            what: what.into(),
            expected: expected.into(),
            hint: HINT_CORRUPT,
            source: None,
        }
    }

    pub(crate) fn truncated(
        path: &str,
        what: impl Into<String>,
        needed: u64,
        len: u64,
    ) -> DumpError {
        DumpError::Truncated {
            path: path.to_string(),
            what: what.into(),
            needed,
            len,
        }
    }
}
