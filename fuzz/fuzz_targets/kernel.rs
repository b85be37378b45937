//! The kernel layer and the analyses on mutated kernel memory: the synthetic kernel of the tests
//! (tests/common/synth_kernel.rs: page tables, `struct module`s, the tracking lists, counters,
//! taint table, with its vmlinux) read through a PhysMem that overlays the fuzz bytes as
//! patches on its pages, then the full report in every output format.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/synth_vmlinux.rs"]
mod synth_vmlinux;
#[path = "../../tests/common/synth_kernel.rs"]
mod synth_kernel;

use modcrash::addr::Pa;
use modcrash::memory::{MemFault, PhysMem};
use synth_kernel::{SynthKernel, Spec};

struct Template {
    k: SynthKernel,
    /// The built pages' numbers, so a patch picks one by index.
    pfns: Vec<u64>,
    vmlinux: modcrash::symbols::Vmlinux,
}

/// The template's pages with `patches` (physical address, byte) applied on read.
struct Patched<'a> {
    base: &'a synth_kernel::PageMem,
    patches: Vec<(u64, u8)>,
}

impl PhysMem for Patched<'_> {
    fn read_phys(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault> {
        self.base.read_phys(pa, buf)?;
        let end = pa.0.saturating_add(buf.len() as u64);
        for &(at, v) in &self.patches {
            if at >= pa.0 && at < end {
                buf[(at - pa.0) as usize] = v;
            }
        }
        Ok(())
    }
}

fn template() -> &'static Template {
    static T: std::sync::OnceLock<Template> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let k = SynthKernel::build(&Spec::v6_12());
        let pfns = k.mem.pages.keys().copied().collect();
        let vmlinux = k.vmlinux();
        Template { k, pfns, vmlinux }
    })
}

fuzz_target!(|data: &[u8]| {
    let t = template();
    // Each 4-byte group: page (by index among the built pages), offset in it (12 bits), value.
    let patches = data
        .chunks_exact(4)
        .map(|c| {
            let pfn = t.pfns[usize::from(c[0]) % t.pfns.len()];
            let off = u64::from(u16::from_le_bytes([c[1], c[2]]) & 0xfff);
            (pfn * 4096 + off, c[3])
        })
        .collect();
    let mem = Patched {
        base: &t.k.mem,
        patches,
    };
    let vi = modcrash::dump::vmcoreinfo::VmcoreInfo::parse(t.k.vmcoreinfo.as_bytes());
    if let Ok(kernel) = modcrash::kernel::Kernel::with_vmlinux(&mem, Some(&vi), &t.vmlinux, false) {
        let r = modcrash::analysis::report(&kernel);
        let _ = modcrash::output::json(&r);
        let _ = modcrash::output::table::render(&r);
        let _ = modcrash::output::kernel_text::proc_modules(&r.modules);
    }
});
