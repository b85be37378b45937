//! The kernel described by the dump alone: symbols from its kallsyms, types from its BTF
//! (`__start_BTF`..`__stop_BTF`), the types of globals from their declarations
//! (`globals.rs`). One value that is both a [`SymbolSource`] and a [`TypeSource`], so the
//! [`Kernel`](super::Kernel) and every analysis run unchanged on a dump without its vmlinux.

use super::globals::{self, Decl};
use super::kallsyms::{KSym, KallsymsError, KallsymsTable};
use super::mem::{KernelMem, ObjError};
use super::paged::PagedReader;
use crate::addr::Va;
use crate::dump::vmcoreinfo::{VmcoreInfo, VmcoreInfoValueError};
use crate::memory::PhysMem;
use crate::symbols::btf::{Btf, BtfError, MAX_BTF_BYTES};
use crate::symbols::{
    Composite, Encoding, Hint, Member, SymBinding, SymError, SymbolSource, Type, TypeSource,
    Variable,
};
use crate::translate::{Arch, X86_64};

/// Longest `linux_banner` read.
const MAX_BANNER: usize = 1024;

/// Why the dump cannot describe itself; each names what is missing and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SelfDescError {
    #[error("the dump has no VMCOREINFO, so neither its kallsyms nor its page tables can be found; pass the kernel's debug vmlinux")]
    NoVmcoreinfo,
    #[error("bad VMCOREINFO value: {0}")]
    BadValue(#[from] VmcoreInfoValueError),
    #[error(transparent)]
    Setup(#[from] crate::translate::SetupError),
    #[error("no vmlinux, and the dump's kallsyms cannot be read: {source}; pass the kernel's debug vmlinux ({package})")]
    Kallsyms {
        #[source]
        source: Box<KallsymsError>,
        package: String,
    },
    #[error("no vmlinux, and the kernel has no BTF (no __start_BTF/__stop_BTF in its kallsyms: built without CONFIG_DEBUG_INFO_BTF); pass the kernel's debug vmlinux ({package})")]
    NoBtf { package: String },
    #[error("the kernel's BTF at {start} claims {len} bytes (__stop_BTF {stop}), more than {MAX_BTF_BYTES} or negative: kallsyms is damaged; pass the kernel's debug vmlinux ({package})")]
    BtfSize {
        start: Va,
        stop: Va,
        len: i128,
        package: String,
    },
    #[error("reading the kernel's BTF: {source}; pass the kernel's debug vmlinux ({package})")]
    BtfRead {
        #[source]
        source: Box<ObjError>,
        package: String,
    },
    #[error("{source} ({package})")]
    Btf {
        #[source]
        source: BtfError,
        package: String,
    },
}

/// Symbols and types read from the dump.
pub struct DumpSymbols {
    table: KallsymsTable,
    btf: Btf,
    /// KERNELOFFSET: kallsyms has runtime addresses; the traits give link-time ones.
    kaslr: u64,
    build_id: Option<String>,
    banner: Result<String, String>,
    btf_at: Va,
}

/// The Debian package a support engineer would install for this release, for messages.
pub fn vmlinux_package_hint(vi: &VmcoreInfo) -> String {
    match vi.osrelease() {
        Some(r) => format!(
            "e.g. Debian's linux-image-{r}-dbg, which installs /usr/lib/debug/boot/vmlinux-{r}"
        ),
        None => "the -dbg package of the crashed kernel".into(),
    }
}

impl DumpSymbols {
    /// Read kallsyms and BTF from the dump. Cost follows the table's symbol count (bounded) and
    /// the BTF's size (bounded by [`MAX_BTF_BYTES`]), never an unchecked header claim.
    pub fn read(phys: &dyn PhysMem, vi: &VmcoreInfo) -> Result<DumpSymbols, SelfDescError> {
        if vi.is_empty() {
            return Err(SelfDescError::NoVmcoreinfo);
        }
        let package = vmlinux_package_hint(vi);
        let top = vi.symbol("init_top_pgt")?.map(Va);
        let mut arch = X86_64::from_vmcoreinfo(vi, top)?;
        let table = KallsymsTable::read(&KernelMem::new(phys, &arch), vi);
        let table = table.map_err(|source| SelfDescError::Kallsyms {
            source: Box::new(source),
            package: package.clone(),
        })?;
        let one = |name: &str| pick(&table.get(name));
        if let Some(pob) = one("page_offset_base") {
            let mem = KernelMem::new(phys, &arch);
            if let Ok(v) = mem.u64(Va(pob.addr), "page_offset_base") {
                arch.set_direct_map_base(v);
            }
        }
        let mem = KernelMem::new(phys, &arch);
        let (Some(start), Some(stop)) = (one("__start_BTF"), one("__stop_BTF")) else {
            return Err(SelfDescError::NoBtf { package });
        };
        let btf = read_btf(&mem, start.addr, stop.addr, &package)?;
        let banner = match one("linux_banner") {
            Some(s) => {
                let mut buf = vec![0u8; MAX_BANNER];
                match PagedReader::new(&mem, "linux_banner").read(Va(s.addr), &mut buf) {
                    Ok(()) => {
                        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
                        Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            None => Err("linux_banner is not in the dump's kallsyms".into()),
        };
        Ok(DumpSymbols {
            table,
            btf,
            kaslr: vi.kernel_offset()?.unwrap_or(0),
            build_id: vi.build_id().map(str::to_string),
            banner,
            btf_at: Va(start.addr),
        })
    }

    pub fn btf(&self) -> &Btf {
        &self.btf
    }

    pub fn kallsyms(&self) -> &KallsymsTable {
        &self.table
    }

    fn file(&self) -> String {
        format!("kallsyms at {}", self.table.names_at)
    }

    fn unique(&self, name: &str) -> Result<KSym, SymError> {
        let all = self.table.get(name);
        match pick(&all) {
            Some(s) => Ok(s),
            None if all.is_empty() => Err(SymError::SymbolNotFound {
                file: self.file(),
                name: name.to_string(),
                detail: " in the dump's kallsyms".into(),
            }),
            None => Err(SymError::AmbiguousSymbol {
                file: self.file(),
                name: name.to_string(),
                candidates: all
                    .iter()
                    .map(|s| format!("{}@{:#x}", s.kind as char, s.addr))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// `ELEM[n]` with n = the symbol's extent / sizeof(ELEM).
    fn extent_array(&self, addr: u64, elem: Type, name: &str) -> Result<Type, SymError> {
        let size = elem
            .size()
            .filter(|&s| s > 0)
            .ok_or_else(|| SymError::NoDeclaration {
                source_name: self.file(),
                name: format!("{name} (its element type has no size in BTF)"),
            })?;
        let n = self.table.extent(addr).unwrap_or(0) / size;
        Ok(Type::Array {
            elem: Box::new(elem),
            dims: vec![Some(n)],
        })
    }

    fn declared_type(&self, name: &str, decl: Decl, addr: u64) -> Result<Type, SymError> {
        Ok(match decl {
            Decl::Named(spelling) => self.btf.type_named(spelling)?,
            Decl::ArrayToExtent(elem) => {
                let elem = self.btf.type_named(elem)?;
                self.extent_array(addr, elem, name)?
            }
            Decl::PtrArrayToExtent(target) => {
                let elem = Type::Pointer {
                    size: 8,
                    target: target.to_string(),
                    target_ref: None,
                };
                self.extent_array(addr, elem, name)?
            }
            Decl::PerCpuOffset => {
                let ul = self.btf.type_named("unsigned long")?;
                let mut t = self.extent_array(addr, ul, name)?;
                let cpumask_bits = self.btf.find_struct("cpumask")?.size().unwrap_or(0) * 8;
                if let Type::Array { dims, .. } = &mut t {
                    if let Some(Some(n)) = dims.first_mut() {
                        *n = (*n).min(cpumask_bits);
                    }
                }
                t
            }
            Decl::LastUnloadedModule => {
                let name_len = self
                    .btf
                    .find_struct("module")?
                    .member("name")
                    .ok()
                    .and_then(|m| m.size)
                    .unwrap_or(0)
                    + 1;
                let extent = self.table.extent(addr).unwrap_or(name_len).min(4096);
                let char_array = |n: u64| Type::Array {
                    elem: Box::new(Type::Base {
                        name: "char".into(),
                        size: 1,
                        encoding: Encoding::SignedChar,
                    }),
                    dims: vec![Some(n)],
                };
                // A taints[] of at least "(" + one letter + ")" + NUL after the name.
                if extent >= name_len + 4 {
                    Type::Struct(Composite {
                        name: None,
                        size: extent,
                        members: vec![
                            Member {
                                name: Some("name".into()),
                                offset: 0,
                                bitfield: None,
                                ty: char_array(name_len),
                            },
                            Member {
                                name: Some("taints".into()),
                                offset: name_len,
                                bitfield: None,
                                ty: char_array(extent - name_len),
                            },
                        ],
                    })
                } else {
                    char_array(extent)
                }
            }
        })
    }
}

/// Read, parse and index the BTF between `start` and `stop`.
fn read_btf(
    mem: &KernelMem<'_>,
    start: u64,
    stop: u64,
    package: &str,
) -> Result<Btf, SelfDescError> {
    let len = i128::from(stop) - i128::from(start);
    if len <= 0 || len > i128::from(MAX_BTF_BYTES) {
        return Err(SelfDescError::BtfSize {
            start: Va(start),
            stop: Va(stop),
            len,
            package: package.to_string(),
        });
    }
    let mut bytes = vec![0u8; len as usize];
    mem.read_split(Va(start), &mut bytes, "BTF")
        .map_err(|source| SelfDescError::BtfRead {
            source: Box::new(source),
            package: package.to_string(),
        })?;
    let btf = Btf::parse(bytes, start).map_err(|source| SelfDescError::Btf {
        source,
        package: package.to_string(),
    })?;
    // The two name indexes at once.
    std::thread::scope(|s| {
        s.spawn(|| btf.index_enumerators());
        btf.index_names();
    });
    Ok(btf)
}

/// The one symbol of a name: the only global, or the only address.
fn pick(all: &[KSym]) -> Option<KSym> {
    let globals: Vec<&KSym> = all.iter().filter(|s| s.kind.is_ascii_uppercase()).collect();
    if globals.len() == 1 {
        return Some(*globals[0]);
    }
    let first = all.first()?;
    all.iter().all(|s| s.addr == first.addr).then_some(*first)
}

impl SymbolSource for DumpSymbols {
    fn describe(&self) -> String {
        format!(
            "the dump's kallsyms ({} symbols) and BTF ({} types, {} KiB at {})",
            self.table.len(),
            self.btf.type_count(),
            self.btf.byte_len() / 1024,
            self.btf_at
        )
    }
    fn kind(&self) -> &'static str {
        "kallsyms"
    }
    fn symbol_addr(&self, name: &str) -> Result<Va, SymError> {
        Ok(Va(self.unique(name)?.addr.wrapping_sub(self.kaslr)))
    }
    fn build_id(&self) -> Option<String> {
        self.build_id.clone()
    }
    fn release(&self) -> Result<String, SymError> {
        let banner = self.linux_banner()?;
        crate::symbols::release_of_banner(&banner)
            .map(str::to_string)
            .ok_or_else(|| SymError::BadElf {
                file: self.file(),
                what: format!("linux_banner in the dump does not start with \"Linux version \": {banner:?}"),
                todo: "the dump's memory is damaged where the banner is; pass the kernel's debug vmlinux",
            })
    }
    fn linux_banner(&self) -> Result<String, SymError> {
        self.banner.clone().map_err(|what| SymError::BadElf {
            file: self.file(),
            what,
            todo: "pass the kernel's debug vmlinux",
        })
    }
}

impl TypeSource for DumpSymbols {
    fn kind(&self) -> &'static str {
        "btf"
    }
    fn find_struct(&self, name: &str, _hint: Hint<'_>) -> Result<Type, SymError> {
        Ok(self.btf.find_struct(name)?)
    }
    fn enumerator(&self, name: &str, _hint: Hint<'_>) -> Result<i64, SymError> {
        Ok(self.btf.enumerator(name)?)
    }
    fn enum_of(&self, enumerator: &str, _hint: Hint<'_>) -> Result<Type, SymError> {
        Ok(self.btf.enum_of(enumerator)?)
    }
    fn variable(&self, name: &str, file: Option<&str>) -> Result<Variable, SymError> {
        let sym = self.unique(name)?;
        let decl = globals::declaration(name).ok_or_else(|| SymError::NoDeclaration {
            source_name: self.file(),
            name: name.to_string(),
        })?;
        let ty = self.declared_type(name, decl, sym.addr)?;
        Ok(Variable {
            name: name.to_string(),
            symbol: Some(name.to_string()),
            addr: Va(sym.addr.wrapping_sub(self.kaslr)),
            sym_size: self.table.extent(sym.addr),
            binding: Some(if sym.kind.is_ascii_uppercase() {
                SymBinding::Global
            } else {
                SymBinding::Local
            }),
            unit: file.map(str::to_string),
            ty,
            len_is_bound: !matches!(decl, Decl::Named(_)),
        })
    }
}
