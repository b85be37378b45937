//! Which kernel the dump is of.

use super::model::Identity;
use crate::kernel::Kernel;

pub fn identity(k: &Kernel<'_>) -> Identity {
    let vi = k.vmcoreinfo;
    Identity {
        release: vi
            .osrelease()
            .map(str::to_string)
            .or_else(|| k.symbols().release().ok()),
        build_id: vi
            .build_id()
            .map(str::to_string)
            .or_else(|| k.symbols().build_id()),
        kaslr_offset: Some(k.kaslr_offset),
        paging_levels: k.arch().levels(),
        page_offset_base: k.arch().direct_map_base(),
        crash_time: vi.crash_time().ok().flatten(),
        symbols_from: k.symbols().kind().to_string(),
        types_from: k.types().kind().to_string(),
        debug_source: k.symbols().describe(),
    }
}
