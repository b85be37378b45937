//! Write seed inputs for the fuzz targets into fuzz/corpus/<target>/ using the synth builder.

use modcrash::synth::{self, Compression, ElfLayout, FlattenOpts, Spec};

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
    println!("seeds written under fuzz/corpus/");
    Ok(())
}
