//! Typed kernel objects over translated memory.

pub mod context;
pub mod kallsyms;
pub mod layout;
pub mod list;
pub mod mem;
pub mod paged;
pub mod printk;

pub use context::{Kernel, KernelError};
pub use list::{walk_list, ListWalk};
pub use mem::{KernelMem, ObjError};
