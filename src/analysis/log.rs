//! The kernel log (what `dmesg` shows) as plain data: the records, where the log starts, what
//! was lost, and warnings. Read from the 5.10+ printk ringbuffer with VMCOREINFO alone; a vmlinux
//! is used only if it is the dump's kernel (for layout keys VMCOREINFO lacks, and the exact
//! facility/level bits), and a vmlinux of another kernel is set aside with a warning.

use super::model::{Warning, WarningKind};
use crate::addr::Va;
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::kernel::printk::{self, DescState, DwarfSource, PrbLayout, PrintkError, RingProblem};
use crate::kernel::{kallsyms, KernelMem};
use crate::memory::PhysMem;
use crate::symbols::Vmlinux;
use crate::translate::{SetupError, X86_64};
use serde::{Serialize, Serializer};

/// `printk_info.flags` bit: the text ended with a newline.
pub const LOG_NEWLINE: u8 = 2;
/// `printk_info.flags` bit: a continuation fragment that could not be merged into its line.
pub const LOG_CONT: u8 = 8;

fn lossy<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

/// `dev_printk_info`: set by dev_printk() and friends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DevInfo {
    /// SUBSYSTEM= ("pci", "usb", ...).
    pub subsystem: String,
    /// DEVICE= ("+pci:0000:00:01.0", "c4:1", ...).
    pub device: String,
}

/// One log record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    pub seq: u64,
    /// Nanoseconds since boot (local_clock()).
    pub ts_nsec: u64,
    /// Syslog level 0 (emerg) .. 7 (debug); None when the layout of these bits is unknown.
    pub level: Option<u8>,
    /// Syslog facility (0 kernel, 1 user via /dev/kmsg, ...).
    pub facility: Option<u8>,
    /// `printk_info.flags`: LOG_NEWLINE 2, LOG_CONT 8.
    pub flags: Option<u8>,
    /// The kernel's caller notation: `T<pid>` in task context, `C<cpu>` otherwise.
    pub caller: String,
    pub caller_id: u32,
    /// The text, without the trailing newline the kernel strips; may hold newlines (one record,
    /// several lines). Bytes that are not UTF-8 become U+FFFD in JSON; dmesg output is exact.
    #[serde(serialize_with = "lossy")]
    pub text: Vec<u8>,
    pub dev_info: Option<DevInfo>,
    /// finalized, committed (the newest: a continuation could still have been appended), or
    /// reserved (the writer had not finished).
    pub state: DescState,
    /// False for a reserved record: its text may be cut short.
    pub complete: bool,
}

impl LogRecord {
    /// `(facility << 3) | level`, the syslog priority `<N>`.
    pub fn priority(&self) -> Option<u32> {
        Some((u32::from(self.facility?) << 3) | u32::from(self.level?))
    }
}

/// The log and what is known about its completeness.
#[derive(Clone, Debug, Serialize)]
pub struct Log {
    /// Where the ringbuffer's layout came from: "vmcoreinfo", or "vmcoreinfo+dwarf" when a
    /// matching vmlinux filled in keys.
    pub layout_source: &'static str,
    /// Address of the ringbuffer (`prb`).
    pub prb: String,
    pub descriptors: u64,
    pub text_ring_bytes: u64,
    /// Sequence number of the oldest record the ring still holds (readable or not). Records
    /// before it were overwritten when the ring wrapped.
    pub first_seq: Option<u64>,
    /// One past the newest record.
    pub next_seq: Option<u64>,
    /// Records the ring no longer holds: `first_seq` of them, overwritten.
    pub overwritten: u64,
    /// Whether the kernel printed timestamps (`printk_time`: CONFIG_PRINTK_TIME, `printk.time=`),
    /// which decides whether `dmesg` lines start with `[    1.234567]`.
    pub printk_time: bool,
    /// Where `printk_time` was read: "vmlinux" (its symbol), "kallsyms" (the dump's own table),
    /// or "default" (not found: timestamps assumed, as most kernels print them).
    pub printk_time_source: &'static str,
    /// Records between first_seq and next_seq that could not be read (see warnings).
    pub lost: u64,
    /// The ringbuffer's `fail` counter: records the kernel could not store when they were written.
    pub failed_reservations: Option<u64>,
    pub records: Vec<LogRecord>,
    /// Facts worth saying that are not damage (the log wrapped; keys from DWARF).
    pub notes: Vec<String>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("the dump has no VMCOREINFO, so the kernel's page tables and its log cannot be found; take the dump with kdump/makedumpfile, or QEMU's -device vmcoreinfo")]
    NoVmcoreinfo,
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Printk(Box<PrintkError>),
}

impl From<PrintkError> for LogError {
    fn from(e: PrintkError) -> Self {
        LogError::Printk(Box::new(e))
    }
}

/// Why a vmlinux is not taken for the dump's kernel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotTheKernel {
    #[error("its build-id is {vmlinux}, the dump's is {dump}")]
    BuildId { vmlinux: String, dump: String },
    #[error("it is release {vmlinux}, the dump is {dump}")]
    Release { vmlinux: String, dump: String },
    #[error("neither a build-id nor a release could be compared")]
    NothingToCompare,
}

/// Whether `vm` is the dump's kernel, by VMCOREINFO's BUILD-ID and OSRELEASE.
pub fn vmlinux_matches(vi: &VmcoreInfo, vm: &Vmlinux) -> Result<(), NotTheKernel> {
    let mut compared = false;
    if let (Some(d), Some(v)) = (vi.build_id(), vm.build_id()) {
        if !d.eq_ignore_ascii_case(&v) {
            return Err(NotTheKernel::BuildId {
                vmlinux: v,
                dump: d.to_string(),
            });
        }
        compared = true;
    }
    if let (Some(d), Ok(v)) = (vi.osrelease(), vm.release()) {
        if d != v {
            return Err(NotTheKernel::Release {
                vmlinux: v,
                dump: d.to_string(),
            });
        }
        compared = true;
    }
    if compared {
        Ok(())
    } else {
        Err(NotTheKernel::NothingToCompare)
    }
}

fn warn(w: &mut Vec<Warning>, context: &str, message: String) {
    w.push(Warning::new(WarningKind::Log, context, message));
}

/// Read the kernel log from a dump's physical memory and VMCOREINFO. `vmlinux` is optional;
/// one that is not the dump's kernel is not used (a warning says so).
pub fn read_log(
    phys: &dyn PhysMem,
    vmcoreinfo: Option<&VmcoreInfo>,
    vmlinux: Option<&Vmlinux>,
) -> Result<Log, LogError> {
    read_log_with(phys, vmcoreinfo, vmlinux, None)
}

/// [`read_log`] for a caller that already resolved `printk_time`: its runtime address and
/// where it came from ("vmlinux" or "kallsyms"), so the dump's kallsyms is not searched again.
pub fn read_log_with(
    phys: &dyn PhysMem,
    vmcoreinfo: Option<&VmcoreInfo>,
    vmlinux: Option<&Vmlinux>,
    printk_time_at: Option<(u64, &'static str)>,
) -> Result<Log, LogError> {
    let vi = vmcoreinfo
        .filter(|v| !v.is_empty())
        .ok_or(LogError::NoVmcoreinfo)?;
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    let vm = match vmlinux {
        Some(vm) => match vmlinux_matches(vi, vm) {
            Ok(()) => Some(vm),
            Err(why) => {
                warn(
                    &mut warnings,
                    "vmlinux",
                    format!(
                        "{} is not the dump's kernel ({why}): not used; the log is read with the dump's VMCOREINFO alone",
                        vm.file_name()
                    ),
                );
                None
            }
        },
        None => None,
    };
    let dwarf = vm.map(|vmlinux| DwarfSource {
        vmlinux,
        kaslr_offset: vi.kernel_offset().ok().flatten().unwrap_or(0),
    });
    let arch = X86_64::from_vmcoreinfo(vi, None)?;
    let layout = PrbLayout::resolve(vi, dwarf)?;
    if !layout.from_dwarf.is_empty() {
        notes.push(format!(
            "VMCOREINFO lacks {}: taken from the vmlinux debug info",
            layout.from_dwarf.join(", ")
        ));
    }
    for d in &layout.disagreements {
        warn(&mut warnings, "log layout", d.clone());
    }
    if layout.levels.is_none() {
        warn(
            &mut warnings,
            "log layout",
            "printk_info's facility and level bits cannot be placed (caller_id is not right after text_len, and no matching vmlinux): records have no level".into(),
        );
    }
    let mem = KernelMem::new(phys, &arch);
    let ring = printk::read_log(&mem, &layout)?;
    let (printk_time, printk_time_source) =
        printk_time(&mem, vi, dwarf, printk_time_at, &layout, &mut notes);

    let mut lost = 0u64;
    let mut lowest: Option<u64> = ring.records.first().map(|r| r.seq);
    let mut highest: Option<u64> = ring.records.last().map(|r| r.seq);
    for p in &ring.problems {
        if let RingProblem::Lost { count, seqs, .. } = p {
            lost += count;
            lowest = Some(lowest.map_or(seqs.0, |l| l.min(seqs.0)));
            highest = Some(highest.map_or(seqs.1, |h| h.max(seqs.1)));
        }
        warn(&mut warnings, "log", p.to_string());
    }
    let first_seq = lowest;
    let overwritten = first_seq.unwrap_or(0);
    if overwritten > 0 {
        notes.push(format!(
            "the log starts at record seq {overwritten}: the {overwritten} oldest records were overwritten (the ring wrapped)"
        ));
    }
    let fail = ring.header.fail;
    if let Some(f) = fail.filter(|&f| f > 0) {
        notes.push(format!(
            "the kernel could not store {f} records when they were written (the ringbuffer's fail counter)"
        ));
    }
    let records = ring
        .records
        .into_iter()
        .map(|r| {
            let dev_info = (!r.subsystem.is_empty() || !r.device.is_empty()).then(|| DevInfo {
                subsystem: String::from_utf8_lossy(&r.subsystem).into_owned(),
                device: String::from_utf8_lossy(&r.device).into_owned(),
            });
            LogRecord {
                seq: r.seq,
                ts_nsec: r.ts_nsec,
                level: r.level,
                facility: r.facility,
                flags: r.flags,
                caller: caller(r.caller_id),
                caller_id: r.caller_id,
                text: r.text,
                dev_info,
                complete: r.state != DescState::Reserved,
                state: r.state,
            }
        })
        .collect();
    Ok(Log {
        layout_source: if layout.from_dwarf.is_empty() {
            "vmcoreinfo"
        } else {
            "vmcoreinfo+dwarf"
        },
        prb: format!("{:#x}", ring.header.rb.0),
        descriptors: ring.header.desc_count(),
        text_ring_bytes: ring.header.data_size(),
        first_seq,
        printk_time,
        printk_time_source,
        next_seq: highest.map(|h| h + 1),
        overwritten,
        lost,
        failed_reservations: fail,
        records,
        notes,
        warnings,
    })
}

/// The kernel's `printk_time` (static bool in kernel/printk/printk.c): through the matching
/// vmlinux's symbol, else the dump's kallsyms (6.0+), else assumed on with a note.
fn printk_time(
    mem: &KernelMem<'_>,
    vi: &VmcoreInfo,
    dwarf: Option<DwarfSource<'_>>,
    known: Option<(u64, &'static str)>,
    layout: &PrbLayout,
    notes: &mut Vec<String>,
) -> (bool, &'static str) {
    let from_vmlinux = dwarf.and_then(|d| {
        d.vmlinux
            .symbol_addr("printk_time")
            .ok()
            .map(|a| a.0.wrapping_add(d.kaslr_offset))
    });
    let (addr, source) = match from_vmlinux.map(|a| (a, "vmlinux")).or(known) {
        Some(found) => found,
        None => match kallsyms::lookup(mem, vi, &["printk_time"], ("prb", layout.prb_sym.0)) {
            Ok(v) => match v.first().copied().flatten() {
                Some(a) => (a, "kallsyms"),
                None => {
                    notes
                        .push("printk_time is not in the dump's kallsyms: timestamps shown".into());
                    return (true, "default");
                }
            },
            Err(e) => {
                notes.push(format!(
                    "whether the kernel printed timestamps is unknown ({e}); timestamps shown"
                ));
                return (true, "default");
            }
        },
    };
    let mut b = [0u8; 1];
    match mem.read(Va(addr), &mut b, "printk_time") {
        Ok(()) => (b[0] != 0, source),
        Err(e) => {
            notes.push(format!("{e}; timestamps shown"));
            (true, "default")
        }
    }
}

/// `T<pid>` or `C<cpu>`, as the kernel's print_caller() writes it.
pub fn caller(id: u32) -> String {
    if id & 0x8000_0000 != 0 {
        format!("C{}", id & !0x8000_0000)
    } else {
        format!("T{id}")
    }
}
