//! The kernel's own module tracking: `unloaded_tainted_modules` (5.19+,
//! CONFIG_MODULE_UNLOAD_TAINT_TRACKING; commits 99bd9956 and beef988c, tainted-only since
//! 47cc75aa), `dup_failed_modules` (6.4+, CONFIG_MODULE_STATS, commit df3e764d) and
//! `last_unloaded_module`.

use super::{Objects, MAX_LIST};
use crate::addr::Va;
use crate::kernel::bytes::StructBytes;
use crate::kernel::error::ReadError;
use crate::kernel::list::list_for_each_entry;
use crate::kernel::Kernel;

/// Longest `last_unloaded_module` member read (the kernel's are MODULE_NAME_LEN and 8ish).
const MAX_LAST_UNLOADED: u64 = 256;

/// kernel/module/tracking.c `struct mod_unload_taint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnloadTaintEntry {
    pub name: String,
    pub taints: u64,
    pub count: u64,
}

/// kernel/module/stats.c `struct mod_fail_load`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailLoadEntry {
    pub name: String,
    pub count: u64,
    pub dup_fail_mask: u64,
}

/// `last_unloaded_module`: `struct { char name[]; char taints[]; }` since 5.19 (commit
/// 6f1dae1d84d6 "module: show the last unloaded module's taint flag"), a plain char array before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastUnloadedModule {
    pub name: String,
    /// The formatted flags string, e.g. "(OE)"; None for the old shape.
    pub taints: Option<String>,
}

impl Kernel<'_> {
    /// Walk a kernel list of small entries and decode each one's first `size` bytes.
    fn entries<T>(
        &self,
        head: Va,
        list: u64,
        size: u64,
        (what, entry): (&str, &str),
        decode: impl Fn(&StructBytes) -> T,
    ) -> Objects<T> {
        let mem = self.mem();
        let w = list_for_each_entry(&mem, head, list, what, MAX_LIST);
        let entries = w
            .nodes
            .iter()
            .map(|&at| (at, mem.read_struct(at, size, entry).map(|b| decode(&b))))
            .collect();
        Objects {
            entries,
            walked: w.nodes.len(),
            stopped: w.error,
        }
    }

    /// `unloaded_tainted_modules`. An error that [`ReadError::is_absent`]: the kernel does not
    /// track (the option is off or predates 5.19).
    pub fn unloaded_tainted_modules(&self) -> Result<Objects<UnloadTaintEntry>, ReadError> {
        let (head, _) = self.var("unloaded_tainted_modules", Some("kernel/module/tracking.c"))?;
        let l = self.unload_taint_layout()?;
        let size = (l.count.offset + l.count.size)
            .max(l.taints.offset + l.taints.size)
            .max(l.name.offset + l.name.len);
        Ok(self.entries(
            head,
            l.list,
            size,
            ("unloaded_tainted_modules", "struct mod_unload_taint"),
            |b| UnloadTaintEntry {
                name: b.chars(l.name),
                taints: b.uint(l.taints),
                count: b.uint(l.count),
            },
        ))
    }

    /// `dup_failed_modules`. Absent ([`ReadError::is_absent`]): no CONFIG_MODULE_STATS.
    pub fn dup_failed_modules(&self) -> Result<Objects<FailLoadEntry>, ReadError> {
        let (head, _) = self.var("dup_failed_modules", Some("kernel/module/stats.c"))?;
        let l = self.fail_load_layout()?;
        let size = (l.name.offset + l.name.len)
            .max(l.count.offset + l.count.size)
            .max(l.dup_fail_mask.offset + l.dup_fail_mask.size);
        Ok(self.entries(
            head,
            l.list,
            size,
            ("dup_failed_modules", "struct mod_fail_load"),
            |b| {
                FailLoadEntry {
                    name: b.chars(l.name),
                    // atomic_long_t, printed with %lu
                    count: b.uint(l.count),
                    dup_fail_mask: b.uint(l.dup_fail_mask),
                }
            },
        ))
    }

    /// `last_unloaded_module`; `Ok(None)` when the kernel has none or its shape is unknown.
    pub fn last_unloaded_module(&self) -> Result<Option<LastUnloadedModule>, ReadError> {
        let Ok((va, ty)) = self.var("last_unloaded_module", Some("kernel/module/main.c")) else {
            return Ok(None);
        };
        let mem = self.mem();
        let read = |off: u64, len: u64, what: &str| {
            mem.c_array_str(
                va.wrapping_add(off),
                len.min(MAX_LAST_UNLOADED) as usize,
                what,
            )
        };
        if ty.composite().is_none() {
            let name = read(0, ty.size().unwrap_or(0), "last_unloaded_module")?;
            return Ok(Some(LastUnloadedModule { name, taints: None }));
        }
        let member = |n: &str| ty.member(n).map(|m| (m.offset, m.size.unwrap_or(0)));
        let (Ok((no, nl)), Ok((to, tl))) = (member("name"), member("taints")) else {
            return Ok(None);
        };
        Ok(Some(LastUnloadedModule {
            name: read(no, nl, "last_unloaded_module.name")?,
            taints: Some(read(to, tl, "last_unloaded_module.taints")?),
        }))
    }
}
