//! Tests of the modtrack state decoder and its mapping onto the report: a synthetic
//! `modtrack_state` built from tracker/LAYOUT.md's tables with its own literal offsets (not the
//! parser's constants), then damaged in the ways a dump can be.

#[path = "common/modtrack_state.rs"]
mod modtrack_state;

use modcrash::analysis::{ModtrackReport, UnloadTracking};
use modcrash::output::kernel_text;
use modtrack_state::{State, SIZE};

fn decode(b: &[u8]) -> Result<(ModtrackReport, Vec<String>), String> {
    modcrash::analysis::modtrack::decode_report(b).map_err(|e| e.to_string())
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
