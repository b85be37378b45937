//! `modcrash info`: what the dump alone says, as text.

use crate::dump::{DumpFormat, DumpInfo};
use std::fmt::{self, Write};

/// The `info` text.
pub fn render(i: &DumpInfo) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_info(&mut s, i);
    s
}

fn write_info(f: &mut String, i: &DumpInfo) -> fmt::Result {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    writeln!(f, "file(s):            {}", i.files.join(", "))?;
    if let Some(fmt_) = i.format {
        writeln!(f, "format:             {}", fmt_.describe())?;
    }
    if let Some(v) = i.header_version {
        writeln!(f, "header version:     {v}")?;
    }
    if !i.compression_declared.is_empty() || !i.compression_seen.is_empty() {
        let seen: Vec<String> = i
            .compression_seen
            .iter()
            .map(|(c, n)| format!("{c} ({n} pages)"))
            .collect();
        writeln!(
            f,
            "compression:        declared [{}], seen [{}]{}",
            i.compression_declared.join(", "),
            seen.join(", "),
            if i.descriptors_scanned < i.pages_present && i.format != Some(DumpFormat::Elf) {
                format!(" in the first {} pages", i.descriptors_scanned)
            } else {
                String::new()
            }
        )?;
    }
    writeln!(f, "page size:          {}", i.page_size)?;
    if let Some(d) = i.dump_level {
        writeln!(f, "dump level:         {d}")?;
    }
    writeln!(
        f,
        "status:             {}{}",
        if i.incomplete { "INCOMPLETE " } else { "" },
        if i.status_flags.is_empty() {
            "-".to_string()
        } else {
            i.status_flags.join(" ")
        }
    )?;
    writeln!(f, "pages present:      {}", i.pages_present)?;
    writeln!(f, "pages excluded:     {}", i.pages_excluded)?;
    if i.pages_missing > 0 || !i.truncation.is_empty() {
        writeln!(
            f,
            "pages missing:      {} (past the end of the file)",
            i.pages_missing
        )?;
    }
    if i.pages_lost > 0 {
        writeln!(f, "pages lost:         {} (never written)", i.pages_lost)?;
    }
    writeln!(f, "max pfn:            {:#x}", i.max_pfn)?;
    if let Some(s) = i.segments {
        writeln!(f, "PT_LOAD segments:   {s}")?;
    }
    for (file, lo, hi) in &i.split_parts {
        writeln!(f, "split part:         {file}: PFNs {lo:#x}..{hi:#x}")?;
    }
    if let Some(n) = &i.notes {
        writeln!(
            f,
            "notes:              {} ({} NT_PRSTATUS, {} QEMU)",
            n.total, n.prstatus, n.qemu
        )?;
    }
    if let Some(u) = &i.utsname {
        writeln!(
            f,
            "utsname machine:    {}",
            if u.machine.is_empty() {
                "-"
            } else {
                &u.machine
            }
        )?;
    }
    writeln!(
        f,
        "vmcoreinfo:         {}",
        if i.vmcoreinfo_present { "yes" } else { "no" }
    )?;
    writeln!(f, "release:            {}", opt(&i.release))?;
    writeln!(f, "build-id:           {}", opt(&i.build_id))?;
    writeln!(f, "KERNELOFFSET:       {}", opt(&i.kerneloffset))?;
    writeln!(f, "phys_base:          {}", opt(&i.phys_base))?;
    writeln!(
        f,
        "pgtable_l5_enabled: {}",
        i.pgtable_l5_enabled
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into())
    )?;
    writeln!(
        f,
        "crash time:         {}",
        i.crash_time
            .map(super::time::crash_time)
            .unwrap_or_else(|| "-".into())
    )?;
    for w in &i.warnings {
        writeln!(f, "warning:            {w}")?;
    }
    Ok(())
}
