//! mm/debug.c dump_page(): the lines it prints, 6.1 and 6.12.
//!
//! 6.1 `__dump_page()`:
//! `"page:%p refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx\n"`,
//! `"head:%p order:%u compound_mapcount:%d compound_pincount:%d\n"` (compound pages),
//! `"memcg:%lx\n"`, dump_mapping()'s line, `"%sflags: %pGp%s\n"` (`anon `/`ksm `, ` CMA`),
//! `raw: ` and `head: ` print_hex_dump() lines.
//! 6.12 `__dump_folio()`: `"page: refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx\n"`,
//! `"head: order:%u mapcount:%d entire_mapcount:%d nr_pages_mapped:%d pincount:%d\n"`,
//! the same memcg/mapping/flags lines, then `"page_type: %x(%s)\n"` for typed pages.
//! Both: `"page:%p is uninitialized and poisoned"`, then `"page dumped because: %s\n"` and
//! dump_page_owner()'s lines.

use super::lines::{dec_i64, dec_u32, hex_u64, kv};
use super::model::{FlagField, PageDump, PrintedFlags, PrintedPageType};

pub(crate) enum PageLine<'a> {
    NotMine,
    Consumed,
    /// `page dumped because: REASON`.
    Reason(&'a str),
}

pub(crate) fn page_line<'a>(pd: &mut PageDump, t: &'a str) -> PageLine<'a> {
    if let Some(r) = t.strip_prefix("page dumped because: ") {
        pd.lines.push(t.to_string());
        return PageLine::Reason(r);
    }
    if !consume(pd, t) {
        return PageLine::NotMine;
    }
    pd.lines.push(t.to_string());
    PageLine::Consumed
}

fn consume(pd: &mut PageDump, t: &str) -> bool {
    if let Some(rest) = t.strip_prefix("page:") {
        if let Some(addr) = rest.strip_suffix(" is uninitialized and poisoned") {
            pd.poisoned = true;
            pd.address = Some(addr.to_string());
            return true;
        }
        if !rest.contains("refcount:") {
            return false;
        }
        let addr = rest.split(' ').next().unwrap_or("");
        if !addr.is_empty() {
            pd.address = Some(addr.to_string());
        }
        pd.refcount = kv(rest, "refcount").and_then(dec_i64);
        pd.mapcount = kv(rest, "mapcount").and_then(dec_i64);
        pd.mapping = kv(rest, "mapping").and_then(pointer);
        pd.index = kv(rest, "index").and_then(hex_u64);
        pd.pfn = kv(rest, "pfn").and_then(hex_u64);
        return true;
    }
    if let Some(rest) = t.strip_prefix("head:") {
        if rest.contains("order:") {
            pd.head = Some(t.to_string());
            pd.order = kv(rest, "order").and_then(dec_u32);
            return true;
        }
        if let Some(words) = hex_words(rest) {
            pd.head_raw.push(words);
            return true;
        }
        return false;
    }
    if let Some(words) = t.strip_prefix("raw:").and_then(hex_words) {
        pd.raw.push(words);
        return true;
    }
    if let Some(v) = t.strip_prefix("memcg:").and_then(hex_u64) {
        pd.memcg = Some(v);
        return true;
    }
    for kind in ["", "anon ", "ksm "] {
        if let Some(rest) = t.strip_prefix(kind).and_then(|r| r.strip_prefix("flags: ")) {
            if let Some(mut f) = printed_flags(rest) {
                if !kind.is_empty() {
                    f.kind = Some(kind.trim_end().to_string());
                }
                pd.flags = Some(f);
                return true;
            }
            return false;
        }
    }
    if let Some(rest) = t.strip_prefix("page_type: ") {
        if let Some((v, names)) = rest.split_once('(') {
            if let (Some(raw), Some(names)) = (hex_u64(v), names.strip_suffix(')')) {
                pd.page_type = Some(PrintedPageType {
                    raw,
                    names: names.to_string(),
                });
                return true;
            }
        }
        return false;
    }
    // fs/inode.c dump_mapping().
    if let Some(v) = t.strip_prefix("invalid mapping:") {
        pd.mapping_info = Some(t.to_string());
        pd.invalid_mapping = hex_u64(v);
        return true;
    }
    if t.starts_with("aops:") {
        pd.mapping_info = Some(t.to_string());
        return true;
    }
    // mm/debug.c and mm/page_owner.c __dump_page_owner().
    const OTHER: [&str; 7] = [
        "page does not match folio",
        "page_owner ",
        "page last allocated via ",
        "page last free ",
        "page has been migrated",
        "There is not page extension available.",
        "page_owner info is not present",
    ];
    OTHER.iter().any(|p| t.starts_with(p))
}

/// A `%p` value: hex, or `(null)`/`(____ptrval____)`-style placeholders (None).
fn pointer(s: &str) -> Option<u64> {
    hex_u64(s)
}

/// ` 0123456789abcdef 0123... ` print_hex_dump() words: kept as printed (space separated).
fn hex_words(s: &str) -> Option<String> {
    let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() || words.iter().any(|w| hex_u64(w).is_none() || w.len() != 16) {
        return None;
    }
    Some(words.join(" "))
}

/// lib/vsprintf.c format_page_flags(): `0x%lx(` + names `|`-joined (an unnamed rest as `0x..`)
/// + `|name=value` fields + `)`, then dump_page's optional ` CMA`.
pub(crate) fn printed_flags(s: &str) -> Option<PrintedFlags> {
    let (s, cma) = match s.strip_suffix(" CMA") {
        Some(r) => (r, true),
        None => (s, false),
    };
    let (raw, inner) = match s.split_once('(') {
        Some((r, i)) => (r, i.strip_suffix(')')?),
        None => (s, ""),
    };
    let mut f = PrintedFlags {
        raw: hex_u64(raw)?,
        cma,
        ..PrintedFlags::default()
    };
    for item in inner.split('|').filter(|i| !i.is_empty()) {
        if let Some((k, v)) = item.split_once('=') {
            let value = if v.starts_with("0x") {
                hex_u64(v)
            } else {
                v.parse::<u64>().ok()
            };
            f.fields.push(FlagField {
                name: k.to_string(),
                value: value?,
            });
        } else if item.starts_with("0x") {
            f.unnamed = Some(hex_u64(item)?);
        } else {
            f.names.push(item.to_string());
        }
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_line() {
        let f = printed_flags("0x4000000000000100(reserved|node=0|zone=1|lastcpupid=0x1fffff)")
            .unwrap();
        assert_eq!(f.raw, 0x4000000000000100);
        assert_eq!(f.names, ["reserved"]);
        assert_eq!(f.fields.len(), 3);
        assert_eq!(f.fields[2].value, 0x1fffff);
        let f = printed_flags("0xfffffc0000000(node=0|zone=1) CMA").unwrap();
        assert!(f.cma && f.names.is_empty());
        let f = printed_flags("0x10000(head|0x8000)").unwrap();
        assert_eq!(f.unnamed, Some(0x8000));
        assert!(printed_flags("0x1(node=x)").is_none());
        assert!(printed_flags("zz").is_none());
    }

    #[test]
    fn six_one_lines() {
        // mm/debug.c 6.1 shapes.
        let mut pd = PageDump::default();
        for l in [
            "page:000000003f4e0b5c refcount:0 mapcount:0 mapping:00000000c39e4a43 index:0x0 pfn:0x10a3c",
            "invalid mapping:dead000000000400",
            "flags: 0xfffffc0000000(node=0|zone=1|lastcpupid=0x1fffff)",
            "raw: 000fffffc0000000 0000000000000000 dead000000000122 dead000000000400",
            "raw: 0000000000000000 0000000000000000 00000000ffffffff 0000000000000000",
        ] {
            assert!(matches!(page_line(&mut pd, l), PageLine::Consumed), "{l}");
        }
        assert!(matches!(
            page_line(&mut pd, "page dumped because: non-NULL mapping"),
            PageLine::Reason("non-NULL mapping")
        ));
        assert_eq!(pd.address.as_deref(), Some("000000003f4e0b5c"));
        assert_eq!(pd.pfn, Some(0x10a3c));
        assert_eq!(pd.invalid_mapping, Some(0xdead000000000400));
        assert_eq!(pd.raw.len(), 2);
        assert_eq!(pd.lines.len(), 6);
        assert!(matches!(
            page_line(&mut pd, "Modules linked in: x"),
            PageLine::NotMine
        ));
    }

    #[test]
    fn six_twelve_lines() {
        let mut pd = PageDump::default();
        for l in [
            "page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x2a000",
            "head: order:9 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0",
            "memcg:ffff8f4881a3e000",
            "anon flags: 0x100000000000040(head|node=0|zone=1)",
            "page_type: f5(buddy)",
            "head: 0100000000000040 ffffea0000a80008 ffffea0000a80008 0000000000000000",
        ] {
            assert!(matches!(page_line(&mut pd, l), PageLine::Consumed), "{l}");
        }
        assert_eq!(pd.address, None);
        assert_eq!(pd.order, Some(9));
        assert_eq!(pd.memcg, Some(0xffff8f4881a3e000));
        assert_eq!(pd.flags.as_ref().unwrap().kind.as_deref(), Some("anon"));
        assert_eq!(pd.page_type.as_ref().unwrap().raw, 0xf5);
        assert_eq!(pd.head_raw.len(), 1);
    }
}
