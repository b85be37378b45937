//! `struct module` and the `modules` list, as /proc/modules shows them.

use super::Objects;
use crate::addr::Va;
use crate::kernel::bytes::StructBytes;
use crate::kernel::error::ReadError;
use crate::kernel::layout::{Field, ModuleLayout, Regions};
use crate::kernel::list::list_for_each_entry;
use crate::kernel::mem::ObjError;
use crate::kernel::Kernel;
use serde::Serialize;

/// More modules than any real system loads; a longer list is corrupt.
const MAX_MODULES: usize = 65_536;
/// A module's users (`source_list`).
const MAX_USERS: usize = 4096;
/// version/srcversion strings are short; longer ones are not read.
const MAX_VERSION: usize = 256;

/// `enum module_state`, by the dump's own enumerator values.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ModuleState {
    Live,
    Coming,
    Going,
    Unformed,
    Unknown(i64),
}

/// One loaded module.
#[derive(Clone, Debug)]
pub struct Module {
    /// Address of its `struct module`.
    pub addr: Va,
    pub name: String,
    pub state: ModuleState,
    /// The sum of its memory regions (/proc/modules' size).
    pub size: u64,
    /// Start of its text (core_layout.base, or mem[MOD_TEXT].base since 6.4).
    pub base: u64,
    pub taints: u64,
    /// refcnt - 1 (MODULE_REF_BASE), as /proc/modules prints it; 0 without CONFIG_MODULE_UNLOAD.
    pub refcount: i64,
    /// Has an init but no exit function: it can never be unloaded.
    pub permanent: bool,
    pub version: Option<String>,
    pub srcversion: Option<String>,
    /// Names of the modules using this one (`source_list`).
    pub used_by: Vec<String>,
    /// Faults met while reading `used_by`, in order.
    pub used_by_faults: Vec<ObjError>,
}

impl Kernel<'_> {
    /// The `modules` list.
    pub fn modules(&self) -> Result<Objects<Module>, ReadError> {
        let (head, _) = self.var("modules", Some("kernel/module/main.c"))?;
        let l = self.module_layout()?;
        let mem = self.mem();
        let walk = list_for_each_entry(&mem, head, l.list, "modules list", MAX_MODULES);
        let entries = walk
            .nodes
            .iter()
            .map(|&addr| (addr, self.module_at(addr, l)))
            .collect();
        Ok(Objects {
            entries,
            stopped: walk.error,
            walked: walk.nodes.len(),
        })
    }

    /// The `struct module` at `addr`.
    pub fn module_at(&self, addr: Va, l: &ModuleLayout) -> Result<Module, ObjError> {
        let mem = self.mem();
        let b = mem.read_struct(addr, l.size, "struct module")?;
        let state = match b.int(l.state) {
            s if s == l.state_live => ModuleState::Live,
            s if s == l.state_coming => ModuleState::Coming,
            s if s == l.state_going => ModuleState::Going,
            s if s == l.state_unformed => ModuleState::Unformed,
            s => ModuleState::Unknown(s),
        };
        let (size, base) = regions(&b, &l.regions);
        let name = b.chars(l.name);
        let string_at = |o: Option<u64>, what: &str| -> Option<String> {
            mem.c_ptr_str(b.ptr(o?), MAX_VERSION, what).ok().flatten()
        };
        let (used_by, used_by_faults) = self.module_users(&b, l);
        Ok(Module {
            addr,
            state,
            size,
            base,
            taints: b.uint(l.taints),
            refcount: l.refcnt.map(|f| b.int(f) - 1).unwrap_or(0),
            permanent: matches!((l.init, l.exit), (Some(i), Some(x)) if b.ptr(i) != 0 && b.ptr(x) == 0),
            version: string_at(l.version, "module version"),
            srcversion: string_at(l.srcversion, "module srcversion"),
            used_by,
            used_by_faults,
            name,
        })
    }

    /// The names of the modules on a module's `source_list` (`struct module_use`).
    fn module_users(&self, b: &StructBytes, l: &ModuleLayout) -> (Vec<String>, Vec<ObjError>) {
        let (mut names, mut faults) = (Vec::new(), Vec::new());
        let (Some(sl), Ok(ul)) = (l.source_list, self.module_use_layout()) else {
            return (names, faults);
        };
        let mem = self.mem();
        let w = list_for_each_entry(
            &mem,
            b.at(sl),
            ul.source_list,
            "module source_list",
            MAX_USERS,
        );
        for use_va in &w.nodes {
            match mem
                .u64(use_va.wrapping_add(ul.source), "module_use.source")
                .and_then(|src| {
                    mem.c_array_str(
                        Va(src).wrapping_add(l.name.offset),
                        l.name.len as usize,
                        "module name",
                    )
                }) {
                Ok(n) => names.push(n),
                Err(e) => faults.push(e),
            }
        }
        faults.extend(w.error);
        (names, faults)
    }
}

/// (size, text base) from the module's memory regions.
fn regions(b: &StructBytes, r: &Regions) -> (u64, u64) {
    let size_at = |o: u64, size: Field| {
        b.uint(Field {
            offset: o + size.offset,
            ..size
        }) as u32
    };
    match *r {
        Regions::Mem {
            offset,
            stride,
            count,
            base,
            size,
            text_index,
        } => {
            let total = (0..count.min(16)).fold(0u32, |t, i| {
                t.wrapping_add(size_at(offset + i * stride, size))
            });
            (u64::from(total), b.ptr(offset + text_index * stride + base))
        }
        Regions::Layout {
            core,
            init,
            data,
            base,
            size,
        } => {
            let mut total = size_at(core, size).wrapping_add(size_at(init, size));
            if let Some(d) = data {
                total = total.wrapping_add(size_at(d, size));
            }
            (u64::from(total), b.ptr(core + base))
        }
    }
}
