//! `struct page` read from every real dump (every scenario x dump variant), for pages whose
//! state the guest knows:
//! - the kernel image (`_stext`) and `empty_zero_page`: memblock-reserved at boot, so PG_reserved
//!   (the zero page: exactly that flag, refcount 1, not mapped through rmap), node 0 (the guests
//!   have one node), and the zone the kernel gives that physical address (ZONE_DMA below
//!   16 MiB, ZONE_DMA32 below 4 GiB: arch/x86/mm/init.c zone_sizes_init());
//! - the bad-page scenarios: the pfn the test module printed (`modcrash_badpage: freeing pfn
//!   0x... with defect ...`) was leaked by the page allocator (bad pages are not freed), so its
//!   struct page must still say what the kernel's report printed: the stale mapping
//!   0xdead000000000400 (`invalid mapping:`), the mapcount, the flags, and the very words of
//!   the report's `raw:` lines;
//! - the flags layout: every `flags:` line of every report, decoded with the computed layout,
//!   gives back the node/zone/lastcpupid fields the kernel printed.

mod common;

use modcrash::dump::Dump;
use modcrash::kernel::page::{Compound, Located, Pages};
use modcrash::kernel::Kernel;
use modcrash::symbols::{Hint, Vmlinux};

const STALE_MAPPING: u64 = 0xdead_0000_0000_0400;

/// One `BUG: Bad page state` report of the guest log, read with plain string splitting.
#[derive(Debug)]
struct Report {
    pfn: u64,
    defect: Option<String>,
    mapcount: i64,
    invalid_mapping: Option<u64>,
    flags: String,
    raw: Vec<String>,
}

fn text(l: &str) -> &str {
    match l.split_once("] ") {
        Some((ts, t)) if ts.starts_with('[') => t,
        _ => l,
    }
}

fn reports(dmesg: &str) -> Vec<Report> {
    let lines: Vec<&str> = dmesg.lines().map(text).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(pfn) = l
            .strip_prefix("BUG: Bad page state in process ")
            .and_then(|r| r.rsplit_once("  pfn:"))
            .map(|(_, p)| u64::from_str_radix(p, 16).unwrap())
        else {
            continue;
        };
        let defect = i
            .checked_sub(1)
            .and_then(|j| lines[j].strip_prefix("modcrash_badpage: freeing pfn 0x"))
            .map(|r| {
                let mut w = r.split(' ');
                let p = u64::from_str_radix(w.next().unwrap(), 16).unwrap();
                assert_eq!(p, pfn, "the module's pfn is the report's");
                assert_eq!(w.next(), Some("with"));
                assert_eq!(w.next(), Some("defect"));
                w.next().unwrap().to_string()
            });
        let mut r = Report {
            pfn,
            defect,
            mapcount: 0,
            invalid_mapping: None,
            flags: String::new(),
            raw: Vec::new(),
        };
        for l in &lines[i + 1..] {
            if l.starts_with("page dumped because:") {
                break;
            }
            if let Some(p) = l.strip_prefix("page:") {
                let mc = p
                    .split("mapcount:")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                r.mapcount = mc.parse().unwrap();
            } else if let Some(m) = l.strip_prefix("invalid mapping:") {
                r.invalid_mapping = Some(u64::from_str_radix(m, 16).unwrap());
            } else if let Some(f) = l.strip_prefix("flags: ") {
                r.flags = f.to_string();
            } else if let Some(w) = l.strip_prefix("raw: ") {
                r.raw.extend(w.split(' ').map(str::to_string));
            }
        }
        out.push(r);
    }
    out
}

/// The kernel's zones on x86_64 by `enum zone_type`'s own values (ZONE_DMA, ZONE_DMA32 where
/// the kernel has them).
struct Zones {
    dma: Option<i64>,
    dma32: Option<i64>,
    normal: i64,
}

impl Zones {
    fn of(vm: &Vmlinux) -> Zones {
        let z = |n: &str| vm.enumerator(n, Hint::File("mm/page_alloc.c")).ok();
        Zones {
            dma: z("ZONE_DMA"),
            dma32: z("ZONE_DMA32"),
            normal: z("ZONE_NORMAL").unwrap(),
        }
    }

    /// The zone of a physical address: DMA below 16 MiB, DMA32 below 4 GiB
    /// (arch/x86/mm/init.c zone_sizes_init()), the next zone up where one is configured out.
    fn of_pa(&self, pa: u64) -> u64 {
        let z = if pa < 16 << 20 {
            self.dma.or(self.dma32).unwrap_or(self.normal)
        } else if pa < 4 << 30 {
            self.dma32.unwrap_or(self.normal)
        } else {
            self.normal
        };
        z as u64
    }
}

/// The field part `(...)` of a printed `%pGp`, as a set of items.
fn items(s: &str) -> Vec<String> {
    let inner = s
        .split_once('(')
        .map(|(_, r)| r.trim_end_matches(')'))
        .unwrap_or("");
    let mut v: Vec<String> = inner
        .split('|')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn struct_pages_the_guest_knows() {
    let mut cases = 0;
    for f in common::fixtures_with_extra() {
        let name = f.name().to_string();
        let vm = Vmlinux::open(f.vmlinux()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let reports = f.expected("dmesg").map(|d| reports(&d)).unwrap_or_default();
        let zones = Zones::of(&vm);
        let mut layout_checked = false;
        let release: Vec<u32> = f
            .manifest
            .release
            .split(|c: char| !c.is_ascii_digit())
            .take(2)
            .map(|x| x.parse().unwrap())
            .collect();
        let resets_mapcount = (release[0], release[1]) < (6, 12);
        for d in &f.manifest.dumps {
            let what = format!("{name}/{}", d.variant);
            let dump = Dump::open(f.dump(d)).unwrap_or_else(|e| panic!("{what}: {e}"));
            let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let pages = Pages::new(&k).unwrap_or_else(|e| panic!("{what}: {e}"));

            // The flags layout against every flags line the kernel printed.
            if !layout_checked {
                for r in &reports {
                    let raw = r.flags.split('(').next().unwrap();
                    let raw = u64::from_str_radix(raw.trim_start_matches("0x"), 16).unwrap();
                    assert_eq!(
                        items(&pages.flags.format(raw)),
                        items(&r.flags),
                        "{what}: pfn {:#x}",
                        r.pfn
                    );
                }
                layout_checked = true;
            }

            for sym in ["_stext", "empty_zero_page"] {
                let va = k.sym(sym).unwrap();
                let (pfn, located) = pages.locate(va.0).unwrap();
                let Located::Virtual { pa, how } = &located else {
                    panic!("{what}: {sym}: {located:?}")
                };
                assert_eq!(how, "kernel image", "{what}: {sym}");
                let p = pages
                    .read(pfn)
                    .unwrap_or_else(|e| panic!("{what}: {sym}: {e}"));
                assert!(
                    p.flag_names.iter().any(|n| n == "reserved"),
                    "{what}: {sym} at pfn {pfn:#x}: {}",
                    p.flags_text
                );
                assert_eq!(p.zone, Some(zones.of_pa(*pa)), "{what}: {sym}");
                assert!(matches!(p.node, None | Some(0)), "{what}: {sym}");
                if sym == "empty_zero_page" {
                    assert_eq!(p.flag_names, ["reserved"], "{what}: {}", p.flags_text);
                    assert_eq!((p.refcount, p.mapcount), (1, Some(0)), "{what}");
                    assert_eq!((p.mapping, p.compound.clone()), (0, Compound::Single));
                    // The same page through the struct page address and the direct map.
                    assert_eq!(
                        pages.locate(p.address).unwrap(),
                        (pfn, Located::StructPage { offset: 0 })
                    );
                    let pob = k.arch().direct_map_base().unwrap();
                    assert_eq!(pages.locate(pob + pa).unwrap().0, pfn, "{what}");
                }
            }

            for r in reports.iter().filter(|r| r.defect.is_some()) {
                let p = pages
                    .read(r.pfn)
                    .unwrap_or_else(|e| panic!("{what}: pfn {:#x}: {e}", r.pfn));
                match r.defect.as_deref() {
                    Some("mapping") => {
                        assert_eq!(p.mapping, STALE_MAPPING, "{what}");
                        assert_eq!(r.invalid_mapping, Some(STALE_MAPPING), "{what}");
                    }
                    Some("mapcount") => {}
                    other => panic!("{what}: unknown defect {other:?}"),
                }
                // Before 6.12, bad_page() ends with page_mapcount_reset() ("remove PageBuddy",
                // 6.1 mm/page_alloc.c): _mapcount is -1 again in the dump; 6.12 clears only
                // PageBuddy and leaves the word as the report printed it.
                let mut raw = r.raw.clone();
                if resets_mapcount {
                    let w = (k.vmcoreinfo.offset("page._mapcount").unwrap().unwrap() / 8) as usize;
                    let v = u64::from_str_radix(&raw[w], 16).unwrap();
                    raw[w] = format!("{:016x}", v | 0xffff_ffff);
                    assert_eq!(p.mapcount, Some(0), "{what}: pfn {:#x}", r.pfn);
                } else {
                    assert_eq!(p.mapcount, Some(r.mapcount), "{what}: pfn {:#x}", r.pfn);
                }
                assert_eq!(items(&p.flags_text), items(&r.flags), "{what}");
                assert_eq!(p.raw, raw, "{what}: pfn {:#x}: struct page words", r.pfn);
                assert_eq!(p.compound, Compound::Single, "{what}");
            }
            cases += 1;
        }
    }
    common::record_cases("real_page", cases);
}

/// Every struct page of every reference dump, against the kernel's own invariants: the zone
/// bits give the zone of the page's physical address (arch/x86/mm/init.c), the node is 0, and
/// a head page of order n (PG_head, order from its first tail page) is followed by 2^n - 1
/// tail pages whose compound_head points back at it.
#[test]
fn every_struct_page_of_the_reference_dumps() {
    let mut cases = 0;
    for f in common::fixtures_with_extra() {
        let Some(d) = f.reference_dump() else {
            continue;
        };
        let name = f.name().to_string();
        let vm = Vmlinux::open(f.vmlinux()).unwrap();
        let dump = Dump::open(f.dump(d)).unwrap();
        let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap();
        let pages = Pages::new(&k).unwrap();
        let zones = Zones::of(&vm);
        let max = pages.max_pfn.expect("max_pfn");
        let (mut read, mut heads, mut tails) = (0u64, 0u64, 0u64);
        let mut pfn = 0;
        while pfn < max {
            let Ok(p) = pages.read(pfn) else {
                pfn += 1;
                continue;
            };
            read += 1;
            assert_eq!(
                p.zone,
                Some(zones.of_pa(pfn << 12)),
                "{name}: pfn {pfn:#x} {}",
                p.flags_text
            );
            assert!(matches!(p.node, None | Some(0)), "{name}: pfn {pfn:#x}");
            if let Compound::Head { order } = p.compound {
                let order = order.unwrap_or_else(|| panic!("{name}: pfn {pfn:#x}: no order"));
                assert!(
                    (1..=10).contains(&order),
                    "{name}: pfn {pfn:#x}: order {order}"
                );
                heads += 1;
                for t in pfn + 1..pfn + (1 << order) {
                    let tp = pages.read(t).unwrap();
                    assert_eq!(
                        tp.compound,
                        Compound::Tail {
                            head: p.address,
                            head_pfn: Some(pfn),
                            order: Some(order)
                        },
                        "{name}: pfn {t:#x}, tail of {pfn:#x}"
                    );
                    tails += 1;
                }
                pfn += 1 << order;
                continue;
            }
            assert!(
                !matches!(p.compound, Compound::Tail { .. }),
                "{name}: pfn {pfn:#x}: a tail page outside any head's range"
            );
            pfn += 1;
        }
        eprintln!("{name}: {read} struct pages of {max}, {heads} large folios, {tails} tail pages");
        assert!(read > max / 2, "{name}: most pages readable");
        assert!(
            heads > 0,
            "{name}: a running kernel has large folios (slabs, THP)"
        );
        cases += 1;
    }
    common::record_cases("real_page_scan", cases);
}

/// `modcrash page` on each scenario's reference dump: the zero page by its kernel address,
/// by its pfn (with `pfn:`, as the kernel prints it) and as JSON; a pfn past max_pfn and a
/// non-hex argument fail with their exit codes.
#[test]
fn page_command() {
    let mut cases = 0;
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_modcrash"))
            .arg("page")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    for f in common::fixtures_with_extra() {
        let Some(d) = f.reference_dump() else {
            continue;
        };
        let (vmcore, vmlinux) = (f.dump(d), f.vmlinux());
        let (vmcore, vmlinux) = (vmcore.to_str().unwrap(), vmlinux.to_str().unwrap());
        let vm = Vmlinux::open(vmlinux).unwrap();
        let dump = Dump::open(vmcore).unwrap();
        let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap();
        let zp = k.sym("empty_zero_page").unwrap().0;
        let pfn = Pages::new(&k).unwrap().locate(zp).unwrap().0;
        let (code, out, err) = run(&[vmcore, vmlinux, &format!("{zp:#x}")]);
        assert_eq!(code, Some(0), "{err}");
        assert!(out.starts_with(&format!("pfn {pfn:#x} ")), "{out}");
        assert!(out.contains("(kernel image)"), "{out}");
        assert!(out.contains("reserved"), "{out}");
        let (code, out2, _) = run(&[vmcore, vmlinux, &format!("pfn:{pfn:05x}")]);
        assert_eq!(code, Some(0));
        assert_eq!(out2.lines().next(), out.lines().next());
        let (code, json, _) = run(&[vmcore, vmlinux, &format!("{pfn:x}"), "--json"]);
        assert_eq!(code, Some(0));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["page"]["pfn"], pfn);
        assert_eq!(v["page"]["flag_names"][0], "reserved");
        assert_eq!(v["located"]["kind"], "pfn");
        let (code, _, err) = run(&[vmcore, vmlinux, "0xfffffffff"]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("beyond max_pfn"), "{err}");
        let (code, _, _) = run(&[vmcore, vmlinux, "xyz"]);
        assert_eq!(code, Some(2));
        cases += 1;
    }
    common::record_cases("real_page_cli", cases);
}
