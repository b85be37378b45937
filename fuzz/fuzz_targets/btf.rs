//! The BTF reader (types without a vmlinux): arbitrary bytes parsed as the kernel's BTF, every
//! type resolved, and the lookups the kernel layer makes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use modcrash::symbols::btf::Btf;

fuzz_target!(|data: &[u8]| {
    if let Ok(btf) = Btf::parse(data.to_vec(), 0xffff_ffff_8240_0000) {
        let _ = btf.resolve_all();
        for s in ["struct module", "struct list_head", "unsigned long", "atomic_long_t"] {
            let _ = btf.type_named(s);
        }
        let _ = btf.enum_of("PG_locked");
        let _ = btf.enumerator("MODULE_STATE_LIVE");
    }
});
