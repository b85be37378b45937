//! One unit's header and root `DW_AT_name`, read from a small copy of its first bytes
//! (`pread` when the file is mapped) with gimli's parsers as the fallback for anything unusual.

use std::sync::OnceLock;

use gimli::{AttributeValue, DebugInfoOffset, Reader, Section, UnitOffset};

use super::table::UnitSlot;
use super::{CachedErr, DwarfData, Header};

/// How to read a few bytes of .debug_info without touching the mapping.
pub(crate) enum Peek {
    /// `pread` from the file; the u64 is .debug_info's file offset.
    File(std::fs::File, u64),
    /// The bytes are in memory anyway: copy from the slice.
    Memory,
}

impl Peek {
    /// Fill `buf` with .debug_info bytes at `off` (fewer at the section end). `None` on I/O error.
    fn read(&self, info: &[u8], off: usize, buf: &mut [u8]) -> Option<usize> {
        let want = buf.len().min(info.len().checked_sub(off)?);
        match self {
            Peek::Memory => {
                buf[..want].copy_from_slice(&info[off..off + want]);
                Some(want)
            }
            Peek::File(f, base) => {
                use std::os::unix::fs::FileExt;
                f.read_exact_at(&mut buf[..want], base.checked_add(off as u64)?)
                    .ok()?;
                Some(want)
            }
        }
    }
}

impl DwarfData {
    /// The unit at .debug_info offset `off`; `Ok(None)` at the end of the section. A unit whose
    /// root cannot be read is still returned (without a name), so one bad unit does not hide
    /// the others; a bad header is an error (the next unit's offset is unknown).
    pub(super) fn read_unit(&self, off: usize) -> Result<Option<UnitSlot>, CachedErr> {
        if off >= self.dwarf.debug_info.reader().len() {
            return Ok(None);
        }
        if let Some(slot) = self.read_unit_peek(off) {
            return Ok(Some(slot));
        }
        self.read_unit_gimli(off).map(Some)
    }

    /// The header parsed from a small copy of the unit's first bytes, so reading units does
    /// not fault in one page of .debug_info per unit (those faults, and unmapping the pages they
    /// map, were most of the time on a 2,000-unit vmlinux), then handed to gimli as
    /// `UnitHeader::new`. `None` on anything unusual (unit types other than compile/partial,
    /// DWARF < 2 or > 5, short reads): the caller then uses gimli's parser.
    fn read_unit_peek(&self, off: usize) -> Option<UnitSlot> {
        use gimli::{Format, Reader as _};
        let info = self.dwarf.debug_info.reader().slice();
        let endian = self.dwarf.debug_info.reader().endian();
        let mut buf = [0u8; 192];
        let n = self.peek.read(info, off, &mut buf)?;
        let b = gimli::EndianSlice::new(&buf[..n], endian);
        let mut r = b;
        let len32 = r.read_u32().ok()?;
        let (format, unit_length, len_size) = match len32 {
            0xffff_ffff => (
                Format::Dwarf64,
                usize::try_from(r.read_u64().ok()?).ok()?,
                12,
            ),
            l if l >= 0xffff_fff0 => return None,
            l => (Format::Dwarf32, l as usize, 4),
        };
        let end = off.checked_add(len_size)?.checked_add(unit_length)?;
        if end > info.len() {
            return None;
        }
        let version = r.read_u16().ok()?;
        let (unit_type, address_size, abbrev) = match version {
            5 => {
                let ut = gimli::DwUt(r.read_u8().ok()?);
                let asz = r.read_u8().ok()?;
                let ab = r.read_offset(format).ok()?;
                let ut = match ut {
                    gimli::DW_UT_compile => gimli::UnitType::Compilation,
                    gimli::DW_UT_partial => gimli::UnitType::Partial,
                    _ => return None,
                };
                (ut, asz, ab)
            }
            2..=4 => {
                let ab = r.read_offset(format).ok()?;
                let asz = r.read_u8().ok()?;
                (gimli::UnitType::Compilation, asz, ab)
            }
            _ => return None,
        };
        let header_size = n - r.len();
        let encoding = gimli::Encoding {
            format,
            version,
            address_size,
        };
        let entries = gimli::EndianSlice::new(info.get(off + header_size..end)?, endian);
        let header = gimli::UnitHeader::new(
            encoding,
            unit_length,
            unit_type,
            gimli::DebugAbbrevOffset(abbrev),
            DebugInfoOffset(off).into(),
            entries,
        );
        if header.header_size() != header_size {
            return None;
        }
        let name = match self.root_name_fast(&header, r, off + header_size) {
            Some(n) => n,
            None => self.root_name(&header).ok().flatten(),
        };
        Some(UnitSlot {
            header,
            offset: off as u64,
            end: end as u64,
            name,
            parsed: OnceLock::new(),
        })
    }

    /// gimli's own header parse (its unit iterator does the same at each offset).
    pub(super) fn read_unit_gimli(&self, off: usize) -> Result<UnitSlot, CachedErr> {
        let header = self
            .dwarf
            .debug_info
            .header_from_offset(DebugInfoOffset(off))
            .map_err(|err| CachedErr {
                offset: off as u64,
                what: "a compile unit header".into(),
                err,
            })?;
        let end = off as u64 + header.length_including_self() as u64;
        let name = self.root_name(&header).ok().flatten();
        Ok(UnitSlot {
            header,
            offset: off as u64,
            end,
            name,
            parsed: OnceLock::new(),
        })
    }

    /// Read only the root DIE's DW_AT_name: the fast path scans the raw abbreviation table for
    /// the root's code without building gimli's `Abbreviations` (which allocates per entry and
    /// dominated the table build), then skips root attributes by form. Anything unusual falls
    /// back to gimli's full parse.
    fn root_name(&self, header: &Header) -> gimli::Result<Option<&'static str>> {
        let die_at = header.offset().as_debug_info_offset().map(|o| o.0);
        if let (Ok(die), Some(at)) = (
            header.range_from(UnitOffset(header.header_size())..),
            die_at,
        ) {
            if let Some(name) = self.root_name_fast(header, die, at + header.header_size()) {
                return Ok(name);
            }
        }
        let abbrevs = header.abbreviations(&self.dwarf.debug_abbrev)?;
        let mut raw = header.entries_raw(&abbrevs, None)?;
        let Some(abbrev) = raw.read_abbreviation()? else {
            return Ok(None);
        };
        for spec in abbrev.attributes() {
            let attr = raw.read_attribute(*spec)?;
            if attr.name() == gimli::DW_AT_name {
                return Ok(self.attr_str(attr.value()));
            }
        }
        Ok(None)
    }

    /// `None` = could not decide, use the slow path; `Some(None)` = no name.
    ///
    /// `die` holds the bytes of the root DIE (from the mapping, or a copy read with `pread`);
    /// `die_at` is its .debug_info offset, used to return inline names from the mapping.
    fn root_name_fast(
        &self,
        header: &Header,
        mut die: gimli::EndianSlice<'_, gimli::RunTimeEndian>,
        die_at: usize,
    ) -> Option<Option<&'static str>> {
        let encoding = header.encoding();
        let die_start = die.slice().as_ptr() as usize;
        let code = die.read_uleb128().ok()?;
        if code == 0 {
            return Some(None);
        }
        // Find the abbreviation with that code: a raw byte scan (most LEB128s here are one
        // byte), positioned at the root's attribute list on success.
        let abbrev_all = self.dwarf.debug_abbrev.reader().slice();
        let mut p = header.debug_abbrev_offset().0;
        loop {
            let c = raw_uleb(abbrev_all, &mut p)?;
            if c == 0 {
                return None; // not found: let gimli report it
            }
            let _tag = raw_uleb(abbrev_all, &mut p)?;
            p += 1; // DW_CHILDREN_*
            if c == code {
                break;
            }
            loop {
                let at = raw_uleb(abbrev_all, &mut p)?;
                let form = raw_uleb(abbrev_all, &mut p)?;
                if form == u64::from(gimli::DW_FORM_implicit_const.0) {
                    raw_uleb(abbrev_all, &mut p)?; // SLEB128: same length rules
                }
                if at == 0 && form == 0 {
                    break;
                }
            }
        }
        let mut ab = gimli::EndianSlice::new(abbrev_all.get(p..)?, die.endian());
        // Walk the root's attributes.
        loop {
            let at = ab.read_uleb128().ok()?;
            let mut form = gimli::DwForm(ab.read_uleb128_u16().ok()?);
            if form == gimli::DW_FORM_implicit_const {
                ab.read_sleb128().ok()?;
            }
            if at == 0 && form.0 == 0 {
                return Some(None);
            }
            while form == gimli::DW_FORM_indirect {
                form = gimli::DwForm(die.read_uleb128_u16().ok()?);
            }
            if at == u64::from(gimli::DW_AT_name.0) {
                let v = match form {
                    gimli::DW_FORM_string => {
                        let pos = die.slice().as_ptr() as usize - die_start;
                        let len = die.read_null_terminated_slice().ok()?.len();
                        let info = self.dwarf.debug_info.reader().slice();
                        let at = die_at.checked_add(pos)?;
                        AttributeValue::String(gimli::EndianSlice::new(
                            info.get(at..at.checked_add(len)?)?,
                            die.endian(),
                        ))
                    }
                    gimli::DW_FORM_strp => AttributeValue::DebugStrRef(gimli::DebugStrOffset(
                        die.read_offset(encoding.format).ok()?,
                    )),
                    gimli::DW_FORM_line_strp => AttributeValue::DebugLineStrRef(
                        gimli::DebugLineStrOffset(die.read_offset(encoding.format).ok()?),
                    ),
                    _ => return None,
                };
                return Some(self.attr_str(v));
            }
            skip_form(&mut die, form, encoding)?;
        }
    }
}

/// Read a LEB128 from `b` at `*p` (value meaningful for unsigned; for signed only the length
/// matters to callers). `None` past the end or on overlong input.
#[inline]
fn raw_uleb(b: &[u8], p: &mut usize) -> Option<u64> {
    let first = *b.get(*p)?;
    *p += 1;
    if first < 0x80 {
        return Some(u64::from(first));
    }
    let mut v = u64::from(first & 0x7f);
    let mut shift = 7;
    loop {
        let byte = *b.get(*p)?;
        *p += 1;
        if shift < 64 {
            v |= u64::from(byte & 0x7f) << shift;
        } else if shift > 70 {
            return None;
        }
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
}

/// Skip one attribute value of `form`. `None` for forms we do not know.
#[allow(non_upper_case_globals)]
fn skip_form(
    r: &mut gimli::EndianSlice<'_, gimli::RunTimeEndian>,
    form: gimli::DwForm,
    enc: gimli::Encoding,
) -> Option<()> {
    use gimli::constants::*;
    let n: usize = match form {
        DW_FORM_flag_present | DW_FORM_implicit_const => 0,
        DW_FORM_data1 | DW_FORM_ref1 | DW_FORM_flag | DW_FORM_strx1 | DW_FORM_addrx1 => 1,
        DW_FORM_data2 | DW_FORM_ref2 | DW_FORM_strx2 | DW_FORM_addrx2 => 2,
        DW_FORM_strx3 | DW_FORM_addrx3 => 3,
        DW_FORM_data4 | DW_FORM_ref4 | DW_FORM_ref_sup4 | DW_FORM_strx4 | DW_FORM_addrx4 => 4,
        DW_FORM_data8 | DW_FORM_ref8 | DW_FORM_ref_sig8 | DW_FORM_ref_sup8 => 8,
        DW_FORM_data16 => 16,
        DW_FORM_addr => usize::from(enc.address_size),
        DW_FORM_strp | DW_FORM_line_strp | DW_FORM_sec_offset | DW_FORM_strp_sup
        | DW_FORM_GNU_ref_alt | DW_FORM_GNU_strp_alt => usize::from(enc.format.word_size()),
        DW_FORM_ref_addr => {
            if enc.version <= 2 {
                usize::from(enc.address_size)
            } else {
                usize::from(enc.format.word_size())
            }
        }
        DW_FORM_udata
        | DW_FORM_ref_udata
        | DW_FORM_strx
        | DW_FORM_addrx
        | DW_FORM_loclistx
        | DW_FORM_rnglistx
        | DW_FORM_GNU_addr_index
        | DW_FORM_GNU_str_index => {
            r.read_uleb128().ok()?;
            0
        }
        DW_FORM_sdata => {
            r.read_sleb128().ok()?;
            0
        }
        DW_FORM_string => {
            r.read_null_terminated_slice().ok()?;
            0
        }
        DW_FORM_block1 => usize::from(r.read_u8().ok()?),
        DW_FORM_block2 => usize::from(r.read_u16().ok()?),
        DW_FORM_block4 => r.read_u32().ok()? as usize,
        DW_FORM_block | DW_FORM_exprloc => r.read_uleb128().ok()? as usize,
        _ => return None,
    };
    r.skip(n).ok()
}
