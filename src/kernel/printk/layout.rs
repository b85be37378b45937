//! Where the printk ringbuffer's fields are.
//!
//! From VMCOREINFO first: 5.10+ kernels export the layout for dump tools
//! (`log_buf_vmcoreinfo_setup()` in kernel/printk/printk.c: `SYMBOL(prb)`,
//! `SIZE(printk_ringbuffer)`, `OFFSET(prb_desc_ring.descs)`, `LENGTH(printk_info_device)`, ...),
//! so the log can be read with no vmlinux. A key VMCOREINFO lacks is taken from the vmlinux's
//! DWARF when one is given.
//!
//! Not exported: where `printk_info`'s `u8 facility` and its `u8 flags:5, level:3` byte are. They
//! follow `u16 text_len` (kernel/printk/printk_ringbuffer.h, unchanged since 5.10), so they are
//! derived as `text_len + 2` and `text_len + 3` when `caller_id` is exactly at `text_len + 4`
//! (nothing else fits between), or taken from DWARF (which wins when present).

use super::error::PrintkError;
use crate::addr::Va;
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::symbols::{Hint, SymError, Type, Vmlinux};
use std::collections::HashMap;

/// A bitfield inside one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitPos {
    /// Byte offset in the struct.
    pub byte: u64,
    /// Lowest bit in that byte.
    pub shift: u8,
    /// Width in bits (1..=8).
    pub width: u8,
}

impl BitPos {
    pub fn get(&self, byte: u8) -> u8 {
        let v = byte >> self.shift;
        if self.width >= 8 {
            v
        } else {
            v & ((1u8 << self.width) - 1)
        }
    }
}

/// Where `printk_info`'s facility, flags and level are, and how that was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelLayout {
    pub facility: u64,
    pub flags: BitPos,
    pub level: BitPos,
    /// True when read from DWARF, false when derived from `text_len`'s offset.
    pub from_dwarf: bool,
}

/// Every offset and size the decoder uses. Offsets are within the named struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrbLayout {
    /// Runtime address of the `prb` pointer variable (`struct printk_ringbuffer *prb`).
    pub prb_sym: Va,
    /// `printk_rb_static`, when known: `prb` points there unless `log_buf_len=` enlarged the log.
    pub static_rb: Option<Va>,
    pub rb_size: u64,
    pub rb_desc_ring: u64,
    pub rb_text_data_ring: u64,
    pub rb_fail: Option<u64>,
    pub dr_count_bits: u64,
    pub dr_descs: u64,
    pub dr_infos: u64,
    pub dr_head_id: u64,
    pub dr_tail_id: u64,
    pub desc_size: u64,
    pub desc_state_var: u64,
    pub desc_lpos: u64,
    pub lpos_begin: u64,
    pub lpos_next: u64,
    pub info_size: u64,
    pub info_seq: u64,
    pub info_ts_nsec: u64,
    pub info_text_len: u64,
    pub info_caller_id: u64,
    pub info_dev_info: u64,
    pub dev_subsystem: u64,
    pub dev_subsystem_len: u64,
    pub dev_device: u64,
    pub dev_device_len: u64,
    pub data_size_bits: u64,
    pub data_data: u64,
    pub data_head_lpos: u64,
    pub data_tail_lpos: u64,
    /// `OFFSET(atomic_long_t.counter)` (0 on every kernel), added to each atomic field.
    pub atomic_counter: u64,
    /// None when neither derivation nor DWARF could place them: records then have no level.
    pub levels: Option<LevelLayout>,
    /// The keys VMCOREINFO lacked that came from DWARF instead.
    pub from_dwarf: Vec<String>,
    /// Disagreements between VMCOREINFO and DWARF (VMCOREINFO, the dump's own, was used).
    pub disagreements: Vec<String>,
}

/// A vmlinux (known to match the dump) to take missing keys from.
#[derive(Clone, Copy)]
pub struct DwarfSource<'a> {
    pub vmlinux: &'a Vmlinux,
    /// KERNELOFFSET: added to the vmlinux's link-time symbol addresses.
    pub kaslr_offset: u64,
}

const HINT: Hint<'static> = Hint::File("kernel/printk/printk_ringbuffer.c");

struct Resolver<'a> {
    vi: &'a VmcoreInfo,
    dwarf: Option<DwarfSource<'a>>,
    /// Structs found in DWARF (None: not found; asking again gives the error).
    types: HashMap<&'static str, Option<Type>>,
    from_dwarf: Vec<String>,
}

impl Resolver<'_> {
    fn dwarf_type(&mut self, st: &'static str) -> Option<Result<&Type, SymError>> {
        let d = self.dwarf?;
        let t = self
            .types
            .entry(st)
            .or_insert_with(|| d.vmlinux.find_struct(st, HINT).ok());
        Some(match t {
            Some(t) => Ok(t),
            None => Err(match d.vmlinux.find_struct(st, HINT) {
                Err(e) => e,
                Ok(_) => SymError::MemberNotFound {
                    ty: format!("struct {st}"),
                    path: String::new(),
                    why: "not found earlier".into(),
                },
            }),
        })
    }

    fn missing(&self, key: String, e: Option<SymError>) -> PrintkError {
        match e {
            Some(source) => PrintkError::NotInDwarf { key, source },
            None => PrintkError::MissingKey { key },
        }
    }

    fn offset(&mut self, st: &'static str, member: &'static str) -> Result<u64, PrintkError> {
        if let Some(v) = self.vi.offset(&format!("{st}.{member}"))? {
            return Ok(v);
        }
        let key = format!("OFFSET({st}.{member})");
        match self.dwarf_type(st) {
            Some(Ok(t)) => match t.member_offset(member) {
                Ok(v) => {
                    self.from_dwarf.push(key);
                    Ok(v)
                }
                Err(e) => Err(self.missing(key, Some(e))),
            },
            Some(Err(e)) => Err(self.missing(key, Some(e))),
            None => Err(self.missing(key, None)),
        }
    }

    fn size(&mut self, st: &'static str) -> Result<u64, PrintkError> {
        if let Some(v) = self.vi.size(st)? {
            return Ok(v);
        }
        let key = format!("SIZE({st})");
        match self.dwarf_type(st) {
            Some(Ok(t)) => match t.size() {
                Some(v) => {
                    self.from_dwarf.push(key);
                    Ok(v)
                }
                None => Err(self.missing(key, None)),
            },
            Some(Err(e)) => Err(self.missing(key, Some(e))),
            None => Err(self.missing(key, None)),
        }
    }

    fn length(
        &mut self,
        name: &'static str,
        st: &'static str,
        member: &'static str,
    ) -> Result<u64, PrintkError> {
        if let Some(v) = self.vi.length(name)? {
            return Ok(v);
        }
        let key = format!("LENGTH({name})");
        match self.dwarf_type(st) {
            Some(Ok(t)) => match t.member(member).map(|m| m.size) {
                Ok(Some(v)) => {
                    self.from_dwarf.push(key);
                    Ok(v)
                }
                Ok(None) => Err(self.missing(key, None)),
                Err(e) => Err(self.missing(key, Some(e))),
            },
            Some(Err(e)) => Err(self.missing(key, Some(e))),
            None => Err(self.missing(key, None)),
        }
    }

    fn symbol(&mut self, name: &'static str) -> Result<Option<u64>, PrintkError> {
        if let Some(v) = self.vi.symbol(name)? {
            return Ok(Some(v));
        }
        let Some(d) = self.dwarf else {
            return Ok(None);
        };
        match d.vmlinux.symbol_addr(name) {
            Ok(a) => {
                self.from_dwarf.push(format!("SYMBOL({name})"));
                Ok(Some(a.0.wrapping_add(d.kaslr_offset)))
            }
            Err(_) => Ok(None),
        }
    }

    /// facility, flags and level from DWARF, when a vmlinux is given.
    fn dwarf_levels(&mut self) -> Option<LevelLayout> {
        let t = self.dwarf_type("printk_info")?.ok()?;
        let facility = t.member("facility").ok()?.offset;
        let bits = |name: &str| -> Option<BitPos> {
            let b = t.member(name).ok()?.bitfield?;
            let (byte, shift) = (b.bit_offset / 8, (b.bit_offset % 8) as u8);
            if b.bit_size == 0 || u64::from(shift) + b.bit_size > 8 {
                return None;
            }
            Some(BitPos {
                byte,
                shift,
                width: b.bit_size as u8,
            })
        };
        Some(LevelLayout {
            facility,
            flags: bits("flags")?,
            level: bits("level")?,
            from_dwarf: true,
        })
    }
}

/// `off + width <= size`, else an implausible-layout error naming `key`.
fn within(key: &str, off: u64, width: u64, size: u64) -> Result<(), PrintkError> {
    if off.checked_add(width).is_none_or(|end| end > size) {
        return Err(PrintkError::Implausible {
            key: key.to_string(),
            value: off,
            why: "the field does not fit in its struct",
        });
    }
    Ok(())
}

fn size_cap(key: &str, v: u64, min: u64, max: u64) -> Result<u64, PrintkError> {
    if v < min || v > max {
        return Err(PrintkError::Implausible {
            key: key.to_string(),
            value: v,
            why: "outside the sizes any kernel uses",
        });
    }
    Ok(v)
}

impl PrbLayout {
    /// Resolve from VMCOREINFO, with `dwarf` (a vmlinux that matches the dump) for what it
    /// lacks and for the facility/level bits.
    pub fn resolve(
        vi: &VmcoreInfo,
        dwarf: Option<DwarfSource<'_>>,
    ) -> Result<PrbLayout, PrintkError> {
        let mut r = Resolver {
            vi,
            dwarf,
            types: HashMap::new(),
            from_dwarf: Vec::new(),
        };
        let prb_sym = match r.symbol("prb")? {
            Some(a) => Va(a),
            None if vi.symbol("log_buf")?.is_some() => return Err(PrintkError::PreLockless),
            None => {
                return Err(r.missing("SYMBOL(prb)".into(), None));
            }
        };
        let static_rb = r.symbol("printk_rb_static")?.map(Va);

        let rb_size = size_cap(
            "SIZE(printk_ringbuffer)",
            r.size("printk_ringbuffer")?,
            16,
            4096,
        )?;
        let desc_size = size_cap("SIZE(prb_desc)", r.size("prb_desc")?, 16, 256)?;
        let info_size = size_cap("SIZE(printk_info)", r.size("printk_info")?, 24, 4096)?;
        let dr_size = size_cap("SIZE(prb_desc_ring)", r.size("prb_desc_ring")?, 8, 4096)?;
        let data_ring_size = size_cap("SIZE(prb_data_ring)", r.size("prb_data_ring")?, 8, 4096)?;
        let lpos_size = size_cap(
            "SIZE(prb_data_blk_lpos)",
            r.size("prb_data_blk_lpos")?,
            16,
            64,
        )?;
        let dev_size = size_cap("SIZE(dev_printk_info)", r.size("dev_printk_info")?, 2, 4096)?;

        let rb_desc_ring = r.offset("printk_ringbuffer", "desc_ring")?;
        let rb_text_data_ring = r.offset("printk_ringbuffer", "text_data_ring")?;
        let rb_fail = r.offset("printk_ringbuffer", "fail").ok();
        let atomic_counter: u64 = r.vi.offset("atomic_long_t.counter")?.unwrap_or_default();
        within("OFFSET(atomic_long_t.counter)", atomic_counter, 8, 8)?;
        within(
            "OFFSET(printk_ringbuffer.desc_ring)",
            rb_desc_ring,
            dr_size,
            rb_size,
        )?;
        within(
            "OFFSET(printk_ringbuffer.text_data_ring)",
            rb_text_data_ring,
            data_ring_size,
            rb_size,
        )?;
        if let Some(f) = rb_fail {
            within("OFFSET(printk_ringbuffer.fail)", f, 8, rb_size)?;
        }

        let dr_count_bits = r.offset("prb_desc_ring", "count_bits")?;
        let dr_descs = r.offset("prb_desc_ring", "descs")?;
        let dr_infos = r.offset("prb_desc_ring", "infos")?;
        let dr_head_id = r.offset("prb_desc_ring", "head_id")?;
        let dr_tail_id = r.offset("prb_desc_ring", "tail_id")?;
        for (k, o, w) in [
            ("OFFSET(prb_desc_ring.count_bits)", dr_count_bits, 4),
            ("OFFSET(prb_desc_ring.descs)", dr_descs, 8),
            ("OFFSET(prb_desc_ring.infos)", dr_infos, 8),
            ("OFFSET(prb_desc_ring.head_id)", dr_head_id, 8),
            ("OFFSET(prb_desc_ring.tail_id)", dr_tail_id, 8),
        ] {
            within(k, o, w, dr_size)?;
        }

        let desc_state_var = r.offset("prb_desc", "state_var")?;
        let desc_lpos = r.offset("prb_desc", "text_blk_lpos")?;
        let lpos_begin = r.offset("prb_data_blk_lpos", "begin")?;
        let lpos_next = r.offset("prb_data_blk_lpos", "next")?;
        within("OFFSET(prb_desc.state_var)", desc_state_var, 8, desc_size)?;
        within(
            "OFFSET(prb_desc.text_blk_lpos)",
            desc_lpos,
            lpos_size,
            desc_size,
        )?;
        within("OFFSET(prb_data_blk_lpos.begin)", lpos_begin, 8, lpos_size)?;
        within("OFFSET(prb_data_blk_lpos.next)", lpos_next, 8, lpos_size)?;

        let info_seq = r.offset("printk_info", "seq")?;
        let info_ts_nsec = r.offset("printk_info", "ts_nsec")?;
        let info_text_len = r.offset("printk_info", "text_len")?;
        let info_caller_id = r.offset("printk_info", "caller_id")?;
        let info_dev_info = r.offset("printk_info", "dev_info")?;
        within("OFFSET(printk_info.seq)", info_seq, 8, info_size)?;
        within("OFFSET(printk_info.ts_nsec)", info_ts_nsec, 8, info_size)?;
        within("OFFSET(printk_info.text_len)", info_text_len, 2, info_size)?;
        within(
            "OFFSET(printk_info.caller_id)",
            info_caller_id,
            4,
            info_size,
        )?;
        within(
            "OFFSET(printk_info.dev_info)",
            info_dev_info,
            dev_size,
            info_size,
        )?;

        let dev_subsystem = r.offset("dev_printk_info", "subsystem")?;
        let dev_subsystem_len =
            r.length("printk_info_subsystem", "dev_printk_info", "subsystem")?;
        let dev_device = r.offset("dev_printk_info", "device")?;
        let dev_device_len = r.length("printk_info_device", "dev_printk_info", "device")?;
        within(
            "LENGTH(printk_info_subsystem)",
            dev_subsystem,
            dev_subsystem_len,
            dev_size,
        )?;
        within(
            "LENGTH(printk_info_device)",
            dev_device,
            dev_device_len,
            dev_size,
        )?;

        let data_size_bits = r.offset("prb_data_ring", "size_bits")?;
        let data_data = r.offset("prb_data_ring", "data")?;
        let data_head_lpos = r.offset("prb_data_ring", "head_lpos")?;
        let data_tail_lpos = r.offset("prb_data_ring", "tail_lpos")?;
        for (k, o, w) in [
            ("OFFSET(prb_data_ring.size_bits)", data_size_bits, 4),
            ("OFFSET(prb_data_ring.data)", data_data, 8),
            ("OFFSET(prb_data_ring.head_lpos)", data_head_lpos, 8),
            ("OFFSET(prb_data_ring.tail_lpos)", data_tail_lpos, 8),
        ] {
            within(k, o, w, data_ring_size)?;
        }

        let derived = (info_caller_id == info_text_len + 4).then_some(LevelLayout {
            facility: info_text_len + 2,
            flags: BitPos {
                byte: info_text_len + 3,
                shift: 0,
                width: 5,
            },
            level: BitPos {
                byte: info_text_len + 3,
                shift: 5,
                width: 3,
            },
            from_dwarf: false,
        });
        let mut disagreements = Vec::new();
        let levels = match (r.dwarf_levels(), derived) {
            (Some(d), Some(v)) => {
                if (d.facility, d.flags, d.level) != (v.facility, v.flags, v.level) {
                    disagreements.push(format!(
                        "printk_info facility/flags/level: derived from VMCOREINFO at {}/{}/{}, the vmlinux debug info says {}/{}/{} (used)",
                        v.facility, v.flags.byte, v.level.byte, d.facility, d.flags.byte, d.level.byte
                    ));
                }
                Some(d)
            }
            (d, v) => d.or(v),
        };
        if let Some(l) = &levels {
            within("printk_info.facility", l.facility, 1, info_size)?;
            within("printk_info.flags", l.flags.byte, 1, info_size)?;
            within("printk_info.level", l.level.byte, 1, info_size)?;
        }
        // With a vmlinux, say where its DWARF disagrees with VMCOREINFO (the dump's own wins).
        if r.dwarf.is_some() {
            for (st, member, got) in [
                ("printk_info", "text_len", info_text_len),
                ("printk_info", "caller_id", info_caller_id),
                ("prb_desc_ring", "descs", dr_descs),
                ("prb_data_ring", "data", data_data),
            ] {
                if let Some(Ok(t)) = r.dwarf_type(st) {
                    if let Ok(d) = t.member_offset(member) {
                        if d != got {
                            disagreements.push(format!(
                                "OFFSET({st}.{member}) is {got} in VMCOREINFO but {d} in the vmlinux debug info (VMCOREINFO used)"
                            ));
                        }
                    }
                }
            }
        }

        Ok(PrbLayout {
            prb_sym,
            static_rb,
            rb_size,
            rb_desc_ring,
            rb_text_data_ring,
            rb_fail,
            dr_count_bits,
            dr_descs,
            dr_infos,
            dr_head_id,
            dr_tail_id,
            desc_size,
            desc_state_var,
            desc_lpos,
            lpos_begin,
            lpos_next,
            info_size,
            info_seq,
            info_ts_nsec,
            info_text_len,
            info_caller_id,
            info_dev_info,
            dev_subsystem,
            dev_subsystem_len,
            dev_device,
            dev_device_len,
            data_size_bits,
            data_data,
            data_head_lpos,
            data_tail_lpos,
            atomic_counter,
            levels,
            from_dwarf: r.from_dwarf,
            disagreements,
        })
    }
}
