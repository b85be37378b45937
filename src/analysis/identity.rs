//! Which kernel the dump is of.

use super::model::Identity;
use crate::kernel::Kernel;

pub fn identity(k: &Kernel<'_>) -> Identity {
    let vi = k.vmcoreinfo;
    Identity {
        release: vi
            .osrelease()
            .map(str::to_string)
            .or_else(|| k.vmlinux.release().ok()),
        build_id: vi
            .build_id()
            .map(str::to_string)
            .or_else(|| k.vmlinux.build_id()),
        kaslr_offset: Some(k.kaslr_offset),
        paging_levels: k.levels,
        page_offset_base: k.xlat.page_offset_base,
        crash_time: vi.crash_time().ok().flatten(),
    }
}
