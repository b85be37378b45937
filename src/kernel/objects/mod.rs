//! Typed kernel objects: what the analyses ask the kernel layer for. Each reader resolves its
//! layout once (through [`Kernel`](super::Kernel)'s cache), walks lists with the validated walk,
//! and returns plain values with the faults it met, never offsets.

pub mod modsyms;
pub mod module;
pub mod stats;
pub mod taint;
pub mod tracking;

use super::mem::ObjError;
use crate::addr::Va;

/// The objects of a list, in list order: each one's address and the object, or the fault that
/// made it unreadable; and the fault that stopped the walk early, if any (`walked` nodes were
/// visited before it).
#[derive(Debug)]
pub struct Objects<T> {
    pub entries: Vec<(Va, Result<T, ObjError>)>,
    pub stopped: Option<ObjError>,
    pub walked: usize,
}

/// A list cap that no real kernel reaches: a longer list is corrupt.
pub const MAX_LIST: usize = 1 << 20;
