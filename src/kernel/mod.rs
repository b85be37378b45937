//! Typed kernel objects over translated memory.
//!
//! [`Kernel`] reads through three interfaces: an architecture ([`crate::translate::Arch`]), a
//! symbol source and a type source ([`crate::symbols::SymbolSource`], [`TypeSource`]). Struct
//! layouts are declared once (`layout.rs`) and resolved once per kernel; the typed objects
//! (`objects/`, `modtrack/`) are what analyses ask for. [`Target`] opens the whole stack from paths.
//!
//! [`TypeSource`]: crate::symbols::TypeSource

pub mod bytes;
mod check;
pub mod context;
pub mod dumpsyms;
pub mod error;
pub mod globals;
pub mod kallsyms;
pub mod layout;
pub mod list;
pub mod mem;
pub mod modtrack;
pub mod objects;
pub mod open;
pub mod page;
pub mod paged;
pub mod printk;

pub use context::Kernel;
pub use error::{KernelError, ReadError};
pub use list::{list_for_each_entry, walk_list, ListWalk};
pub use mem::{KernelMem, ObjError};
pub use objects::Objects;
pub use open::{OpenError, Target, TargetOptions};
