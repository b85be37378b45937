//! Why the kernel log cannot be read at all. Damage inside the ring is not an error: it is a
//! [`super::RingProblem`] next to the records that could be read.

use crate::addr::Va;
use crate::dump::vmcoreinfo::VmcoreInfoValueError;
use crate::kernel::ObjError;
use crate::symbols::SymError;

#[derive(Debug, thiserror::Error)]
pub enum PrintkError {
    #[error("VMCOREINFO has no {key}, and no matching vmlinux was given to find it in the debug info; the dump's VMCOREINFO lacks the printk ringbuffer layout (kernel 5.10+ exports it; pass the kernel's debug vmlinux)")]
    MissingKey { key: String },
    #[error("this kernel keeps its log in the pre-5.10 `log_buf` (VMCOREINFO has SYMBOL(log_buf), not SYMBOL(prb)); modcrash reads only the 5.10+ lockless printk ringbuffer")]
    PreLockless,
    #[error("bad VMCOREINFO value: {0}")]
    BadValue(#[from] VmcoreInfoValueError),
    #[error("printk ringbuffer layout: {key} = {value} is implausible ({why}); the VMCOREINFO or debug info is corrupt")]
    Implausible {
        key: String,
        value: u64,
        why: &'static str,
    },
    #[error(
        "VMCOREINFO has no {key}, and the vmlinux debug info does not have it either: {source}"
    )]
    NotInDwarf {
        key: String,
        #[source]
        source: SymError,
    },
    #[error("cannot read the printk ringbuffer header: {0}")]
    Header(#[source] ObjError),
    #[error("the printk ringbuffer at {va} is corrupt: {field} = {value:#x} ({why})")]
    CorruptHeader {
        va: Va,
        field: &'static str,
        value: u64,
        why: &'static str,
    },
}
