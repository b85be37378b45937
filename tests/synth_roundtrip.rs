//! Every format the synth builder writes, read back page by page through `Dump`.

use modcrash::addr::Pa;
use modcrash::dump::{Dump, DumpFormat, OpenOptions, PageState, PhysRange};
use modcrash::memory::{FaultKind, PhysMem};
use modcrash::synth::{self, Compression, ElfLayout, FlattenOpts, Page, Spec};
use std::collections::BTreeMap;

/// What a read of `pfn` must give.
#[derive(Debug, PartialEq)]
enum Want {
    Bytes(Vec<u8>),
    Fault(FaultKind),
}

fn want(spec: &Spec, pfn: u64, lost_from: Option<u64>) -> Want {
    match spec.pages.get(&pfn) {
        Some(_) if lost_from.is_some_and(|l| pfn >= l) => Want::Fault(FaultKind::Incomplete),
        Some(Page::Data(d)) => Want::Bytes(d.clone()),
        Some(Page::Lost) => Want::Fault(FaultKind::Incomplete),
        None if spec.is_ram(pfn) => Want::Fault(FaultKind::Excluded),
        None => Want::Fault(FaultKind::NotInDump),
    }
}

fn coalesce(rs: impl Iterator<Item = PhysRange>) -> Vec<(u64, u64, PageState)> {
    let mut v: Vec<(u64, u64, PageState)> = Vec::new();
    for r in rs {
        match v.last_mut() {
            Some(l) if l.1 == r.start.0 && l.2 == r.state => l.1 = r.end.0,
            _ => v.push((r.start.0, r.end.0, r.state)),
        }
    }
    v
}

fn expected_ranges(spec: &Spec) -> Vec<(u64, u64, PageState)> {
    let ps = spec.page_size as u64;
    let mut v = Vec::new();
    for &(a, b) in &spec.ram {
        for pfn in a..b {
            let st = if spec.pages.contains_key(&pfn) {
                PageState::Present
            } else {
                PageState::Excluded
            };
            v.push(PhysRange {
                start: Pa(pfn * ps),
                end: Pa((pfn + 1) * ps),
                state: st,
            });
        }
    }
    coalesce(v.into_iter())
}

/// Check every page, the ranges, the info counts and VMCOREINFO. `lost_from`: ELF incomplete dumps
/// lose every page from the first lost one on.
fn check(label: &str, d: &Dump, spec: &Spec, lost_from: Option<u64>) {
    let ps = spec.page_size as u64;
    assert_eq!(d.page_size(), ps, "{label}");
    let mut buf = vec![0u8; ps as usize];
    for pfn in 0..spec.max_pfn + 3 {
        let got = match d.read_phys(Pa(pfn * ps), &mut buf) {
            Ok(()) => Want::Bytes(buf.clone()),
            Err(f) => {
                assert_eq!(f.pa, Pa(pfn * ps), "{label}: fault address");
                Want::Fault(f.kind)
            }
        };
        assert_eq!(got, want(spec, pfn, lost_from), "{label}: pfn {pfn:#x}");
    }
    // A read spanning pages 0x10..0x12 at an odd offset, when all three are present.
    if (0x10..0x13).all(|p| matches!(want(spec, p, lost_from), Want::Bytes(_))) {
        let mut big = vec![0u8; 2 * ps as usize + 10];
        d.read_phys(Pa(0x10 * ps + 7), &mut big).unwrap();
        let mut exp = Vec::new();
        for p in 0x10..0x13 {
            if let Want::Bytes(b) = want(spec, p, lost_from) {
                exp.extend(b);
            }
        }
        assert_eq!(big, exp[7..7 + big.len()], "{label}: cross-page read");
    }
    assert_eq!(
        coalesce(d.ranges()),
        expected_ranges(spec),
        "{label}: ranges"
    );
    let info = d.info();
    let ram: u64 = spec.ram.iter().map(|(a, b)| b - a).sum();
    // Pages past the end of a file cut short are missing, not present (an incomplete ELF).
    assert_eq!(
        info.pages_present + info.pages_missing,
        spec.pages.len() as u64,
        "{label}: info present"
    );
    let past_end = lost_from.map_or(0, |l| spec.pages.keys().filter(|&&p| p >= l).count());
    assert_eq!(info.pages_missing, past_end as u64, "{label}: info missing");
    assert_eq!(
        info.pages_excluded,
        ram - spec.pages.len() as u64,
        "{label}: info excluded"
    );
    assert_eq!(info.incomplete, spec.incomplete, "{label}: info incomplete");
    let text = modcrash::output::info::render(&info);
    assert!(text.contains("pages present"), "{label}");
    serde_json::to_string(&info).unwrap();
    if spec.vmcoreinfo.is_some() && (spec.header_version >= 3 || d.format() == DumpFormat::Elf) {
        let vi = d
            .vmcoreinfo()
            .unwrap_or_else(|| panic!("{label}: no VMCOREINFO"));
        assert_eq!(vi.osrelease(), Some("6.1.0-synth"));
        assert_eq!(info.kerneloffset.as_deref(), Some("0x2e000000"), "{label}");
        assert_eq!(info.release.as_deref(), Some("6.1.0-synth"), "{label}");
        assert_eq!(info.pgtable_l5_enabled, Some(0), "{label}");
        assert_eq!(info.crash_time, Some(1700000000), "{label}");
    }
}

#[test]
fn kdump_every_compression_and_page_size() {
    for c in Compression::ALL {
        for ps in [4096u32, 512, 65536] {
            let spec = Spec::sample(ps, c);
            let d = Dump::from_bytes(format!("{c:?}-{ps}"), synth::kdump(&spec)).unwrap();
            assert_eq!(d.format(), DumpFormat::Kdump);
            check(&format!("kdump {c:?} {ps}"), &d, &spec, None);
            let info = d.info();
            if c != Compression::None {
                assert!(
                    info.compression_declared
                        .contains(&format!("{c:?}").to_lowercase()),
                    "{info:?}"
                );
                assert!(
                    info.compression_seen
                        .iter()
                        .any(|(n, _)| *n == format!("{c:?}").to_lowercase()),
                    "{info:?}"
                );
            }
            assert!(
                info.compression_seen.iter().any(|(n, _)| n == "none"),
                "noise pages stay raw: {info:?}"
            );
        }
    }
}

#[test]
fn kdump_header_versions() {
    for v in 1..=6 {
        let mut spec = Spec::sample(4096, Compression::Zlib);
        spec.header_version = v;
        let d = Dump::from_bytes(format!("v{v}"), synth::kdump(&spec)).unwrap();
        check(&format!("kdump v{v}"), &d, &spec, None);
        assert_eq!(d.vmcoreinfo().is_some(), v >= 3, "v{v}");
        assert_eq!(d.info().header_version, Some(v));
    }
}

#[test]
fn kdump_incomplete_and_zero_excluded() {
    let mut spec = Spec::sample(4096, Compression::Lzo);
    spec.incomplete = true;
    for pfn in [0x45u64, 0x101, 0x102] {
        spec.pages.insert(pfn, Page::Lost);
    }
    let bytes = synth::kdump(&spec);
    let mut d = Dump::from_bytes("inc", bytes.clone()).unwrap();
    check("kdump incomplete", &d, &spec, None);
    let info = d.info();
    assert!(info.status_flags.contains(&"incomplete".to_string()));
    assert_eq!(info.pages_lost, 3);
    let mut buf = vec![0xffu8; 4096];
    let f = d.read_phys(Pa(3 * 4096), &mut buf).unwrap_err();
    assert_eq!(f.kind, FaultKind::Excluded);
    assert!(f.to_string().contains("--zero-excluded"));
    let f = d.read_phys(Pa(0x45 * 4096 + 8), &mut buf[..8]).unwrap_err();
    assert_eq!(f.kind, FaultKind::Incomplete);
    assert!(
        f.file_offset.is_some(),
        "lost page fault keeps the descriptor offset"
    );
    d.set_zero_excluded(true);
    d.read_phys(Pa(3 * 4096), &mut buf).unwrap();
    assert!(buf.iter().all(|&b| b == 0));
    // Lost and absent pages still fail.
    assert_eq!(
        d.read_phys(Pa(0x45 * 4096), &mut buf).unwrap_err().kind,
        FaultKind::Incomplete
    );
    assert_eq!(
        d.read_phys(Pa(0x30 * 4096), &mut buf).unwrap_err().kind,
        FaultKind::NotInDump
    );
    // Through OpenOptions too, across an excluded/present boundary.
    let d = Dump::from_source(
        modcrash::dump::source::MemSource::from_vec("inc", bytes),
        OpenOptions {
            zero_excluded: true,
        },
    )
    .unwrap();
    let mut two = vec![0xffu8; 8192];
    d.read_phys(Pa(2 * 4096), &mut two).unwrap();
    assert_eq!(&two[..4096], &synth::page_pattern(2, 4096)[..]);
    assert!(two[4096..].iter().all(|&b| b == 0));
}

#[test]
fn kdump_cut_short_is_truncated_not_panic() {
    let spec = Spec::sample(4096, Compression::None);
    let mut bytes = synth::kdump(&spec);
    bytes.truncate(bytes.len() - 4096 * 3);
    let d = Dump::from_bytes("cut", bytes).unwrap();
    let mut buf = vec![0u8; 4096];
    let last = *spec.pages.keys().last().unwrap();
    let f = d.read_phys(Pa(last * 4096), &mut buf).unwrap_err();
    assert_eq!(f.kind, FaultKind::Truncated);
    assert!(f.file_offset.is_some());
    d.read_phys(Pa(0), &mut buf).unwrap();
}

#[test]
fn flattened_variants() {
    let opts = [
        FlattenOpts::default(),
        FlattenOpts {
            record: 1000,
            reverse: true,
            overwritten_garbage: true,
            ..Default::default()
        },
        FlattenOpts {
            record: 4096,
            skip_zero_records: true,
            ..Default::default()
        },
        FlattenOpts {
            record: 100_000,
            ..Default::default()
        },
    ];
    for c in [Compression::Zlib, Compression::None, Compression::Snappy] {
        let spec = Spec::sample(4096, c);
        let plain = synth::kdump(&spec);
        for (i, o) in opts.iter().enumerate() {
            let d = Dump::from_bytes(format!("flat{i}"), synth::flatten(&plain, *o)).unwrap();
            assert_eq!(d.format(), DumpFormat::FlattenedKdump);
            check(&format!("flattened {c:?} {o:?}"), &d, &spec, None);
            let info = d.info();
            let st = info.flattened.as_ref().unwrap();
            assert!(st.end_marker);
            assert_eq!(st.overlapping, o.overwritten_garbage);
        }
    }
}

#[test]
fn split_dumps() {
    let spec = Spec::sample(4096, Compression::Zstd);
    let parts = synth::kdump_split(&spec, 3);
    let srcs = |flat: bool| {
        parts
            .iter()
            .enumerate()
            .rev() // any order
            .map(|(i, p)| {
                let b = if flat && i == 1 {
                    synth::flatten(p, FlattenOpts::default())
                } else {
                    p.clone()
                };
                modcrash::dump::source::MemSource::from_vec(format!("part{i}"), b)
            })
            .collect::<Vec<_>>()
    };
    for flat in [false, true] {
        let d = Dump::split_from_sources(srcs(flat), OpenOptions::default()).unwrap();
        assert_eq!(d.format(), DumpFormat::SplitKdump);
        check(&format!("split flat={flat}"), &d, &spec, None);
        assert_eq!(d.info().split_parts.len(), 3);
    }
    // Files on disk through open_split.
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path = dir.path().join(format!("vmcore-{i}"));
            std::fs::write(&path, p).unwrap();
            path
        })
        .collect();
    let d = Dump::open_split(&paths).unwrap();
    check("split files", &d, &spec, None);
    // A missing part: its pages are absent, the others read, and info warns.
    let d = Dump::open_split(&[&paths[0], &paths[2]]).unwrap();
    assert!(d.info().warnings.iter().any(|w| w.contains("missing")));
    // ... and the report is told (a known gap becomes a dump warning, exit 1).
    use modcrash::memory::PhysMem;
    let gaps = d.known_gaps();
    assert!(
        gaps.iter()
            .any(|g| g.message.starts_with("split dump: no file holds PFNs")),
        "{gaps:?}"
    );
    // One part opened alone reads as a kdump, with a gap naming what the other parts hold.
    let alone = Dump::open(&paths[1]).unwrap();
    let gaps = alone.known_gaps();
    assert!(
        gaps.iter().any(|g| g
            .message
            .contains("is one part of a `makedumpfile --split` dump")),
        "{gaps:?}"
    );
    assert!(Dump::open_split(&paths).unwrap().known_gaps().is_empty());
    // The same part twice overlaps.
    let e = Dump::open_split(&[&paths[0], &paths[0]]).unwrap_err();
    assert!(e.to_string().contains("overlaps"), "{e}");
    // A non-split file is refused.
    let whole = dir.path().join("whole");
    std::fs::write(&whole, synth::kdump(&spec)).unwrap();
    let e = Dump::open_split(&[&whole]).unwrap_err();
    assert!(e.to_string().contains("not part of a split dump"), "{e}");
}

#[test]
fn elf_layouts_and_filtering() {
    for layout in [ElfLayout::Qemu, ElfLayout::Kernel] {
        let spec = Spec::sample(4096, Compression::None);
        let d = Dump::from_bytes(format!("{layout:?}"), synth::elf(&spec, layout)).unwrap();
        assert_eq!(d.format(), DumpFormat::Elf);
        check(&format!("elf {layout:?}"), &d, &spec, None);
        let info = d.info();
        assert_eq!(info.notes.as_ref().unwrap().prstatus, 1);
    }
}

#[test]
fn elf_incomplete() {
    let mut spec = Spec::sample(4096, Compression::None);
    spec.incomplete = true;
    spec.pages.insert(0x47, Page::Lost);
    let d = Dump::from_bytes("elf-inc", synth::elf(&spec, ElfLayout::Kernel)).unwrap();
    // Pages are stored in PFN order, so everything from 0x47 on is gone.
    check("elf incomplete", &d, &spec, Some(0x47));
    assert!(d.info().incomplete);
}

#[test]
fn open_from_file_and_threads() {
    let spec = Spec::sample(4096, Compression::Zlib);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whatever.name"); // detection is by content
    std::fs::write(&path, synth::kdump(&spec)).unwrap();
    let d = std::sync::Arc::new(Dump::open(&path).unwrap());
    let pages: BTreeMap<u64, Page> = spec.pages.clone();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let d = d.clone();
            let pages = &pages;
            s.spawn(move || {
                let mut buf = vec![0u8; 4096];
                for round in 0..20 {
                    for (&pfn, p) in pages.iter().skip(((t + round) % 5) as usize) {
                        if let Page::Data(b) = p {
                            d.read_phys(Pa(pfn * 4096), &mut buf).unwrap();
                            assert_eq!(&buf, b);
                        }
                    }
                }
            });
        }
    });
}

#[test]
fn detection_errors_explain() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0x1f, 0x8b, 8, 0, 0, 0], "gzip"),
        (vec![0xfd, b'7', b'z', b'X', b'Z', 0, 1], "xz"),
        (vec![0x28, 0xb5, 0x2f, 0xfd, 1], "zstd"),
        (b"BZh91AY&SY".to_vec(), "bzip2"),
        (0xa8190173618f23edu64.to_le_bytes().to_vec(), "LKCD"),
        (b"sadump\0\0xxxx".to_vec(), "sadump"),
        (b"hello world, not a dump".to_vec(), "68 65 6c 6c"),
        (vec![], "empty"),
    ];
    for (bytes, needle) in cases {
        let e = Dump::from_bytes("x.vmcore", bytes).unwrap_err();
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
    let e = Dump::from_bytes("x", vec![0x1f, 0x8b])
        .unwrap_err()
        .to_string();
    assert!(e.contains("Decompress it first"), "{e}");
    // A vmlinux-like ELF.
    let mut exec = synth::elf(&Spec::sample(4096, Compression::None), ElfLayout::Kernel);
    exec[16] = 2;
    let e = Dump::from_bytes("vmlinux", exec).unwrap_err().to_string();
    assert!(e.contains("vmlinux"), "{e}");
    let e = Dump::open("/nonexistent/vmcore").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/vmcore"), "{e}");
}
