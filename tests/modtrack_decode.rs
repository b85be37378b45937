//! Tests of the modtrack state decoder and its mapping onto the report: a synthetic
//! `modtrack_state` built from tracker/LAYOUT.md's tables with its own literal offsets (not the
//! parser's constants), then damaged in the ways a dump can be.

use modcrash::analysis::{ModtrackReport, UnloadTracking};
use modcrash::output::kernel_text;

fn decode(b: &[u8]) -> Result<(ModtrackReport, Vec<String>), String> {
    modcrash::analysis::modtrack::decode_report(b).map_err(|e| e.to_string())
}

const SIZE: usize = 33712;
const NIL: u32 = 0xffff_ffff;

struct State {
    b: Vec<u8>,
}

impl State {
    fn put32(&mut self, at: usize, v: u32) {
        self.b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put64(&mut self, at: usize, v: u64) {
        self.b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
    fn get32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.b[at..at + 4].try_into().unwrap())
    }
    fn put_str(&mut self, at: usize, s: &str) {
        self.b[at..at + s.len()].copy_from_slice(s.as_bytes());
    }

    /// LAYOUT.md version 1, empty lists, every flag of a 6.1 build (no DECOMPRESS_PROBE,
    /// DUP_EMULATED rather than DUP_PROBE).
    fn new() -> State {
        let mut s = State { b: vec![0; SIZE] };
        s.put_str(0, "MODTRACK");
        for (at, v) in [
            (8, 1),
            (12, 2992),
            (16, 33712),
            (20, 48),
            (24, 48),
            (28, 304),
        ] {
            s.put32(at, v);
        }
        s.put64(32, 10); // seq, even
        s.put32(40, 0x6af); // READY UNLOAD_TP LIVE_NOTIFIER LOAD_PROBES DUP_EMULATED KREAD_PROBES DIE PANIC
        s.put32(44, (6 << 16) | (1 << 8) | 192);
        s.put_str(48, "6.1.0-56-cloud-amd64");
        s.put32(112, 19);
        s.put32(116, 0x7b403);
        s.put_str(120, "PFSRMBUDAWCIOELKXTNJ");
        // unloaded @256 and dupfail @280: head, nr_used, cap, entry_size, dropped
        for (at, cap) in [(256, 256), (280, 128)] {
            s.put32(at, NIL);
            s.put32(at + 8, cap);
            s.put32(at + 12, 80);
        }
        // The field table of LAYOUT.md section 3: (name, scope, type, offset, size).
        let mut fields: Vec<(&str, u16, u16, u32, u32)> = vec![
            ("magic", 0, 6, 0, 8),
            ("layout_version", 0, 1, 8, 4),
            ("header_size", 0, 1, 12, 4),
            ("state_size", 0, 1, 16, 4),
            ("field_size", 0, 1, 20, 4),
            ("nr_fields", 0, 1, 24, 4),
            ("fields_offset", 0, 1, 28, 4),
            ("seq", 0, 2, 32, 8),
            ("flags", 0, 1, 40, 4),
            ("linux_version_code", 0, 1, 44, 4),
            ("release", 0, 3, 48, 64),
            ("nr_taint_flags", 0, 1, 112, 4),
            ("taint_module_mask", 0, 1, 116, 4),
            ("taint_letters", 0, 6, 120, 32),
        ];
        let counters = [
            "modcount",
            "failed_kreads",
            "failed_decompress",
            "failed_becoming",
            "failed_load_modules",
            "total_mod_size",
            "total_text_size",
            "invalid_kread_bytes",
            "invalid_decompress_bytes",
            "invalid_becoming_bytes",
            "invalid_mod_bytes",
            "untracked_loads",
            "probe_missed",
        ];
        for (i, c) in counters.iter().enumerate() {
            fields.push((c, 0, 2, 152 + 8 * i as u32, 8));
        }
        for (list, at) in [("unloaded", 256u32), ("dupfail", 280)] {
            fields.push((
                if list == "unloaded" {
                    "unloaded.head"
                } else {
                    "dupfail.head"
                },
                0,
                4,
                at,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.nr_used"
                } else {
                    "dupfail.nr_used"
                },
                0,
                1,
                at + 4,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.cap"
                } else {
                    "dupfail.cap"
                },
                0,
                1,
                at + 8,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.entry_size"
                } else {
                    "dupfail.entry_size"
                },
                0,
                1,
                at + 12,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.dropped"
                } else {
                    "dupfail.dropped"
                },
                0,
                2,
                at + 16,
                8,
            ));
        }
        fields.extend([
            ("fields", 0, 7, 304, 2688),
            ("unloaded_pool", 0, 5, 2992, 20480),
            ("dupfail_pool", 0, 5, 23472, 10240),
            ("name", 1, 3, 0, 56),
            ("taints", 1, 2, 56, 8),
            ("count", 1, 2, 64, 8),
            ("next", 1, 4, 72, 4),
            ("name", 2, 3, 0, 56),
            ("count", 2, 2, 56, 8),
            ("reasons", 2, 2, 64, 8),
            ("next", 2, 4, 72, 4),
        ]);
        assert_eq!(fields.len(), 48);
        s.set_fields(&fields);
        s
    }

    fn set_fields(&mut self, fields: &[(&str, u16, u16, u32, u32)]) {
        self.b[304..304 + 56 * 48].fill(0);
        for (i, &(name, scope, ty, off, size)) in fields.iter().enumerate() {
            let at = 304 + 48 * i;
            self.put_str(at, name);
            self.b[at + 32..at + 34].copy_from_slice(&scope.to_le_bytes());
            self.b[at + 34..at + 36].copy_from_slice(&ty.to_le_bytes());
            self.put32(at + 36, off);
            self.put32(at + 40, size);
        }
        self.put32(24, fields.len() as u32);
    }

    fn field_index(&self, scope: u16, name: &str) -> usize {
        (0..self.get32(24) as usize)
            .find(|&i| {
                let at = 304 + 48 * i;
                let n = &self.b[at..at + 32];
                let end = n.iter().position(|&c| c == 0).unwrap();
                &n[..end] == name.as_bytes()
                    && u16::from_le_bytes([self.b[at + 32], self.b[at + 33]]) == scope
            })
            .unwrap()
    }

    /// As modtrack's writer: new entry at nr_used, linked at the head.
    fn push(&mut self, list: usize, pool: usize, name: &str, a: u64, b: u64) -> usize {
        let idx = self.get32(list + 4) as usize;
        let e = pool + idx * 80;
        self.put_str(e, name);
        self.put64(e + 56, a);
        self.put64(e + 64, b);
        let head = self.get32(list);
        self.put32(e + 72, head);
        self.put32(list, idx as u32);
        self.put32(list + 4, idx as u32 + 1);
        e
    }
    fn unloaded(&mut self, name: &str, taints: u64, count: u64) -> usize {
        self.push(256, 2992, name, taints, count)
    }
    fn dupfail(&mut self, name: &str, count: u64, reasons: u64) -> usize {
        self.push(280, 23472, name, count, reasons)
    }
}

const P: u64 = 1;
const O: u64 = 1 << 12;
const E: u64 = 1 << 13;
const C: u64 = 1 << 10;
const W: u64 = 1 << 9; // not a per-module flag: never printed

fn sample() -> State {
    let mut s = State::new();
    s.unloaded("modcrash_hello", O | E, 3);
    s.unloaded("modcrash_prop", P | O | E | W, 2);
    s.unloaded("modcrash_dual", C, 1);
    s.dupfail("modcrash_slow", 7, 2);
    for (i, v) in [14u64, 1, 0, 2, 3, 454656, 114688, 4096, 0, 100, 8192]
        .iter()
        .enumerate()
    {
        s.put64(152 + 8 * i, *v);
    }
    s
}

#[test]
fn decodes_lists_counters_and_flags() {
    let (r, w) = decode(&sample().b).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(r.release, "6.1.0-56-cloud-amd64");
    assert_eq!(r.seq, 10);
    assert!(!r.update_in_progress);
    assert_eq!(r.unload_tracking, UnloadTracking::Exact);
    assert!(r.flag_names.contains(&"DUP_EMULATED".to_string()));
    let names: Vec<_> = r
        .unloaded_tainted
        .iter()
        .map(|e| (e.name.as_str(), e.taint_letters.as_str(), e.count))
        .collect();
    assert_eq!(
        names,
        [
            ("modcrash_dual", "C", 1),
            ("modcrash_prop", "POE", 2),
            ("modcrash_hello", "OE", 3)
        ]
    );
    assert_eq!(
        kernel_text::unloaded_tainted(&r.unloaded_tainted),
        "modcrash_dual (C) 1\nmodcrash_prop (POE) 2\nmodcrash_hello (OE) 3\n"
    );
    let s = &r.stats;
    assert_eq!(
        (
            s.modcount,
            s.failed_kreads,
            s.failed_becoming,
            s.failed_load_modules
        ),
        (14, 1, 2, 3)
    );
    assert_eq!(
        (
            s.total_mod_size,
            s.total_text_size,
            s.invalid_kread_bytes,
            s.invalid_mod_bytes
        ),
        (454656, 114688, 4096, 8192)
    );
    // 6.1 flags: no DECOMPRESS_PROBE, so those two are not measurements.
    assert_eq!(
        s.unavailable,
        ["failed_decompress", "invalid_decompress_bytes"]
    );
    assert_eq!(s.dup_failed.len(), 1);
    assert_eq!(
        (
            s.dup_failed[0].name.as_str(),
            s.dup_failed[0].count,
            s.dup_failed[0].reason()
        ),
        ("modcrash_slow", 7, "Load")
    );
    // What modtrack's debugfs stats prints: unavailable counters as 0, like modtrack.
    let t = kernel_text::stats(s);
    assert!(t.contains("Mods failed on decompress\t0\n"), "{t}");
    assert!(t.contains("  Avg fail becoming bytes\t50\n"), "{t}");
    assert!(
        t.ends_with("            modcrash_slow\t              7\t                     Load\n"),
        "{t}"
    );
}

#[test]
fn fields_are_found_by_name_not_position() {
    let mut s = sample();
    // Reverse the table and move modcount into the unused tail of the header... there is
    // none in version 1, so swap modcount and probe_missed instead (data and descriptors).
    let mut fields: Vec<(String, u16, u16, u32, u32)> = (0..48)
        .map(|i| {
            let at = 304 + 48 * i;
            let n = &s.b[at..at + 32];
            let end = n.iter().position(|&c| c == 0).unwrap();
            (
                String::from_utf8(n[..end].to_vec()).unwrap(),
                u16::from_le_bytes([s.b[at + 32], s.b[at + 33]]),
                u16::from_le_bytes([s.b[at + 34], s.b[at + 35]]),
                s.get32(at + 36),
                s.get32(at + 40),
            )
        })
        .collect();
    fields.reverse();
    for f in fields.iter_mut() {
        match f.0.as_str() {
            "modcount" => f.3 = 248,
            "probe_missed" => f.3 = 152,
            _ => {}
        }
    }
    let (a, b) = (s.b[152..160].to_vec(), s.b[248..256].to_vec());
    s.b[152..160].copy_from_slice(&b);
    s.b[248..256].copy_from_slice(&a);
    let borrowed: Vec<(&str, u16, u16, u32, u32)> = fields
        .iter()
        .map(|f| (f.0.as_str(), f.1, f.2, f.3, f.4))
        .collect();
    s.set_fields(&borrowed);
    let (r, w) = decode(&s.b).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(r.stats.modcount, 14);
    assert_eq!(r.unloaded_tainted.len(), 3);
}

#[test]
fn bad_magic_version_and_sizes_are_errors() {
    let mut s = sample();
    s.b[0] = b'X';
    assert!(decode(&s.b).unwrap_err().contains("bad magic"));
    let mut s = sample();
    s.put32(8, 2);
    assert!(decode(&s.b).unwrap_err().contains("layout version 2"));
    let mut s = sample();
    s.put32(20, 16); // field_size below 48
    assert!(decode(&s.b).unwrap_err().contains("field_size"));
    let mut s = sample();
    s.put32(12, 40000); // header_size > state_size
    assert!(decode(&s.b).unwrap_err().contains("inconsistent sizes"));
    let mut s = sample();
    s.put32(24, 60); // a table running past the header
    assert!(decode(&s.b).unwrap_err().contains("inconsistent sizes"));
}

#[test]
fn truncated_states_are_errors() {
    let s = sample();
    for n in [0, 8, 31, 32, 300, 2992, SIZE - 1] {
        let e = decode(&s.b[..n]).unwrap_err();
        assert!(e.contains("truncated"), "{n}: {e}");
    }
}

#[test]
fn missing_or_mistyped_fields_are_errors() {
    let mut s = sample();
    let i = s.field_index(0, "modcount");
    s.put_str(304 + 48 * i, "modcounX");
    assert!(decode(&s.b).unwrap_err().contains("\"modcount\""));
    let mut s = sample();
    let i = s.field_index(0, "modcount");
    s.b[304 + 48 * i + 34] = 1; // u32 instead of u64
    assert!(decode(&s.b).unwrap_err().contains("type"));
    let mut s = sample();
    let i = s.field_index(0, "seq");
    s.put32(304 + 48 * i + 36, 2990); // straddles the end of the header
    assert!(decode(&s.b).unwrap_err().contains("outside"));
    let mut s = sample();
    let i = s.field_index(1, "next");
    s.put32(304 + 48 * i + 36, 78); // past the 80-byte entry
    assert!(decode(&s.b).unwrap_err().contains("outside"));
    let mut s = sample();
    s.put32(256 + 8, 1000); // cap larger than the pool
    assert!(decode(&s.b).unwrap_err().contains("do not fit"));
}

#[test]
fn an_index_out_of_range_stops_the_walk_with_a_warning() {
    let mut s = sample();
    s.put32(256, 300); // head beyond the capacity
    let (r, w) = decode(&s.b).unwrap();
    assert!(r.unloaded_tainted.is_empty());
    assert!(w.iter().any(|w| w.contains("out of range")), "{w:?}");
    let mut s = sample();
    s.put32(280, 5); // head within the capacity but not in use
    let (r, w) = decode(&s.b).unwrap();
    assert!(r.stats.dup_failed.is_empty());
    assert!(w.iter().any(|w| w.contains("not in use")), "{w:?}");
    // The other list is unaffected.
    assert_eq!(r.unloaded_tainted.len(), 3);
}

#[test]
fn cycles_end_the_walk() {
    for bad_next in [2u32, 1] {
        // entry 1 links to itself or to the newer entry 2: both would loop.
        let mut s = sample();
        s.put32(2992 + 80 + 72, bad_next);
        let (r, w) = decode(&s.b).unwrap();
        assert_eq!(r.unloaded_tainted.len(), 2, "{bad_next}");
        assert!(w.iter().any(|w| w.contains("not older")), "{w:?}");
    }
}

#[test]
fn an_odd_seq_is_reported_and_the_walk_trusts_the_head() {
    let mut s = sample();
    s.put64(32, 11);
    // Entry written and linked, nr_used not yet advanced.
    s.put32(256 + 4, 2);
    let (r, w) = decode(&s.b).unwrap();
    assert!(r.update_in_progress);
    assert_eq!(r.unloaded_tainted.len(), 3);
    assert!(w.iter().any(|w| w.contains("update in progress")), "{w:?}");
}

#[test]
fn drops_and_unload_sources_are_reported() {
    let mut s = sample();
    s.put64(256 + 16, 4);
    s.put32(40, 0x6af & !0x2 | 0x800); // GOING notifier instead of the tracepoint
    let (r, w) = decode(&s.b).unwrap();
    assert_eq!(r.unloaded_dropped, 4);
    assert_eq!(r.unload_tracking, UnloadTracking::Approximate);
    assert!(
        w.iter()
            .any(|w| w.contains("4 unloaded tainted modules were not recorded")),
        "{w:?}"
    );
    s.put32(40, 0x1); // READY only: nothing collected
    let (r, _) = decode(&s.b).unwrap();
    assert_eq!(r.unload_tracking, UnloadTracking::None);
    assert_eq!(r.stats.unavailable.len(), 12, "{:?}", r.stats.unavailable);
}

#[test]
fn corrupt_bytes_never_panic() {
    // Every single-byte corruption of the header and table, and random garbage in the lists.
    let base = sample();
    for at in (0..2992).step_by(7) {
        for v in [0u8, 0xff, 0x80] {
            let mut s = State { b: base.b.clone() };
            s.b[at] = v;
            let _ = decode(&s.b);
        }
    }
    let mut x = 0x1234_5678u32;
    for _ in 0..200 {
        let mut s = State { b: base.b.clone() };
        for _ in 0..64 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let at = 256 + (x as usize % (SIZE - 256));
            s.b[at] = (x >> 24) as u8;
        }
        let _ = decode(&s.b);
    }
}
