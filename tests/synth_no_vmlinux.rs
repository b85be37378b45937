//! The path without a vmlinux on synthetic kernels: the kallsyms reader against tables this
//! test encodes itself, and the clear errors for kernels that cannot describe themselves (no
//! kallsyms in VMCOREINFO, no BTF).

#[path = "common/synth_kernel.rs"]
mod synth_kernel;
#[path = "common/synth_vmlinux.rs"]
mod synth_vmlinux;

use modcrash::addr::Va;
use modcrash::dump::vmcoreinfo::VmcoreInfo;
use modcrash::kernel::dumpsyms::DumpSymbols;
use modcrash::kernel::kallsyms::KallsymsTable;
use modcrash::kernel::KernelMem;
use modcrash::translate::X86_64;
use synth_kernel::*;

fn table(k: &SynthKernel) -> KallsymsTable {
    let vi = VmcoreInfo::parse(k.vmcoreinfo.as_bytes());
    let top = vi.symbol("init_top_pgt").unwrap().map(Va);
    let arch = X86_64::from_vmcoreinfo(&vi, top).unwrap();
    KallsymsTable::read(&KernelMem::new(&k.mem, &arch), &vi).expect("kallsyms")
}

#[test]
fn kallsyms_read_from_memory_gives_every_symbol_its_runtime_address() {
    let mut k = SynthKernel::build(&Spec::v6_12());
    let long = "x".repeat(300);
    let mut syms = k.image_symbols();
    syms.push((Box::leak(long.clone().into_boxed_str()), 't', TEXT + 0x40));
    syms.push(("same_static", 't', TEXT + 0x80));
    syms.push(("same_static", 't', TEXT + 0x90));
    k.add_kallsyms(&syms);
    let t = table(&k);
    assert_eq!(t.len(), syms.len());
    for (name, kind, link) in k.image_symbols() {
        let got = t.get(name);
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!((got[0].addr, got[0].kind), (rt(link), kind as u8), "{name}");
    }
    assert_eq!(t.get(&long)[0].addr, rt(TEXT + 0x40));
    assert_eq!(t.get("same_static").len(), 2);
    // Extents: to the next symbol up.
    assert_eq!(
        t.extent(rt(MODULES)),
        Some(UNLOADED_TAINTED_MODULES - MODULES)
    );
    assert_eq!(t.extent(rt(TEXT)), Some(0x40));
}

#[test]
fn a_kernel_without_btf_is_refused_naming_what_is_missing() {
    let mut k = SynthKernel::build(&Spec::v6_12());
    let syms = k.image_symbols();
    k.add_kallsyms(&syms);
    let vi = VmcoreInfo::parse(k.vmcoreinfo.as_bytes());
    let e = DumpSymbols::read(&k.mem, &vi)
        .err()
        .expect("no BTF")
        .to_string();
    assert!(
        e.contains("no BTF") && e.contains("CONFIG_DEBUG_INFO_BTF"),
        "{e}"
    );
    assert!(e.contains("linux-image-6.12.0-synth-dbg"), "{e}");
}

#[test]
fn a_kernel_without_kallsyms_in_vmcoreinfo_is_refused_naming_the_key() {
    let k = SynthKernel::build(&Spec::v6_1());
    let vi = VmcoreInfo::parse(k.vmcoreinfo.as_bytes());
    let e = DumpSymbols::read(&k.mem, &vi).err().expect("no kallsyms");
    let text = format!("{e}: {}", std::error::Error::source(&e).unwrap());
    assert!(
        text.contains("SYMBOL(kallsyms_names)") && text.contains("before 6.0"),
        "{text}"
    );
    assert!(text.contains("linux-image-6.1.0-synth-dbg"), "{text}");
    // No VMCOREINFO at all.
    let empty = VmcoreInfo::parse(b"");
    let e = DumpSymbols::read(&k.mem, &empty).err().unwrap().to_string();
    assert!(e.contains("no VMCOREINFO"), "{e}");
}
