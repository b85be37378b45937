//! Variables: the data symbol gives the address, the DWARF `DW_TAG_variable` whose location is
//! that address (or, failing that, a definition or declaration with a type) gives the type.

use super::dwarf::{basename, DieRef, NamedKind, Want};
use super::{describe, Hint, SymBinding, SymError, SymKind, Symbol, Type, Variable, Vmlinux};
use crate::addr::Va;

/// A DW_TAG_variable found so far: how well it matches (see [`Vmlinux::score_variable_die`]),
/// its unit and DIE, and its location address.
#[derive(Clone, Copy)]
struct Candidate {
    score: u8,
    unit: u32,
    die: DieRef,
    loc: Option<u64>,
}

/// The search for one variable's DIE over units, in the order they are offered.
struct VarSearch<'a> {
    vm: &'a Vmlinux,
    name: &'a str,
    /// The addresses the DIE's location may have (one, unless same-named statics remain).
    addrs: Vec<u64>,
    best: Option<Candidate>,
    /// Exact (address-matched) hits in different units, to detect real ambiguity.
    exact: Vec<(u32, u64)>,
    /// The hint's units, in the order they were tried.
    tried: Vec<u32>,
}

impl VarSearch<'_> {
    /// Score every variable DIE named `name` in unit `u`; keep the best.
    fn consider(&mut self, u: u32) -> Result<(), SymError> {
        let ud = self.vm.dwarf.unit_data(u)?;
        for d in ud
            .named(self.name)
            .filter(|d| d.kind == NamedKind::Variable)
        {
            let die = DieRef {
                unit: u,
                offset: d.offset.0,
            };
            let Some((score, loc)) = self.vm.score_variable_die(die, &self.addrs)? else {
                continue;
            };
            if let (3, Some(l)) = (score, loc) {
                if !self.exact.iter().any(|e| e.1 == l) {
                    self.exact.push((u, l));
                }
            }
            if self.best.is_none_or(|b| score > b.score) {
                self.best = Some(Candidate {
                    score,
                    unit: u,
                    die,
                    loc,
                });
            }
        }
        Ok(())
    }

    /// Try the units named by `paths`, in order, until one address-matched hit settles it.
    fn try_units_named(&mut self, paths: Vec<&str>) -> Result<(), SymError> {
        for u in self.vm.dwarf.units_named(paths) {
            let u = u?;
            self.tried.push(u);
            self.consider(u)?;
            // With one candidate address, the first exact hit settles it.
            if self.addrs.len() == 1 && self.best.is_some_and(|b| b.score >= 3) {
                break;
            }
        }
        Ok(())
    }
}

impl Vmlinux {
    /// A variable's link-time address and type. `file_hint` is the defining source file (a path
    /// suffix such as "kernel/module/tracking.c" or a basename); it selects among same-named
    /// statics and says which unit holds the DWARF. Without it, a static's own `STT_FILE` is used;
    /// a global without a hint falls back to scanning units.
    pub fn variable(&self, name: &str, file_hint: Option<&str>) -> Result<Variable, SymError> {
        let syms = self.data_symbols(name, file_hint)?;
        let sym = self.unique_symbol(name, file_hint, &syms)?;
        let mut search = VarSearch {
            vm: self,
            name,
            addrs: match sym {
                Some(s) => vec![s.addr],
                None => syms.iter().map(|s| s.addr).collect(),
            },
            best: None,
            exact: Vec::new(),
            tried: Vec::new(),
        };
        // Units to look in: the hint's, else those named by the statics' STT_FILE entries.
        if let Some(h) = file_hint {
            search.try_units_named(vec![h])?;
        }
        if search.tried.is_empty() {
            let files: Vec<&str> = syms
                .iter()
                .filter(|s| s.binding == SymBinding::Local)
                .filter_map(|s| s.file)
                .collect();
            if !files.is_empty() {
                search.try_units_named(files)?;
            }
        }
        self.refuse_exact_ambiguity(name, &search.exact)?;
        let hint = file_hint.map(Hint::File).unwrap_or(Hint::Any);
        let scanned = match search.best {
            Some(_) => 0,
            None => self.search_other_units(&mut search, hint)?,
        };
        let Some(best) = search.best else {
            return Err(SymError::VariableNotFound {
                file: self.elf.file.clone(),
                name: name.to_string(),
                searched: self.describe_hint(hint, &search.tried, scanned),
            });
        };
        self.finish_variable(name, sym, &syms, best)
    }

    /// The defined data symbols named `name` (else `name.N`, a function-scope static), narrowed
    /// by the hint's basename to that file's statics, or to globals if it has none; one per
    /// address. Without an address there is nothing to read, so none is an error at once,
    /// before any DWARF is read.
    fn data_symbols(
        &self,
        name: &str,
        file_hint: Option<&str>,
    ) -> Result<Vec<Symbol<'_>>, SymError> {
        let st = self.elf.symtab()?;
        let is_data = |s: &Symbol<'_>| {
            s.shndx != object::elf::SHN_UNDEF
                && matches!(
                    s.kind,
                    SymKind::Object | SymKind::NoType | SymKind::Common | SymKind::Tls
                )
        };
        let mut syms: Vec<Symbol<'_>> = st.lookup(name).into_iter().filter(is_data).collect();
        if syms.is_empty() {
            syms = st
                .lookup_suffixed(name)
                .into_iter()
                .filter(is_data)
                .collect();
        }
        if let Some(h) = file_hint {
            let base = basename(h);
            let is_local_here =
                |s: &Symbol<'_>| s.binding == SymBinding::Local && s.file == Some(base);
            if syms.iter().any(is_local_here) {
                syms.retain(is_local_here);
            } else {
                syms.retain(|s| s.binding != SymBinding::Local);
            }
        }
        syms.sort_by_key(|s| s.addr);
        syms.dedup_by_key(|s| s.addr);
        if syms.is_empty() {
            return Err(SymError::SymbolNotFound {
                file: self.elf.file.clone(),
                name: name.to_string(),
                detail: match file_hint {
                    Some(h) => format!(" (data symbol, defined in {h})"),
                    None => " (data symbol)".into(),
                },
            });
        }
        Ok(syms)
    }

    /// The one symbol among `syms`; `None` when they are same-named statics of files with the
    /// same basename and a hint was given (DWARF decides); an error when it cannot be told.
    fn unique_symbol<'s>(
        &self,
        name: &str,
        file_hint: Option<&str>,
        syms: &[Symbol<'s>],
    ) -> Result<Option<Symbol<'s>>, SymError> {
        match syms {
            [one] => Ok(Some(*one)),
            many if file_hint.is_some() && many.iter().all(|s| s.binding == SymBinding::Local) => {
                Ok(None)
            }
            many => Err(SymError::AmbiguousSymbol {
                file: self.elf.file.clone(),
                name: name.to_string(),
                candidates: describe(many),
            }),
        }
    }

    /// Address-matched definitions in two units are a real ambiguity: refuse to pick one.
    fn refuse_exact_ambiguity(&self, name: &str, exact: &[(u32, u64)]) -> Result<(), SymError> {
        if exact.len() < 2 {
            return Ok(());
        }
        Err(SymError::AmbiguousSymbol {
            file: self.elf.file.clone(),
            name: name.to_string(),
            candidates: exact
                .iter()
                .map(|(u, a)| format!("{a:#x} in {}", self.dwarf.unit_name(*u).unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The fallback: the other units, nearest first, that have a variable DIE of that name,
    /// until a definition is found. Returns how many units it had to consider.
    fn search_other_units(&self, s: &mut VarSearch<'_>, hint: Hint<'_>) -> Result<usize, SymError> {
        let order = self.fallback_order(hint, &s.tried)?;
        let want = Want::Named {
            kinds: &[NamedKind::Variable],
            allow_decl: true,
        };
        for &u in &order {
            if self.dwarf.unit_has(u, s.name, want)? {
                s.consider(u)?;
                if s.best.is_some_and(|b| b.score >= 2 || s.addrs.is_empty()) {
                    break;
                }
            }
        }
        Ok(order.len())
    }

    /// The [`Variable`] for the best DIE: the symbol's address (or the DIE's location), and the
    /// DIE's type.
    fn finish_variable(
        &self,
        name: &str,
        sym: Option<Symbol<'_>>,
        syms: &[Symbol<'_>],
        best: Candidate,
    ) -> Result<Variable, SymError> {
        let sym = sym.or_else(|| {
            best.loc
                .and_then(|a| syms.iter().find(|s| s.addr == a).copied())
        });
        let addr = match (sym, best.loc) {
            (Some(s), _) => s.addr,
            (None, Some(a)) => a,
            (None, None) => {
                return Err(SymError::SymbolNotFound {
                    file: self.elf.file.clone(),
                    name: name.to_string(),
                    detail: format!(
                        " (DWARF in {} has no address for it: score {})",
                        self.dwarf.unit_name(best.unit).unwrap_or("?"),
                        best.score
                    ),
                })
            }
        };
        let ty = self.variable_type(best.die, name)?;
        Ok(Variable {
            name: name.to_string(),
            symbol: sym.map(|s| s.name.to_string()),
            addr: Va(addr),
            sym_size: sym.map(|s| s.size),
            binding: sym.map(|s| s.binding),
            unit: self.dwarf.unit_name(best.unit).map(str::to_string),
            ty,
            len_is_bound: false,
        })
    }

    /// Score a DW_TAG_variable: 3 = its DW_OP_addr is one of `addrs`, 2 = a definition with some
    /// other/no location while we have no address to check, 1 = a declaration with a type.
    /// Returns the location address, if any.
    fn score_variable_die(
        &self,
        r: DieRef,
        addrs: &[u64],
    ) -> Result<Option<(u8, Option<u64>)>, SymError> {
        let slot = self.dwarf.slot(r.unit)?;
        let (_, a) = self.dwarf.die_attrs(r)?;
        let loc = a.location.and_then(|v| self.dwarf.location_addr(slot, v));
        Ok(Some(match loc {
            Some(l) if addrs.contains(&l) => (3, Some(l)),
            Some(_) if !addrs.is_empty() => return Ok(None),
            Some(l) => (2, Some(l)),
            None => (1, None),
        }))
    }

    /// The type of a variable DIE, following DW_AT_specification / DW_AT_abstract_origin.
    fn variable_type(&self, mut r: DieRef, name: &str) -> Result<Type, SymError> {
        for _ in 0..8 {
            let (_, a) = self.dwarf.die_attrs(r)?;
            if let Some(t) = a.ty {
                let tr = self.dwarf.type_ref_attr(r.unit, t)?;
                return self.dwarf.resolve_type(tr, name);
            }
            match a.origin {
                Some(o) => match self.dwarf.die_ref(r.unit, o)? {
                    Some(next) => r = next,
                    None => break,
                },
                None => break,
            }
        }
        Err(SymError::UnexpectedDwarf {
            file: self.elf.file.clone(),
            section: ".debug_info",
            offset: self.dwarf.global_offset(r),
            what: format!("variable {name}"),
            expected: "a DW_AT_type (directly or through DW_AT_specification)".into(),
        })
    }
}
