//! Overlapping PT_LOADs as a real /proc/vmcore has them: a kernel-text segment (p_vaddr in the
//! kernel image) whose physical range lies inside a RAM segment, with its own copy of the bytes.
//! Made from real makedumpfile -E dumps by appending such a segment (a copy of the RAM bytes it
//! aliases, and a new program header table that e_phoff points to). The same bytes twice are no
//! warning and change no answer; one differing byte is a warning naming both segments and the
//! physical address.

mod common;

use common::{fixtures, modcrash_text, record_cases};

const SCENARIOS: [&str; 3] = ["deb61-kaslr", "deb612-kaslr", "upstream-kaslr"];
/// Bytes of the alias segment (Debian's kernel text and data are about this size).
const ALIAS: u64 = 8 << 20;

fn u16_at(b: &[u8], o: usize) -> u64 {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap()) as u64
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// The dump with a kernel-text PT_LOAD aliasing `ALIAS` bytes of its biggest RAM segment, one
/// byte of the copy changed at `flip` if given. Returns the file, the aliased physical address,
/// and the indexes of the RAM and the new segment.
fn with_alias(orig: &[u8], flip: Option<u64>) -> (Vec<u8>, u64, u64, u64) {
    let (phoff, phnum) = (u64_at(orig, 0x20) as usize, u16_at(orig, 0x38));
    let ph = |i: u64| phoff + 56 * i as usize;
    let (ram, _) = (0..phnum)
        .filter(|&i| u32::from_le_bytes(orig[ph(i)..ph(i) + 4].try_into().unwrap()) == 1)
        .map(|i| (i, u64_at(orig, ph(i) + 32)))
        .max_by_key(|&(_, filesz)| filesz)
        .unwrap();
    let (offset, paddr, filesz) = (
        u64_at(orig, ph(ram) + 8),
        u64_at(orig, ph(ram) + 24),
        u64_at(orig, ph(ram) + 32),
    );
    assert!(filesz >= ALIAS, "a RAM segment of {ALIAS} bytes");
    let mut out = orig.to_vec();
    out.resize(out.len().div_ceil(4096) * 4096, 0);
    let copy_at = out.len() as u64;
    out.extend_from_slice(&orig[offset as usize..(offset + ALIAS) as usize]);
    if let Some(f) = flip {
        out[(copy_at + f) as usize] ^= 0x5a;
    }
    let table_at = out.len();
    out.extend_from_slice(&orig[phoff..phoff + 56 * phnum as usize]);
    let mut p = Vec::with_capacity(56);
    p.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    p.extend_from_slice(&7u32.to_le_bytes()); // RWX, as /proc/vmcore writes it
    for v in [copy_at, 0xffff_ffff_8100_0000, paddr, ALIAS, ALIAS, 0] {
        p.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&p);
    out[0x20..0x28].copy_from_slice(&(table_at as u64).to_le_bytes());
    out[0x38..0x3a].copy_from_slice(&((phnum + 1) as u16).to_le_bytes());
    (out, paddr, ram, phnum)
}

/// Exit code and stdout followed by stderr.
fn run(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let (code, out, err) = modcrash_text(args);
    (code, out + &err)
}

#[test]
fn a_kernel_text_segment_over_ram_is_the_same_memory() {
    let dir = std::env::temp_dir().join(format!("modcrash-overlap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| SCENARIOS.contains(&f.name()))
    {
        let Some(d) = f.manifest.dumps.iter().find(|d| d.variant == "md-E-d31") else {
            continue;
        };
        let orig = std::fs::read(f.dump(d)).unwrap();
        let path = dir.join("vmcore.elf");
        let vmlinux = f.vmlinux();
        let name = f.name();

        // The same bytes: no warning, and the report is the guest's.
        let (bytes, _, _, _) = with_alias(&orig, None);
        std::fs::write(&path, &bytes).unwrap();
        let (code, text) = run(&["info".as_ref(), path.as_os_str()]);
        assert_eq!(code, 0, "{name}: info:\n{text}");
        assert!(!text.contains("different bytes"), "{name}:\n{text}");
        assert!(!text.contains("overlap in physical"), "{name}:\n{text}");
        let pages = |t: &str| {
            let l = t
                .lines()
                .find(|l| l.starts_with("pages present:"))
                .unwrap()
                .to_string();
            l
        };
        let (_, plain) = run(&["info".as_ref(), f.dump(d).as_os_str()]);
        assert_eq!(
            pages(&text),
            pages(&plain),
            "{name}: the alias adds no page"
        );
        assert!(text.contains("PT_LOAD segments:"), "{name}:\n{text}");
        let args = [
            path.as_os_str(),
            vmlinux.as_os_str(),
            "--kernel-text".as_ref(),
        ];
        let (code, text) = run(&[args[0], args[1], args[2], "proc-modules".as_ref()]);
        assert_eq!(code, 0, "{name}: report:\n{text}");
        assert_eq!(text, f.expected("proc_modules").unwrap(), "{name}");

        // One byte differs: named, with both segments and the address.
        let at = 4096 + 5;
        let (bytes, paddr, ram, alias) = with_alias(&orig, Some(at));
        std::fs::write(&path, &bytes).unwrap();
        let (code, text) = run(&["info".as_ref(), path.as_os_str()]);
        assert_eq!(code, 1, "{name}: info:\n{text}");
        let want = format!("first at physical address {:#x}", paddr + at);
        assert!(text.contains(&want), "{name}: {want}:\n{text}");
        assert!(
            text.contains(&format!("PT_LOAD {ram} (physical {paddr:#x}")),
            "{name}:\n{text}"
        );
        assert!(
            text.contains(&format!("PT_LOAD {alias} (physical {paddr:#x}")),
            "{name}:\n{text}"
        );
        n += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    record_cases("real_overlap", n);
}
