//! Taint letters by the kernel's own rules, from the dump's `taint_flags[]`.

use super::model::{KernelTaint, TaintBit, TaintFlagDef};

/// TAINT_* names (include/linux/panic.h), for kernels whose taint_flag has no `desc` (before
/// 6.11). Bits past this list are vendor-specific and stay unnamed.
const TAINT_NAMES: [&str; 20] = [
    "PROPRIETARY_MODULE",
    "FORCED_MODULE",
    "CPU_OUT_OF_SPEC",
    "FORCED_RMMOD",
    "MACHINE_CHECK",
    "BAD_PAGE",
    "USER",
    "DIE",
    "OVERRIDDEN_ACPI_TABLE",
    "WARN",
    "CRAP",
    "FIRMWARE_WORKAROUND",
    "OOT_MODULE",
    "UNSIGNED_MODULE",
    "SOFTLOCKUP",
    "LIVEPATCH",
    "AUX",
    "RANDSTRUCT",
    "TEST",
    "FWCTL",
];

/// The kernel-wide taint: every set bit, letters from the table, unknown bits kept by number.
pub fn decode_kernel_taint(mask: u64, flags: &[TaintFlagDef]) -> KernelTaint {
    let mut bits = Vec::new();
    let mut letters = String::new();
    for bit in 0..64u32 {
        if mask & (1 << bit) == 0 {
            continue;
        }
        let def = flags.iter().find(|f| f.bit == bit);
        match def {
            Some(d) => letters.push(d.c_true),
            None => letters.push_str(&format!("#{bit}")),
        }
        let desc = def
            .and_then(|d| d.desc.clone())
            .or_else(|| TAINT_NAMES.get(bit as usize).map(|s| s.to_string()));
        bits.push(TaintBit {
            bit,
            letter: def.map(|d| d.c_true),
            desc,
        });
    }
    KernelTaint {
        mask,
        bits,
        letters,
    }
}

/// module_flags_taint(): the letters of a module's taint mask. Kernels whose taint_flag has a
/// `module` member (up to 6.x) print only flags marked per-module; without it (7.x) every set
/// bit that the table knows. Bits beyond the table are not printable by the kernel either.
pub fn module_taint_letters(taints: u64, flags: &[TaintFlagDef]) -> String {
    flags
        .iter()
        .filter(|f| f.bit < 64 && taints & (1 << f.bit) != 0 && f.module.unwrap_or(true))
        .map(|f| f.c_true)
        .collect()
}

/// The kernel's `taint_flags[]`; a warning (and no flags) when unreadable.
pub fn taint_flags(
    k: &crate::kernel::Kernel<'_>,
    warnings: &mut Vec<super::model::Warning>,
) -> Vec<TaintFlagDef> {
    k.taint_flags().unwrap_or_else(|e| {
        warnings.push(super::model::Warning::new(
            super::model::WarningKind::TaintFlags,
            "taint_flags",
            e.to_string(),
        ));
        Vec::new()
    })
}

/// `tainted_mask`, decoded with the dump's flags.
pub fn kernel_taint(
    k: &crate::kernel::Kernel<'_>,
    flags: &[TaintFlagDef],
    warnings: &mut Vec<super::model::Warning>,
) -> Option<KernelTaint> {
    match k.tainted_mask() {
        Ok(mask) => Some(decode_kernel_taint(mask, flags)),
        Err(e) => {
            warnings.push(super::model::Warning::new(
                super::model::WarningKind::Taint,
                "taint",
                e.to_string(),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<TaintFlagDef> {
        // A prefix of the 6.1 table: P/G, F, S, ..., O (12), E (13).
        let raw = [
            ('P', 'G', true),
            ('F', ' ', true),
            ('S', ' ', false),
            ('R', ' ', false),
        ];
        let mut v: Vec<_> = raw
            .iter()
            .enumerate()
            .map(|(i, &(t, f, m))| TaintFlagDef {
                bit: i as u32,
                c_true: t,
                c_false: f,
                module: Some(m),
                desc: None,
            })
            .collect();
        v.push(TaintFlagDef {
            bit: 12,
            c_true: 'O',
            c_false: ' ',
            module: Some(true),
            desc: None,
        });
        v.push(TaintFlagDef {
            bit: 13,
            c_true: 'E',
            c_false: ' ',
            module: Some(true),
            desc: None,
        });
        v
    }

    #[test]
    fn module_letters_follow_the_module_member() {
        let t = table();
        assert_eq!(
            module_taint_letters((1 << 12) | (1 << 13) | (1 << 2), &t),
            "OE"
        );
        assert_eq!(module_taint_letters(1, &t), "P");
        let mut t7 = t.clone();
        t7.iter_mut().for_each(|f| f.module = None);
        assert_eq!(module_taint_letters((1 << 12) | (1 << 2), &t7), "SO");
    }

    #[test]
    fn unknown_kernel_bits_are_kept() {
        let k = decode_kernel_taint((1 << 12) | (1 << 28), &table());
        assert_eq!(k.letters, "O#28");
        assert_eq!(k.bits.len(), 2);
        assert_eq!(k.bits[1].letter, None);
    }
}
