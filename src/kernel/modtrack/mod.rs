//! modtrack (tracker/): find `modtrack_state` in the loaded `modtrack` module and decode it
//! through its own field table (tracker/LAYOUT.md), without modtrack's debug info.
//!
//! Finding: the module's kallsyms (`mod->kallsyms`, needs CONFIG_KALLSYMS_ALL for a data symbol),
//! else its exports (`mod->syms`). Nothing here panics on a corrupt state: a state that cannot be
//! used at all is an error naming its address and what was wrong; a damaged list gives the
//! entries read so far and a warning.

pub mod decode;
mod find;
pub mod format;

pub use decode::{decode, Counter, DupFailed, ModtrackState, UnloadTracking, Unloaded};
pub use find::{FoundState, ModtrackError, StateProblem};
pub use format::{DecodeError, LAYOUT_VERSION, MODULE_NAME, STATE_SYMBOL};
