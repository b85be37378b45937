//! `modcrash page`: one struct page, in the order and words of the kernel's dump_page().

use crate::kernel::page::{Compound, Located, Page};
use serde::Serialize;
use std::fmt::Write;

/// What `modcrash page --json` prints.
#[derive(Serialize)]
pub struct PageView<'a> {
    /// The argument, as a number.
    #[serde(serialize_with = "hex_ser")]
    pub input: u64,
    pub located: &'a Located,
    /// The vmemmap base and where it came from.
    #[serde(serialize_with = "hex_ser")]
    pub vmemmap: u64,
    pub vmemmap_source: &'a str,
    pub page: &'a Page,
}

fn hex_ser<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

pub fn json(v: &PageView<'_>) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

pub fn render(v: &PageView<'_>) -> String {
    let p = v.page;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "pfn {:#x} (physical {:#x}), struct page at {:#x}, {} bytes",
        p.pfn,
        p.pfn << 12,
        p.address,
        p.raw.len() * 8
    );
    match v.located {
        Located::Pfn => {}
        Located::StructPage { offset: 0 } => {
            let _ = writeln!(o, "  {:#x} is this struct page", v.input);
        }
        Located::StructPage { offset } => {
            let _ = writeln!(
                o,
                "  {:#x} is {offset} bytes into this struct page",
                v.input
            );
        }
        Located::Virtual { pa, how } => {
            let _ = writeln!(o, "  {:#x} -> physical {pa:#x} ({how})", v.input);
        }
    }
    let row = |o: &mut String, k: &str, val: String| {
        let _ = writeln!(o, "  {k:<11}{val}");
    };
    row(&mut o, "flags", p.flags_text.clone());
    if !p.flag_names.is_empty() {
        row(&mut o, "", p.flag_names.join(" "));
    }
    let mut place = Vec::new();
    if let Some(n) = p.node {
        place.push(format!("node {n}"));
    }
    if let Some(z) = p.zone {
        match &p.zone_name {
            Some(name) => place.push(format!("zone {z} ({name})")),
            None => place.push(format!("zone {z}")),
        }
    }
    if let Some(s) = p.section {
        place.push(format!("section {s}"));
    }
    if !place.is_empty() {
        row(&mut o, "where", place.join(", "));
    }
    row(&mut o, "refcount", p.refcount.to_string());
    match (&p.page_type, p.mapcount) {
        (Some(t), _) => row(
            &mut o,
            "page_type",
            format!("{t} ({:#010x})", p.page_type_raw),
        ),
        (None, Some(m)) => row(
            &mut o,
            "mapcount",
            format!("{m} (_mapcount {})", p.mapcount_raw),
        ),
        (None, None) => {}
    }
    let mut mapping = format!("{:#x}", p.mapping);
    match p.mapping & 3 {
        1 => mapping += " (anon)",
        2 => mapping += " (movable)",
        3 => mapping += " (ksm)",
        _ => {}
    }
    row(&mut o, "mapping", mapping);
    row(&mut o, "index", format!("{:#x}", p.index));
    row(&mut o, "private", format!("{:#x}", p.private));
    let order = |o: Option<u32>| match o {
        Some(o) => format!("order {o}"),
        None => "order unknown".into(),
    };
    let compound = match &p.compound {
        Compound::Single => "not part of a large folio".to_string(),
        Compound::Head { order: ord } => format!("head page, {}", order(*ord)),
        Compound::Tail {
            head,
            head_pfn,
            order: ord,
        } => match head_pfn {
            Some(h) => format!(
                "tail page of the folio at pfn {h:#x} ({head:#x}), {}",
                order(*ord)
            ),
            None => format!("tail page; compound_head {head:#x} is not a struct page"),
        },
    };
    row(&mut o, "compound", compound);
    if let Some(m) = p.memcg_data {
        row(&mut o, "memcg_data", format!("{m:#x}"));
    }
    for chunk in p.raw.chunks(4) {
        let _ = writeln!(o, "  raw: {}", chunk.join(" "));
    }
    o
}
