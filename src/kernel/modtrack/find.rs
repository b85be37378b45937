//! Locate modtrack's state in the dump and read its bytes.

use super::decode::{decode, ModtrackState};
use super::format::{header, DecodeError, FIXED_HEADER, MAX_STATE_SIZE, STATE_SYMBOL};
use crate::addr::Va;
use crate::kernel::error::ReadError;
use crate::kernel::mem::ObjError;
use crate::kernel::objects::modsyms::ModuleSymbol;
use crate::kernel::Kernel;

/// A decoded state and where it was.
#[derive(Clone, Debug)]
pub struct FoundState {
    pub state: ModtrackState,
    pub addr: Va,
    pub module: Va,
    /// "kallsyms" or "exports".
    pub via: &'static str,
    /// Used, but something is off (torn update, damaged list, dropped entries); each names the state.
    pub warnings: Vec<String>,
}

impl FoundState {
    /// `msg`, prefixed with where the state is.
    pub fn note(&self, msg: &str) -> String {
        format!(
            "modtrack_state at {} (module modtrack at {}, via {}): {msg}",
            self.addr, self.module, self.via
        )
    }
}

/// What was wrong with a state that was found.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StateProblem {
    #[error(transparent)]
    Read(#[from] ObjError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("state_size {state_size} differs from the symbol's size {symbol_size}")]
    Size { state_size: u32, symbol_size: u64 },
}

/// Why modtrack is loaded but its state cannot be used.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ModtrackError {
    #[error("module modtrack at {module}: symbol {STATE_SYMBOL} found neither in its kallsyms nor in its exports{}", notes(.why))]
    NotFound { module: Va, why: Vec<String> },
    #[error("modtrack_state at {addr} (module modtrack at {module}, via {via}): {problem}")]
    State {
        addr: Va,
        module: Va,
        via: &'static str,
        #[source]
        problem: Box<StateProblem>,
    },
}

impl ModtrackError {
    /// The kernel address the error is about, for the report's warning: the state
    /// (`modtrack_state`) when it was found, else the modtrack `struct module` searched.
    pub fn addr(&self) -> Va {
        match self {
            ModtrackError::NotFound { module, .. } => *module,
            ModtrackError::State { addr, .. } => *addr,
        }
    }
}

fn notes(why: &[String]) -> String {
    if why.is_empty() {
        String::new()
    } else {
        format!(" ({})", why.join("; "))
    }
}

impl Kernel<'_> {
    /// Find, read and decode the state of the modtrack module whose `struct module` is at
    /// `module`.
    pub fn modtrack_state(&self, module: Va) -> Result<FoundState, ModtrackError> {
        let mut why = Vec::new();
        let fits = |size: u64| (FIXED_HEADER as u64..=MAX_STATE_SIZE).contains(&size);
        let lookups: [&dyn Fn() -> Result<Option<ModuleSymbol>, ReadError>; 2] = [
            &|| {
                let l = self.module_layout()?;
                self.module_kallsyms_lookup(module, l, STATE_SYMBOL, fits)
            },
            &|| {
                let l = self.module_layout()?;
                self.module_export_lookup(module, l, STATE_SYMBOL)
            },
        ];
        let mut found = None;
        for lookup in lookups {
            match lookup() {
                Ok(Some(s)) => {
                    found = Some(s);
                    break;
                }
                Ok(None) => {}
                Err(e) => why.push(e.to_string()),
            }
        }
        let sym = found.ok_or(ModtrackError::NotFound { module, why })?;
        let fail = |problem: StateProblem| ModtrackError::State {
            addr: sym.addr,
            module,
            via: sym.via,
            problem: Box::new(problem),
        };
        let (state, warnings) = self.read_state(&sym).map_err(fail)?;
        let mut found = FoundState {
            state,
            addr: sym.addr,
            module,
            via: sym.via,
            warnings: Vec::new(),
        };
        found.warnings = warnings.into_iter().map(|w| found.note(&w)).collect();
        Ok(found)
    }

    fn read_state(&self, sym: &ModuleSymbol) -> Result<(ModtrackState, Vec<String>), StateProblem> {
        let mem = self.mem();
        let head = mem.read_vec(sym.addr, FIXED_HEADER, "modtrack_state header")?;
        let h = header(&head)?;
        if let Some(sz) = sym.size.filter(|&s| s != u64::from(h.state_size)) {
            return Err(StateProblem::Size {
                state_size: h.state_size,
                symbol_size: sz,
            });
        }
        // Unused pool entries may sit on all-zero pages a filtered dump left out (LAYOUT.md 5).
        let bytes = mem.read_zero_excluded_tail(
            sym.addr,
            h.state_size as usize,
            h.header_size as usize,
            "modtrack_state",
        )?;
        Ok(decode(&bytes)?)
    }
}
