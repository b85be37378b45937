//! Open once: a dump and what describes its kernel, from paths, and the [`Kernel`] over them.
//! What the CLI, the tests and the benches call.
//!
//! Without a vmlinux named, one is looked for by the dump's build-id ([`DebugSearch`]); only a
//! build-id match counts. Failing that, the dump describes itself: symbols from its kallsyms,
//! types from its BTF ([`DumpSymbols`]).

use super::context::Kernel;
use super::dumpsyms::{DumpSymbols, SelfDescError};
use super::error::KernelError;
use crate::dump::source::MemSource;
use crate::dump::{Dump, DumpError, OpenOptions};
use crate::symbols::{SymError, Vmlinux};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default)]
pub struct TargetOptions {
    /// Read even if the vmlinux does not match the dump (each mismatch becomes a warning).
    pub force: bool,
    /// Read pages a filtered dump left out as zeros.
    pub zero_excluded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Dump(#[from] DumpError),
    #[error(transparent)]
    Vmlinux(#[from] SymError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
    #[error("{source}{}", notes_suffix(.notes))]
    SelfDesc {
        #[source]
        source: Box<SelfDescError>,
        /// What the build-id search tried, so the user sees why no vmlinux was used.
        notes: Vec<String>,
    },
}

fn notes_suffix(notes: &[String]) -> String {
    notes.iter().map(|n| format!("\n  note: {n}")).collect()
}

/// What describes the dump's kernel.
pub enum DebugInfo {
    /// A debug vmlinux (ELF symbols + DWARF); shared, so many dumps of one kernel map it once.
    Vmlinux(Arc<Vmlinux>),
    /// The dump's own kallsyms and BTF.
    Dump(Box<DumpSymbols>),
}

/// Where to look for a vmlinux by build-id.
#[derive(Clone, Debug, Default)]
pub struct DebugSearch {
    /// Directories given by the user (`--debug-dir`, `MODCRASH_DEBUG_PATH`), searched first.
    pub dirs: Vec<PathBuf>,
    /// Also search the system's places: /usr/lib/debug and /boot.
    pub system: bool,
}

impl DebugSearch {
    /// The user's directories from `MODCRASH_DEBUG_PATH` (colon-separated) after `dirs`, and
    /// the system's places.
    pub fn from_env(dirs: Vec<PathBuf>) -> DebugSearch {
        let mut all = dirs;
        if let Some(p) = std::env::var_os("MODCRASH_DEBUG_PATH") {
            all.extend(std::env::split_paths(&p).filter(|p| !p.as_os_str().is_empty()));
        }
        DebugSearch {
            dirs: all,
            system: true,
        }
    }

    /// Files that may be the vmlinux of `build_id` / `release`, in the order tried: under each
    /// directory the build-id tree (`.build-id/xx/rest.debug`), then `boot/vmlinux-RELEASE`,
    /// `vmlinux-RELEASE`, `lib/modules/RELEASE/vmlinux`; /boot/vmlinux-RELEASE last.
    pub fn candidates(&self, build_id: Option<&str>, release: Option<&str>) -> Vec<PathBuf> {
        let mut roots = self.dirs.clone();
        if self.system {
            roots.push(PathBuf::from("/usr/lib/debug"));
        }
        let mut out = Vec::new();
        for r in &roots {
            if let Some(b) = build_id.filter(|b| b.len() > 2 && b.is_ascii()) {
                out.push(
                    r.join(".build-id")
                        .join(&b[..2])
                        .join(format!("{}.debug", &b[2..])),
                );
            }
            if let Some(rel) = release.filter(|r| !r.contains('/') && !r.is_empty()) {
                out.push(r.join("boot").join(format!("vmlinux-{rel}")));
                out.push(r.join(format!("vmlinux-{rel}")));
                out.push(r.join("lib/modules").join(rel).join("vmlinux"));
            }
        }
        if let Some(rel) = release.filter(|r| !r.contains('/') && !r.is_empty()) {
            if self.system {
                out.push(PathBuf::from(format!("/boot/vmlinux-{rel}")));
            }
        }
        out.dedup();
        out
    }
}

/// A dump and what describes its kernel.
pub struct Target {
    pub dump: Dump,
    pub debug: DebugInfo,
    pub options: TargetOptions,
    /// How the debug info was chosen (a vmlinux found by build-id, candidates skipped).
    pub notes: Vec<String>,
}

impl Target {
    /// Open both files (the kernel view is set up by [`Target::kernel`]).
    pub fn open(
        vmcore: impl AsRef<Path>,
        vmlinux: impl AsRef<Path>,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        // The dump first: it is the input a pipeline most often gets wrong, and the error should
        // name it even when the vmlinux is missing too.
        let dump = Target::dump_only(vmcore, &options)?;
        let vmlinux = Arc::new(Vmlinux::open(vmlinux)?);
        Ok(Target {
            dump,
            debug: DebugInfo::Vmlinux(vmlinux),
            options,
            notes: Vec::new(),
        })
    }

    /// Open a dump with no vmlinux named: one found by build-id in `search`, else the dump's
    /// own kallsyms and BTF.
    pub fn open_auto(
        vmcore: impl AsRef<Path>,
        search: &DebugSearch,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        let dump = Target::dump_only(vmcore, &options)?;
        Target::describe(dump, search, options)
    }

    /// Open the parts of one `makedumpfile --split` dump (any order) with the vmlinux given,
    /// or, without one, as [`Target::open_auto`] does.
    pub fn open_split(
        parts: &[impl AsRef<Path>],
        vmlinux: Option<&Path>,
        search: &DebugSearch,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        let srcs = parts
            .iter()
            .map(|p| MemSource::open(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let dump = Dump::split_from_sources(
            srcs,
            OpenOptions {
                zero_excluded: options.zero_excluded,
            },
        )?;
        match vmlinux {
            Some(vm) => Ok(Target {
                dump,
                debug: DebugInfo::Vmlinux(Arc::new(Vmlinux::open(vm)?)),
                options,
                notes: Vec::new(),
            }),
            None => Target::describe(dump, search, options),
        }
    }

    /// What describes an open dump's kernel: a vmlinux found by build-id in `search`, else the
    /// dump's own kallsyms and BTF.
    fn describe(
        dump: Dump,
        search: &DebugSearch,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        let vi = dump.vmcoreinfo();
        let build_id = vi.and_then(|v| v.build_id()).map(str::to_ascii_lowercase);
        let release = vi.and_then(|v| v.osrelease());
        let mut notes = Vec::new();
        if let Some(want) = &build_id {
            for path in search.candidates(Some(want), release) {
                if !path.is_file() {
                    continue;
                }
                match Vmlinux::open(&path) {
                    Ok(vm) if vm.build_id().as_deref() == Some(want.as_str()) => {
                        if vm.has_debug_info() {
                            notes.push(format!(
                                "using {} (its build-id is the dump's, {want})",
                                path.display()
                            ));
                            return Ok(Target {
                                dump,
                                debug: DebugInfo::Vmlinux(Arc::new(vm)),
                                options,
                                notes,
                            });
                        }
                        notes.push(format!(
                            "skipped {}: the dump's build-id, but no debug info",
                            path.display()
                        ));
                    }
                    Ok(vm) => notes.push(format!(
                        "skipped {}: its build-id is {}, the dump's is {want}",
                        path.display(),
                        vm.build_id().as_deref().unwrap_or("absent")
                    )),
                    Err(e) => notes.push(format!("skipped {}: {e}", path.display())),
                }
            }
        }
        let empty = crate::dump::vmcoreinfo::VmcoreInfo::parse(b"");
        match DumpSymbols::read(&dump, vi.unwrap_or(&empty)) {
            Ok(d) => Ok(Target {
                dump,
                debug: DebugInfo::Dump(Box::new(d)),
                options,
                notes,
            }),
            Err(source) => Err(OpenError::SelfDesc {
                source: Box::new(source),
                notes,
            }),
        }
    }

    fn dump_only(vmcore: impl AsRef<Path>, options: &TargetOptions) -> Result<Dump, OpenError> {
        Ok(Dump::open_with(
            vmcore,
            OpenOptions {
                zero_excluded: options.zero_excluded,
            },
        )?)
    }

    /// Open a dump of the kernel whose vmlinux is already open.
    pub fn open_dump(
        vmcore: impl AsRef<Path>,
        vmlinux: Arc<Vmlinux>,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        let dump = Target::dump_only(vmcore, &options)?;
        Ok(Target {
            dump,
            debug: DebugInfo::Vmlinux(vmlinux),
            options,
            notes: Vec::new(),
        })
    }

    /// The vmlinux, when one describes the kernel.
    pub fn vmlinux(&self) -> Option<&Vmlinux> {
        match &self.debug {
            DebugInfo::Vmlinux(v) => Some(v),
            DebugInfo::Dump(_) => None,
        }
    }

    /// The kernel view: translation set up, the symbols checked against the dump.
    pub fn kernel(&self) -> Result<Kernel<'_>, KernelError> {
        match &self.debug {
            DebugInfo::Vmlinux(vm) => {
                Kernel::with_vmlinux(&self.dump, self.dump.vmcoreinfo(), vm, self.options.force)
            }
            DebugInfo::Dump(d) => Kernel::new(
                &self.dump,
                self.dump.vmcoreinfo(),
                &**d,
                &**d,
                self.options.force,
            ),
        }
    }
}
