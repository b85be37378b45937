//! Typed kernel objects over translated memory.

pub mod list;
pub mod mem;

pub use list::{walk_list, ListWalk};
pub use mem::{KernelMem, ObjError};
