//! CONFIG_MODULE_STATS counters (kernel/module/stats.c, 6.4+): each an atomic_t or atomic_long_t
//! whose type comes from the type source.

use crate::kernel::error::ReadError;
use crate::kernel::Kernel;

impl Kernel<'_> {
    /// One counter of kernel/module/stats.c by its C name, its bits unsigned as the kernel prints
    /// them (atomic_t with %u, atomic_long_t with %lu).
    pub fn stats_counter(&self, name: &str) -> Result<u64, ReadError> {
        let (va, ty) = self.var(name, Some("kernel/module/stats.c"))?;
        let s = ty.scalar().ok_or_else(|| ReadError::Shape {
            what: name.to_string(),
            problem: format!("type {} is not an integer", ty.summary()),
        })?;
        let v = self.mem().int(va, s.size, s.signed, name)?;
        Ok(if s.size < 8 {
            (v as u64) & ((1u64 << (s.size * 8)) - 1)
        } else {
            v as u64
        })
    }
}
