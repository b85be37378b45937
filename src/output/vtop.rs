//! `modcrash vtop`: how a virtual address translates, and the page walk the hardware would do.

use crate::addr::Va;
use crate::kernel::Kernel;
use crate::translate::{TranslateError, Translation};
use std::fmt::Write;

/// The translation and the walk's entries; the error when the address does not translate.
pub fn render(k: &Kernel<'_>, va: Va) -> Result<String, TranslateError> {
    let (pa, how) = k.arch().translate(k.phys(), va)?;
    let how = match how {
        Translation::DirectMap => "direct map (page_offset_base)".to_string(),
        Translation::KernelImage => "kernel image (phys_base)".to_string(),
        Translation::PageTable { page_size, .. } => {
            format!("page tables, {} KiB page", page_size / 1024)
        }
    };
    let mut out = format!("{va} -> {pa}  via {how}\n");
    // Always show the page walk too: it is what the hardware would do.
    match k.arch().walk(k.phys(), va) {
        Ok((_, _, walk)) | Err(TranslateError::NotMapped { walk, .. }) => {
            for s in &walk.steps {
                let _ = writeln!(
                    out,
                    "  {:>3}[{:3}] at {}: {:#018x}",
                    s.level, s.index, s.entry_pa, s.entry
                );
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  page walk: {e}");
        }
    }
    Ok(out)
}
