//! Faults on real dumps: a mismatched vmlinux is refused, a page missing during a walk gives
//! partial results with a warning naming the address, and corrupted list pointers are caught.
//! The faults are injected into real dumps by a wrapper over their physical memory.

mod common;

use common::{fixtures, record_cases, Fixture, Tampered};
use modcrash::analysis;
use modcrash::dump::Dump;
use modcrash::kernel::{Kernel, KernelError};

use modcrash::symbols::Vmlinux;

fn open(f: &Fixture) -> (Dump, Vmlinux) {
    let d = f.reference_dump().expect("qemu-elf dump");
    (
        Dump::open(f.dump(d)).unwrap(),
        Vmlinux::open(f.vmlinux()).unwrap(),
    )
}

#[test]
fn another_kernels_vmlinux_is_refused() {
    let fx = fixtures();
    let mut cases = 0;
    for a in &fx {
        let Some(b) = fx
            .iter()
            .find(|b| b.manifest.build_id != a.manifest.build_id)
        else {
            continue;
        };
        let (dump, _) = open(a);
        let other = Vmlinux::open(b.vmlinux()).unwrap();
        match Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &other, false) {
            Err(e @ KernelError::Mismatch { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("does not match") && msg.contains("--force"),
                    "{msg}"
                );
            }
            Err(e) => panic!(
                "{} with {}'s vmlinux: expected a mismatch, got {e}",
                a.name(),
                b.name()
            ),
            Ok(_) => panic!("{} opened with {}'s vmlinux", a.name(), b.name()),
        }
        cases += 1;
    }
    record_cases("another_kernels_vmlinux_is_refused", cases);
}

#[test]
fn excluded_module_page_gives_partial_results_and_a_warning() {
    let mut cases = 0;
    for f in fixtures() {
        let (dump, vm) = open(&f);
        let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap();
        let full = analysis::report(&k);
        assert!(full.modules.len() >= 3, "{}", f.name());
        // Exclude the page holding the third module's struct module.
        let victim = &full.modules[2];
        let (pa, _) = k
            .arch()
            .translate(&dump, modcrash::addr::Va(victim.address))
            .unwrap();
        let mut t = Tampered::new(&dump);
        t.excluded_pages.push(pa.0 & !0xfff);
        let k2 = Kernel::with_vmlinux(&t, dump.vmcoreinfo(), &vm, false).unwrap();
        let r = analysis::report(&k2);
        assert!(!r.warnings.is_empty(), "{}: no warning", f.name());
        let w = r
            .warnings
            .iter()
            .map(|w| w.message.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(w.contains("excluded"), "{}: {w}", f.name());
        // The warning names the physical address read, within the excluded page.
        assert!(
            w.contains(&format!("physical address {:#x}", pa.0 >> 12)),
            "{}: {w}",
            f.name()
        );
        // The modules before the excluded page are still reported.
        assert!(
            r.modules.len() >= 2,
            "{}: {} modules",
            f.name(),
            r.modules.len()
        );
        assert_eq!(r.modules[0].name, full.modules[0].name);
        cases += 1;
    }
    record_cases(
        "excluded_module_page_gives_partial_results_and_a_warning",
        cases,
    );
}

#[test]
fn corrupted_module_list_is_detected() {
    let mut cases = 0;
    for f in fixtures() {
        let (dump, vm) = open(&f);
        let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap();
        let full = analysis::report(&k);
        let l = modcrash::kernel::layout::ModuleLayout::resolve(&vm).unwrap();
        let node = |m: &analysis::LoadedModule| modcrash::addr::Va(m.address + l.list);
        let pa_of = |va: modcrash::addr::Va| k.arch().translate(&dump, va).unwrap().0 .0;
        // 1. A broken prev pointer on the second module.
        let second = node(&full.modules[1]);
        let mut t = Tampered::new(&dump);
        t.patch_u64(pa_of(second) + 8, 0xdead_beef);
        let r = analysis::report(&Kernel::with_vmlinux(&t, dump.vmcoreinfo(), &vm, false).unwrap());
        let w = format!("{:?}", r.warnings);
        assert!(
            w.contains("prev pointer is 0xdeadbeef"),
            "{}: {w}",
            f.name()
        );
        assert_eq!(r.modules.len(), 1, "{}", f.name());
        // 2. A cycle: the third module's next points back at the second (prev made consistent).
        let third = node(&full.modules[2]);
        let mut t = Tampered::new(&dump);
        t.patch_u64(pa_of(third), second.0);
        t.patch_u64(pa_of(second) + 8, third.0);
        let r = analysis::report(&Kernel::with_vmlinux(&t, dump.vmcoreinfo(), &vm, false).unwrap());
        let w = format!("{:?}", r.warnings);
        assert!(
            w.contains("cycle") || w.contains("prev pointer"),
            "{}: {w}",
            f.name()
        );
        assert!(r.modules.len() <= full.modules.len(), "{}", f.name());
        cases += 1;
    }
    record_cases("corrupted_module_list_is_detected", cases);
}
