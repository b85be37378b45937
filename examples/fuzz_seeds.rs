//! Write seed inputs for the fuzz targets into fuzz/corpus/<target>/ using the synth builder.

use modcrash::synth::{self, Compression, ElfLayout, FlattenOpts, Spec};

#[path = "../tests/common/modtrack_state.rs"]
mod modtrack_state;

fn main() -> std::io::Result<()> {
    let small = |c| {
        let mut s = Spec::sample(4096, c);
        s.ram.truncate(1);
        s.pages.retain(|&p, _| p < 0x8);
        s
    };
    let write = |target: &str, name: String, bytes: Vec<u8>| -> std::io::Result<()> {
        let dir = std::path::Path::new("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    };
    for c in Compression::ALL {
        let k = synth::kdump(&small(c));
        write(
            "flattened",
            format!("{c:?}"),
            synth::flatten(
                &k,
                FlattenOpts {
                    record: 2048,
                    ..Default::default()
                },
            ),
        )?;
        write("kdump", format!("{c:?}"), k)?;
    }
    for l in [ElfLayout::Qemu, ElfLayout::Kernel] {
        write(
            "elf",
            format!("{l:?}"),
            synth::elf(&small(Compression::None), l),
        )?;
    }
    // kallsyms: the template as is (a patch of nothing), one patched name length, and a
    // VMCOREINFO override of the symbol count's address.
    write("kallsyms", "template".into(), vec![1, 0, 0])?;
    write(
        "kallsyms",
        "patched-length".into(),
        vec![2, 0x08, 0x10, 0x85],
    )?;
    write(
        "kallsyms",
        "vmcoreinfo-override".into(),
        b"\x03SYMBOL(kallsyms_num_syms)=ffffffff80001010\n".to_vec(),
    )?;
    // btf: the smallest valid BTF (a header and one int type named "int").
    let mut btf = Vec::new();
    for w in [0x0001_eb9f_u32, 24, 0, 16, 16, 5] {
        btf.extend_from_slice(&w.to_le_bytes());
    }
    for w in [1u32, 0x0100_0000, 4, 32] {
        btf.extend_from_slice(&w.to_le_bytes());
    }
    btf.extend_from_slice(b"\0int\0");
    write("btf", "int".into(), btf)?;
    // vmcoreinfo: the synthetic kernel's note.
    write(
        "vmcoreinfo",
        "synth".into(),
        synth::printk::fuzz_template().vmcoreinfo().into_bytes(),
    )?;
    // modtrack: a state with two unloaded tainted modules and a duplicate failure.
    let mut st = modtrack_state::State::new();
    st.unloaded("modcrash_hello", 1 << 12 | 1 << 13, 3);
    st.unloaded("modcrash_dual", 1 << 10, 1);
    st.dupfail("modcrash_slow", 7, 2);
    write("modtrack", "state".into(), st.b.clone())?;
    println!("seeds written under fuzz/corpus/");
    Ok(())
}
