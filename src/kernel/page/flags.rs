//! `page->flags`: the flag bits by their names in the kernel's own `enum pageflags`, and the
//! node/zone/section (and last_cpupid, KASAN tag, multi-gen LRU) fields above them.
//!
//! The field widths and positions are computed as include/linux/page-flags-layout.h and
//! include/linux/mmzone.h (`*_PGOFF`) compute them (6.1 and 6.12 are the same), from facts the
//! dump and the vmlinux hold:
//! - NR_PAGEFLAGS: the `__NR_PAGEFLAGS` enumerator (kernel/bounds.c),
//! - MAX_NR_ZONES: the `__MAX_NR_ZONES` enumerator, then ZONES_SHIFT by the header's table,
//! - NODES_SHIFT: log2 of MAX_NUMNODES, VMCOREINFO `LENGTH(node_data)` or the DWARF length of
//!   `node_data[]` (0 without CONFIG_NUMA),
//! - SECTIONS_WIDTH: 0, since x86_64 uses SPARSEMEM_VMEMMAP (and then NODES_WIDTH = NODES_SHIFT,
//!   or the kernel would not build: "Vmemmap: No space for nodes field in page flags"),
//! - LAST_CPUPID_SHIFT: 8 + order_base_2(NR_CPUS) with CONFIG_NUMA_BALANCING (present when
//!   `struct task_struct` has `numa_scan_seq`), NR_CPUS being the DWARF length of
//!   `__per_cpu_offset[NR_CPUS]`; it is in the flags only if everything fits,
//! - LRU_GEN_WIDTH: order_base_2(MAX_NR_GENS + 1) = 3 with CONFIG_LRU_GEN (`struct lruvec` has
//!   `lrugen`), LRU_REFS_WIDTH: min(MAX_NR_TIERS - 2 = 2, the bits left),
//! - KASAN_TAG_WIDTH: 8 with software or hardware KASAN tags, which x86_64 does not have: 0.
//!
//! VMCOREINFO has no NUMBER() for these widths, so nothing can be cross-checked there; the
//! real-dump tests compare the result with the `node=|zone=|lastcpupid=` the kernel printed.

use serde::Serialize;

/// One field of `page->flags`: `(flags >> shift) & ((1 << width) - 1)`.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct BitRange {
    pub shift: u32,
    pub width: u32,
}

impl BitRange {
    pub fn get(&self, flags: u64) -> Option<u64> {
        if self.width == 0 || self.width >= 64 || self.shift >= 64 {
            return None;
        }
        Some((flags >> self.shift) & ((1u64 << self.width) - 1))
    }
}

/// The inputs of the computation, as found (see the module comment).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LayoutInputs {
    pub nr_pageflags: u32,
    pub max_nr_zones: u32,
    pub nodes_shift: u32,
    /// None without CONFIG_NUMA_BALANCING.
    pub nr_cpus: Option<u64>,
    pub lru_gen: bool,
}

/// The computed layout.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FlagsLayout {
    pub inputs: LayoutInputs,
    pub section: BitRange,
    pub node: BitRange,
    pub zone: BitRange,
    pub last_cpupid: BitRange,
    pub kasan_tag: BitRange,
    pub lru_gen: BitRange,
    pub lru_refs: BitRange,
    /// Canonical names of the flag bits, `PG_` removed (the first enumerator of each value
    /// below `__NR_PAGEFLAGS`: aliases such as PG_swapcache come after it).
    pub names: Vec<(u32, String)>,
    /// `enum zone_type` names by index, `ZONE_` removed.
    pub zone_names: Vec<String>,
}

/// order_base_2(n): ceil(log2(n)), 0 for n <= 1.
fn order_base_2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// ZONES_SHIFT from MAX_NR_ZONES (include/linux/page-flags-layout.h).
fn zones_shift(max_nr_zones: u32) -> u32 {
    match max_nr_zones {
        0 | 1 => 0,
        2 => 1,
        3 | 4 => 2,
        _ => 3,
    }
}

impl FlagsLayout {
    /// Compute the field positions from the inputs, as the kernel's headers do on a 64-bit
    /// SPARSEMEM_VMEMMAP kernel without KASAN tags.
    pub fn compute(
        inputs: LayoutInputs,
        names: Vec<(u32, String)>,
        zone_names: Vec<String>,
    ) -> FlagsLayout {
        const BITS: u32 = 64;
        let free = BITS.saturating_sub(inputs.nr_pageflags);
        let zones_width = zones_shift(inputs.max_nr_zones);
        let sections_width = 0;
        let lru_gen_width = if inputs.lru_gen {
            order_base_2(4 + 1)
        } else {
            0
        };
        let nodes_width = inputs.nodes_shift;
        let kasan_tag_width = 0;
        let last_cpupid_shift = inputs.nr_cpus.map(|n| 8 + order_base_2(n)).unwrap_or(0);
        let used = zones_width + lru_gen_width + sections_width + nodes_width + kasan_tag_width;
        let last_cpupid_width = if used + last_cpupid_shift <= free {
            last_cpupid_shift
        } else {
            0
        };
        let lru_refs_width = if inputs.lru_gen {
            2u32.min(free.saturating_sub(used + last_cpupid_width))
        } else {
            0
        };
        // The *_PGOFF chain of include/linux/mmzone.h, from the top bit down.
        let sections_pgoff = BITS - sections_width;
        let nodes_pgoff = sections_pgoff.saturating_sub(nodes_width);
        let zones_pgoff = nodes_pgoff.saturating_sub(zones_width);
        let last_cpupid_pgoff = zones_pgoff.saturating_sub(last_cpupid_width);
        let kasan_tag_pgoff = last_cpupid_pgoff.saturating_sub(kasan_tag_width);
        let lru_gen_pgoff = kasan_tag_pgoff.saturating_sub(lru_gen_width);
        let lru_refs_pgoff = lru_gen_pgoff.saturating_sub(lru_refs_width);
        let r = |shift, width| BitRange { shift, width };
        FlagsLayout {
            inputs,
            section: r(sections_pgoff, sections_width),
            node: r(nodes_pgoff, nodes_width),
            zone: r(zones_pgoff, zones_width),
            last_cpupid: r(last_cpupid_pgoff, last_cpupid_width),
            kasan_tag: r(kasan_tag_pgoff, kasan_tag_width),
            lru_gen: r(lru_gen_pgoff, lru_gen_width),
            lru_refs: r(lru_refs_pgoff, lru_refs_width),
            names,
            zone_names,
        }
    }

    /// PAGEFLAGS_MASK: the flag bits proper.
    pub fn flag_mask(&self) -> u64 {
        match self.inputs.nr_pageflags {
            0 => 0,
            n if n >= 64 => u64::MAX,
            n => (1u64 << n) - 1,
        }
    }

    /// Names of the set flag bits, in bit order; bits without a name as `0x..`.
    pub fn flag_names(&self, flags: u64) -> (Vec<String>, u64) {
        let mut rest = flags & self.flag_mask();
        let mut out = Vec::new();
        for (bit, name) in &self.names {
            if *bit < 64 && rest & (1u64 << bit) != 0 {
                out.push(name.clone());
                rest &= !(1u64 << bit);
            }
        }
        (out, rest)
    }

    /// lib/vsprintf.c format_page_flags()'s field part: (name, value, printed in hex?) for
    /// every field of non-zero width, in its order (section, node, zone, lastcpupid, kasantag).
    pub fn fields(&self, flags: u64) -> Vec<(&'static str, u64, bool)> {
        let mut out = Vec::new();
        for (name, r, hex) in [
            ("section", self.section, false),
            ("node", self.node, false),
            ("zone", self.zone, false),
            ("lastcpupid", self.last_cpupid, true),
            ("kasantag", self.kasan_tag, true),
        ] {
            if let Some(v) = r.get(flags) {
                out.push((name, v, hex));
            }
        }
        out
    }

    /// `%pGp` as the kernel prints it: `0x..(name|name|node=0|zone=1|lastcpupid=0x1fffff)`,
    /// but with the names in bit order (the kernel follows its pageflag_names[] table).
    pub fn format(&self, flags: u64) -> String {
        let (names, rest) = self.flag_names(flags);
        let mut parts = names;
        if rest != 0 {
            parts.push(format!("{rest:#x}"));
        }
        for (name, v, hex) in self.fields(flags) {
            parts.push(if hex {
                format!("{name}={v:#x}")
            } else {
                format!("{name}={v}")
            });
        }
        format!("{flags:#x}({})", parts.join("|"))
    }

    pub fn zone_name(&self, zone: u64) -> Option<&str> {
        self.zone_names.get(zone as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian(nr_pageflags: u32, nr_cpus: Option<u64>, lru_gen: bool) -> FlagsLayout {
        FlagsLayout::compute(
            LayoutInputs {
                nr_pageflags,
                max_nr_zones: 5,
                nodes_shift: 10,
                nr_cpus,
                lru_gen,
            },
            vec![(10, "reserved".into())],
            vec![],
        )
    }

    #[test]
    fn page_flags_layout_header() {
        assert_eq!(order_base_2(8192), 13);
        assert_eq!(order_base_2(8193), 14);
        assert_eq!(order_base_2(1), 0);
        // NODES_SHIFT 10, 5 zones (3 bits), NR_CPUS 8192: node 54..63, zone 51..53,
        // last_cpupid 8+13 = 21 bits at 30..50.
        let l = debian(23, Some(8192), false);
        assert_eq!(
            l.node,
            BitRange {
                shift: 54,
                width: 10
            }
        );
        assert_eq!(
            l.zone,
            BitRange {
                shift: 51,
                width: 3
            }
        );
        assert_eq!(
            l.last_cpupid,
            BitRange {
                shift: 30,
                width: 21
            }
        );
        assert_eq!(l.section.width, 0);
        // Node 0, zone 2, lastcpupid all ones.
        let f = (2u64 << 51) | (0x1fffff << 30);
        assert_eq!(
            l.fields(f),
            [
                ("node", 0, false),
                ("zone", 2, false),
                ("lastcpupid", 0x1fffff, true)
            ]
        );
        assert_eq!(
            l.format(f | 1 << 10),
            format!(
                "{:#x}(reserved|node=0|zone=2|lastcpupid=0x1fffff)",
                f | 1 << 10
            )
        );
        // With multi-gen LRU: gen 3 bits and refs 2 bits below last_cpupid.
        let l = debian(23, Some(8192), true);
        assert_eq!(
            l.lru_gen,
            BitRange {
                shift: 27,
                width: 3
            }
        );
        assert_eq!(
            l.lru_refs,
            BitRange {
                shift: 25,
                width: 2
            }
        );
        // last_cpupid does not fit: it moves out of the flags (LAST_CPUPID_NOT_IN_PAGE_FLAGS).
        let l = debian(40, Some(8192), false);
        assert_eq!(l.last_cpupid.width, 0);
        assert_eq!(l.fields(0).len(), 2);
    }

    #[test]
    fn names_and_rest() {
        let l = debian(23, None, false);
        let (n, rest) = l.flag_names(1 << 10 | 1 << 3 | 1 << 40);
        assert_eq!(n, ["reserved"]);
        assert_eq!(rest, 1 << 3, "bit 40 is a field bit, not a flag");
        assert!(l.format(1 << 3).starts_with("0x8(0x8|node=0|zone=0"));
    }
}
