//! Address newtypes: a physical address can never be passed where a virtual one is meant.

use std::fmt;

/// A physical (guest-physical) address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pa(pub u64);

/// A kernel virtual address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Va(pub u64);

macro_rules! addr_impl {
    ($t:ident) => {
        impl $t {
            /// Checked addition; `None` on wrap-around.
            pub fn checked_add(self, off: u64) -> Option<$t> {
                self.0.checked_add(off).map($t)
            }
            /// Wrapping addition, for addresses already known to be in range.
            pub fn wrapping_add(self, off: u64) -> $t {
                $t(self.0.wrapping_add(off))
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#x})", stringify!($t), self.0)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }
        impl fmt::LowerHex for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}
addr_impl!(Pa);
addr_impl!(Va);

/// Serialize an address as a `0x…` hex string (the JSON schema's convention).
pub fn hex_string(v: u64) -> String {
    format!("{v:#x}")
}
