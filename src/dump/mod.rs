//! Dump files -> physical memory. Knows nothing about kernels.
//!
//! [`Dump::open`] detects the format by content (never by name) and returns one type that reads
//! physical memory ([`crate::memory::PhysMem`]) whatever the format: ELF64 vmcore,
//! kdump-compressed (plain, flattened, split).

pub mod any_source;
pub mod bitmap;
pub mod cache;
pub mod decompress;
pub mod elf;
pub mod error;
pub mod flattened;
pub mod format;
pub mod info;
pub mod integrity;
pub mod kdump;
mod kdump_open;
pub mod notes;
pub mod source;
pub mod split;
pub mod vmcoreinfo;

pub use error::DumpError;
pub use info::DumpInfo;
pub use integrity::Truncation;

use crate::addr::Pa;
use crate::memory::{FaultKind, MemFault, PhysMem};
use any_source::AnySource;
use elf::ElfDump;
use flattened::FlatSource;
use kdump::{KdumpFile, PageBytes, PageFault};
use source::{ByteSource, MemSource};
use split::SplitDump;
use std::path::Path;
use vmcoreinfo::VmcoreInfo;

/// Whether RAM in a range was written to the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageState {
    /// The bytes are in the dump.
    Present,
    /// RAM the dump tool filtered out; reads fail with `FaultKind::Excluded`.
    Excluded,
}

/// A physical range `[start, end)` of one state. Ranges come sorted and coalesced per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    pub start: Pa,
    pub end: Pa,
    pub state: PageState,
}

/// The container format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DumpFormat {
    Elf,
    Kdump,
    /// Legacy "DISKDUMP" signature.
    Diskdump,
    FlattenedKdump,
    SplitKdump,
}

impl DumpFormat {
    pub fn describe(self) -> &'static str {
        match self {
            DumpFormat::Elf => "elf",
            DumpFormat::Kdump => "kdump",
            DumpFormat::Diskdump => "diskdump",
            DumpFormat::FlattenedKdump => "flattened kdump",
            DumpFormat::SplitKdump => "split kdump",
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    Elf,
    Kdump,
    Flattened,
}

/// Identify a dump by its first bytes, or explain what the file looks like instead.
pub fn detect(name: &str, head: &[u8]) -> Result<Detected, DumpError> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"\x7fELF") {
        return Ok(Detected::Elf);
    }
    if starts(format::KDUMP_SIGNATURE) || starts(format::DISKDUMP_SIGNATURE) {
        return Ok(Detected::Kdump);
    }
    if flattened::is_flattened(head) {
        return Ok(Detected::Flattened);
    }
    let unknown = |looks: &str, hint: &str| DumpError::UnknownFormat {
        path: name.to_string(),
        looks_like: looks.to_string(),
        hint: hint.to_string(),
    };
    let decompress = |what: &str, tool: &str| {
        unknown(
            &format!("a {what}-compressed file"),
            &format!("Decompress it first (`{tool} {name}`) and open the result"),
        )
    };
    let unsupported = |what: &str| DumpError::Unsupported {
        path: name.to_string(),
        what: what.to_string(),
        hint: "Convert it with its own tools (e.g. crash) or take a kdump/ELF dump instead".into(),
    };
    if starts(&[0x1f, 0x8b]) {
        return Err(decompress("gzip", "gunzip -k"));
    }
    if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Err(decompress("xz", "unxz -k"));
    }
    if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(decompress("zstd", "unzstd"));
    }
    if starts(b"BZh") {
        return Err(decompress("bzip2", "bunzip2 -k"));
    }
    if starts(&[0x04, 0x22, 0x4d, 0x18]) {
        return Err(decompress("lz4", "unlz4"));
    }
    // LKCD: dh_magic_number 0xa8190173618f23ed (either byte order).
    const LKCD: u64 = 0xa8190173618f23ed;
    if head.len() >= 8 {
        let m = u64::from_le_bytes(head[..8].try_into().unwrap_or([0; 8]));
        if m == LKCD || m.swap_bytes() == LKCD {
            return Err(unsupported("an LKCD dump"));
        }
    }
    if starts(b"sadump") || (head.len() >= 4 && &head[..4] == b"sadu") {
        return Err(unsupported("a sadump dump"));
    }
    if starts(b"PAGEDU64") || starts(b"PAGEDUMP") {
        return Err(unsupported("a Windows crash dump (QEMU win-dmp)"));
    }
    if starts(b"QEVM") {
        return Err(unsupported("a QEMU savevm/migration stream"));
    }
    if head.is_empty() {
        return Err(unknown(
            "an empty file",
            "Check the path; the dump may not have been written",
        ));
    }
    let n = head.len().min(16);
    let hex: Vec<String> = head[..n].iter().map(|b| format!("{b:02x}")).collect();
    let ascii: String = head[..n]
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
        .collect();
    Err(unknown(
        &format!("unknown content (first bytes: {} \"{ascii}\")", hex.join(" ")),
        "Expected an ELF vmcore, a kdump-compressed file (\"KDUMP   \") or a flattened one (\"makedumpfile\")",
    ))
}

/// Options for opening a dump.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenOptions {
    /// Read filtered-out (excluded) pages as zeros instead of failing (crash's `--zero_excluded`).
    pub zero_excluded: bool,
}

enum Backend {
    Elf(ElfDump),
    Kdump(KdumpFile<MemSource>),
    Flat(KdumpFile<FlatSource>),
    Split(SplitDump),
}

/// An open dump: physical memory plus what the file says about itself.
pub struct Dump {
    backend: Backend,
    zero_excluded: bool,
}

fn open_kdump_like(src: MemSource) -> Result<Backend, DumpError> {
    let name = src.name().to_string();
    match detect(&name, src.slice(0, 16).unwrap_or(src.bytes()))? {
        Detected::Elf => Ok(Backend::Elf(ElfDump::open(src)?)),
        Detected::Kdump => Ok(Backend::Kdump(KdumpFile::open(src)?)),
        Detected::Flattened => {
            let flat = FlatSource::new(src)?;
            let mut head = [0u8; 16];
            let n = flat.len().min(16) as usize;
            let _ = flat.read_at(0, &mut head[..n]);
            match detect(&name, &head[..n]) {
                Ok(Detected::Kdump) => Ok(Backend::Flat(KdumpFile::open(flat)?)),
                Ok(Detected::Elf) => Err(DumpError::Unsupported {
                    path: name.clone(),
                    what: "a flattened ELF dump".into(),
                    hint: format!("Reassemble it with `makedumpfile -R {name}.elf < {name}` and open the result"),
                }),
                Ok(Detected::Flattened) | Err(_) => Err(DumpError::corrupt(
                    &name,
                    format::MDF_HEADER_SIZE,
                    "flattened stream whose rebuilt file does not start with a dump header",
                    "a kdump header (\"KDUMP   \") at rebuilt offset 0",
                )),
            }
        }
    }
}

impl Dump {
    /// Open (mmap) a dump file of any supported format.
    pub fn open(path: impl AsRef<Path>) -> Result<Dump, DumpError> {
        Dump::open_with(path, OpenOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Dump, DumpError> {
        Dump::from_source(MemSource::open(path.as_ref())?, opts)
    }

    /// Open a dump held in memory (tests, fuzzing). `name` is used in messages.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Dump, DumpError> {
        Dump::from_source(MemSource::from_vec(name, bytes), OpenOptions::default())
    }

    pub fn from_source(src: MemSource, opts: OpenOptions) -> Result<Dump, DumpError> {
        Ok(Dump {
            backend: open_kdump_like(src)?,
            zero_excluded: opts.zero_excluded,
        })
    }

    /// Open the files of one `makedumpfile --split` run (any order).
    pub fn open_split<P: AsRef<Path>>(paths: &[P]) -> Result<Dump, DumpError> {
        let srcs = paths
            .iter()
            .map(|p| MemSource::open(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Dump::split_from_sources(srcs, OpenOptions::default())
    }

    pub fn split_from_sources(srcs: Vec<MemSource>, opts: OpenOptions) -> Result<Dump, DumpError> {
        let wrap = |e: DumpError| DumpError::Split {
            msg: "cannot open a part".into(),
            source: Some(Box::new(e)),
        };
        let mut parts = Vec::new();
        for src in srcs {
            let name = src.name().to_string();
            let any = match detect(&name, src.slice(0, 16).unwrap_or(src.bytes())).map_err(wrap)? {
                Detected::Kdump => AnySource::Plain(src),
                Detected::Flattened => AnySource::Flat(FlatSource::new(src).map_err(wrap)?),
                Detected::Elf => {
                    return Err(DumpError::Split {
                        msg: format!(
                            "{name} is an ELF dump; split dumps are kdump-compressed files"
                        ),
                        source: None,
                    })
                }
            };
            parts.push(KdumpFile::open(any).map_err(wrap)?);
        }
        Ok(Dump {
            backend: Backend::Split(SplitDump::new(parts)?),
            zero_excluded: opts.zero_excluded,
        })
    }

    /// Read excluded pages as zeros (true) or fail with `FaultKind::Excluded` (false, default).
    pub fn set_zero_excluded(&mut self, on: bool) {
        self.zero_excluded = on;
    }

    pub fn zero_excluded(&self) -> bool {
        self.zero_excluded
    }

    pub fn format(&self) -> DumpFormat {
        match &self.backend {
            Backend::Elf(_) => DumpFormat::Elf,
            Backend::Kdump(k) if k.flavor == kdump::Flavor::Diskdump => DumpFormat::Diskdump,
            Backend::Kdump(_) => DumpFormat::Kdump,
            Backend::Flat(_) => DumpFormat::FlattenedKdump,
            Backend::Split(_) => DumpFormat::SplitKdump,
        }
    }

    /// The dump's page size (kdump block size; ELF: VMCOREINFO PAGESIZE or 4096).
    pub fn page_size(&self) -> u64 {
        match &self.backend {
            Backend::Elf(e) => e.page_size(),
            Backend::Kdump(k) => k.block_size,
            Backend::Flat(k) => k.block_size,
            Backend::Split(s) => s.block_size(),
        }
    }

    /// VMCOREINFO from wherever the format keeps it (ELF note, kdump sub-header or notes).
    pub fn vmcoreinfo(&self) -> Option<&VmcoreInfo> {
        match &self.backend {
            Backend::Elf(e) => e.vmcoreinfo.as_ref(),
            Backend::Kdump(k) => k.vmcoreinfo.as_ref(),
            Backend::Flat(k) => k.vmcoreinfo.as_ref(),
            Backend::Split(s) => s.parts.iter().find_map(|p| p.vmcoreinfo.as_ref()),
        }
    }

    /// Everything `modcrash info` shows. Reads the bitmaps and up to
    /// [`info::DESCRIPTOR_SCAN_LIMIT`] page descriptors.
    pub fn info(&self) -> DumpInfo {
        let mut i = self.info_of_backend();
        i.add_truncation(self.truncation());
        i
    }

    fn info_of_backend(&self) -> DumpInfo {
        match &self.backend {
            Backend::Elf(e) => DumpInfo::from_elf(e),
            Backend::Kdump(k) => DumpInfo::from_kdump(k, self.format()),
            Backend::Flat(k) => {
                let mut i = DumpInfo::from_kdump(k, DumpFormat::FlattenedKdump);
                // A missing end marker is reported with the truncation (`Dump::truncation`).
                i.flattened = Some(k.source().stats().clone());
                i
            }
            Backend::Split(s) => {
                let mut i = DumpInfo::from_kdump(&s.parts[0], DumpFormat::SplitKdump);
                i.files.clear();
                i.pages_present = 0;
                i.pages_excluded = 0;
                i.compression_seen.clear();
                i.descriptors_scanned = 0;
                i.pages_lost = 0;
                for p in &s.parts {
                    i.files.push(p.source().name().to_string());
                    i.split_parts
                        .push((p.source().name().to_string(), p.pfn_lo, p.pfn_hi));
                    i.count_ranges(p.ranges());
                    i.add_scan(&p.scan_descriptors(info::DESCRIPTOR_SCAN_LIMIT));
                    i.incomplete |= p.incomplete();
                }
                i.warnings.extend(s.warnings.iter().cloned());
                i
            }
        }
    }

    /// Each file of the dump that ends before the data its headers describe (see
    /// [`integrity`]); empty when the dump is whole. Cheap: no page is read.
    pub fn truncation(&self) -> Vec<Truncation> {
        match &self.backend {
            Backend::Elf(e) => e.truncation().into_iter().collect(),
            Backend::Kdump(k) => integrity::kdump(k).into_iter().collect(),
            Backend::Flat(k) => {
                let cut = integrity::kdump(k);
                let st = k.source().stats();
                match cut {
                    Some(mut t) => {
                        if !st.end_marker {
                            t.part = "page data (the flattened stream has no end marker)";
                        }
                        vec![t]
                    }
                    None if !st.end_marker => vec![Truncation {
                        file: k.source().name().to_string(),
                        part: "flattened stream (no end marker)",
                        file_len: k.source().len(),
                        expected_len: None,
                        missing_pages: None,
                        first_missing_pa: None,
                    }],
                    None => vec![],
                }
            }
            Backend::Split(s) => s.parts.iter().filter_map(integrity::kdump).collect(),
        }
    }

    /// All RAM the dump describes, as sorted, coalesced ranges of present or excluded pages.
    /// Physical addresses outside every range are not in the dump.
    pub fn ranges(&self) -> Box<dyn Iterator<Item = PhysRange> + Send + '_> {
        match &self.backend {
            Backend::Elf(e) => Box::new(e.ranges()),
            Backend::Kdump(k) => Box::new(k.ranges()),
            Backend::Flat(k) => Box::new(k.ranges()),
            Backend::Split(s) => Box::new(s.parts.iter().flat_map(|p| p.ranges())),
        }
    }

    /// Only the ranges whose bytes are in the dump.
    pub fn present_ranges(&self) -> impl Iterator<Item = PhysRange> + '_ {
        self.ranges().filter(|r| r.state == PageState::Present)
    }

    /// Read physical memory. Same as [`PhysMem::read_phys`].
    pub fn read(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault> {
        let ze = self.zero_excluded;
        match &self.backend {
            Backend::Elf(e) => e
                .read(pa.0, buf, ze)
                .map_err(|(kind, at, file_offset)| MemFault {
                    kind,
                    pa: Pa(at),
                    file_offset,
                }),
            Backend::Kdump(k) => read_paged(k.block_size, pa, buf, ze, |pfn| k.page(pfn)),
            Backend::Flat(k) => read_paged(k.block_size, pa, buf, ze, |pfn| k.page(pfn)),
            Backend::Split(s) => read_paged(s.block_size(), pa, buf, ze, |pfn| s.page(pfn)),
        }
    }
}

/// Page-by-page read for page-granular formats.
fn read_paged<'a>(
    bs: u64,
    pa: Pa,
    buf: &mut [u8],
    zero_excluded: bool,
    page: impl Fn(u64) -> Result<PageBytes<'a>, PageFault>,
) -> Result<(), MemFault> {
    let mut done = 0usize;
    while done < buf.len() {
        let Some(a) = pa.0.checked_add(done as u64) else {
            return Err(MemFault {
                kind: FaultKind::NotInDump,
                pa: Pa(u64::MAX),
                file_offset: None,
            });
        };
        let (pfn, off) = (a / bs, (a % bs) as usize);
        let n = (bs as usize - off).min(buf.len() - done);
        let out = &mut buf[done..done + n];
        match page(pfn) {
            Ok(p) => out.copy_from_slice(&p[off..off + n]),
            Err((FaultKind::Excluded, _)) if zero_excluded => out.fill(0),
            Err((kind, file_offset)) => {
                return Err(MemFault {
                    kind,
                    pa: Pa(a),
                    file_offset,
                })
            }
        }
        done += n;
    }
    Ok(())
}

impl PhysMem for Dump {
    fn read_phys(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault> {
        self.read(pa, buf)
    }

    fn known_gaps(&self) -> Vec<crate::memory::KnownGap> {
        let mut gaps: Vec<crate::memory::KnownGap> = self
            .truncation()
            .into_iter()
            .map(|t| crate::memory::KnownGap {
                message: t.message(),
                pa: t.first_missing_pa.map(Pa),
            })
            .collect();
        // A split dump given without one of its parts: those PFNs are not in the dump.
        match &self.backend {
            Backend::Split(s) => gaps.extend(s.warnings.iter().map(|w| crate::memory::KnownGap {
                message: format!("split dump: {w}"),
                pa: None,
            })),
            Backend::Kdump(k) if k.split && (k.pfn_lo > 0 || k.pfn_hi < k.max_mapnr) => {
                gaps.push(crate::memory::KnownGap {
                    message: format!(
                        "{} is one part of a `makedumpfile --split` dump (PFNs {:#x}..{:#x} of {:#x}): the other pages are in its other parts; give them all",
                        k.source().name(),
                        k.pfn_lo,
                        k.pfn_hi,
                        k.max_mapnr
                    ),
                    pa: None,
                });
            }
            _ => {}
        }
        gaps
    }
}

impl std::fmt::Debug for Dump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump")
            .field("format", &self.format())
            .field("page_size", &self.page_size())
            .field("zero_excluded", &self.zero_excluded)
            .finish()
    }
}
