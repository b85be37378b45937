//! VMCOREINFO: the `KEY=VALUE` text the kernel exports for dump tools.
//!
//! Formats (kernel/vmcore_info.c, formerly kernel/crash_core.c): `SYMBOL(x)=%lx` (hex without 0x),
//! `NUMBER(x)=%ld` (signed decimal; 6.12+ writes `NUMBER(VMALLOC_START)=0x%lx`), `SIZE(x)=%lu`,
//! `OFFSET(s.m)=%lu`, `LENGTH(x)=%lu`, plus bare keys such as OSRELEASE, BUILD-ID, PAGESIZE,
//! KERNELOFFSET (hex) and CRASHTIME. Unknown keys are kept.

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmcoreInfo {
    /// Every line, in order, as `(key, value)`; `key` includes any `SYMBOL(...)` wrapper.
    entries: Vec<(String, String)>,
    index: BTreeMap<String, usize>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("VMCOREINFO key {key}: value {value:?} is not {expected}")]
pub struct VmcoreInfoValueError {
    pub key: String,
    pub value: String,
    pub expected: &'static str,
}

impl VmcoreInfo {
    /// Parse VMCOREINFO text. Lines without `=` and NUL padding are ignored; the last value of a
    /// repeated key wins (the kernel appends CRASHTIME at crash time).
    pub fn parse(text: &[u8]) -> VmcoreInfo {
        let text = match text.iter().position(|&b| b == 0) {
            Some(n) => &text[..n],
            None => text,
        };
        let mut v = VmcoreInfo::default();
        for line in String::from_utf8_lossy(text).lines() {
            let line = line.trim_end_matches('\r');
            if let Some((k, val)) = line.split_once('=') {
                if k.is_empty() {
                    continue;
                }
                v.index.insert(k.to_string(), v.entries.len());
                v.entries.push((k.to_string(), val.to_string()));
            }
        }
        v
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries in file order.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// The raw value of a full key such as `OSRELEASE` or `SYMBOL(init_top_pgt)`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.index.get(key).map(|&i| self.entries[i].1.as_str())
    }

    pub fn osrelease(&self) -> Option<&str> {
        self.get("OSRELEASE")
    }

    /// BUILD-ID as lowercase hex text.
    pub fn build_id(&self) -> Option<&str> {
        self.get("BUILD-ID")
    }

    pub fn page_size(&self) -> Result<Option<u64>, VmcoreInfoValueError> {
        self.parsed("PAGESIZE", "a decimal number", |s| s.parse().ok())
    }

    /// KERNELOFFSET (hex, no 0x).
    pub fn kernel_offset(&self) -> Result<Option<u64>, VmcoreInfoValueError> {
        self.parsed("KERNELOFFSET", "hex", parse_hex)
    }

    pub fn crash_time(&self) -> Result<Option<i64>, VmcoreInfoValueError> {
        self.parsed("CRASHTIME", "a decimal number", |s| s.parse().ok())
    }

    /// `SYMBOL(name)`: a runtime (already relocated) virtual address, hex without 0x.
    pub fn symbol(&self, name: &str) -> Result<Option<u64>, VmcoreInfoValueError> {
        self.parsed(&format!("SYMBOL({name})"), "hex", parse_hex)
    }

    /// `NUMBER(name)`: signed decimal, or `0x` hex (6.12+ VMALLOC_START).
    pub fn number(&self, name: &str) -> Result<Option<i64>, VmcoreInfoValueError> {
        self.parsed(
            &format!("NUMBER({name})"),
            "a signed decimal (or 0x hex) number",
            |s| {
                if let Some(h) = s.strip_prefix("0x") {
                    u64::from_str_radix(h, 16).ok().map(|v| v as i64)
                } else {
                    s.parse::<i64>().ok()
                }
            },
        )
    }

    pub fn size(&self, name: &str) -> Result<Option<u64>, VmcoreInfoValueError> {
        self.parsed(&format!("SIZE({name})"), "a decimal number", |s| {
            s.parse().ok()
        })
    }

    /// `OFFSET(struct.member)`.
    pub fn offset(&self, name: &str) -> Result<Option<u64>, VmcoreInfoValueError> {
        self.parsed(&format!("OFFSET({name})"), "a decimal number", |s| {
            s.parse().ok()
        })
    }

    pub fn length(&self, name: &str) -> Result<Option<u64>, VmcoreInfoValueError> {
        self.parsed(&format!("LENGTH({name})"), "a decimal number", |s| {
            s.parse().ok()
        })
    }

    fn parsed<T>(
        &self,
        key: &str,
        expected: &'static str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, VmcoreInfoValueError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => f(v.trim()).map(Some).ok_or_else(|| VmcoreInfoValueError {
                key: key.to_string(),
                value: v.to_string(),
                expected,
            }),
        }
    }
}

fn parse_hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_values() {
        let v = VmcoreInfo::parse(
            b"OSRELEASE=6.1.0-56-cloud-amd64\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffffb0a0c000\n\
NUMBER(phys_base)=-694157312\nNUMBER(VMALLOC_START)=0xffffc90000000000\nKERNELOFFSET=2e000000\n\
OFFSET(list_head.next)=0\nCRASHTIME=1700000000\n\0\0\0",
        );
        assert_eq!(v.osrelease(), Some("6.1.0-56-cloud-amd64"));
        assert_eq!(v.page_size().unwrap(), Some(4096));
        assert_eq!(v.symbol("init_top_pgt").unwrap(), Some(0xffffffffb0a0c000));
        assert_eq!(v.number("phys_base").unwrap(), Some(-694157312));
        assert_eq!(
            v.number("VMALLOC_START").unwrap(),
            Some(0xffffc90000000000u64 as i64)
        );
        assert_eq!(v.kernel_offset().unwrap(), Some(0x2e000000));
        assert_eq!(v.offset("list_head.next").unwrap(), Some(0));
        assert_eq!(v.crash_time().unwrap(), Some(1700000000));
        assert_eq!(v.symbol("nope").unwrap(), None);
    }

    #[test]
    fn bad_value_names_key() {
        let v = VmcoreInfo::parse(b"PAGESIZE=lots\n");
        let e = v.page_size().unwrap_err();
        assert!(e.to_string().contains("PAGESIZE"));
    }
}
