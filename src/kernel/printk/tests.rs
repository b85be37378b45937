//! The decoder on synthetic rings written by `crate::synth::printk` (which shares no code or
//! constants with it): every descriptor state, wrapped data blocks, a wrapped ring, every kind
//! of damage.

use super::*;
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::synth::printk::{ImageMem, RingLayout, SynthRecord, SynthRing, SynthState, Written};
use crate::translate::X86_64;

fn decode_mem(vmcoreinfo: &str, mem: &ImageMem) -> Result<RingLog, PrintkError> {
    let vi = VmcoreInfo::parse(vmcoreinfo.as_bytes());
    let arch = X86_64::from_vmcoreinfo(&vi, None).expect("synthetic VMCOREINFO sets up x86_64");
    let layout = PrbLayout::resolve(&vi, None)?;
    let km = crate::kernel::KernelMem::new(mem, &arch);
    read_log(&km, &layout)
}

fn decode(r: &SynthRing) -> RingLog {
    decode_excluding(r, &[])
}

fn decode_excluding(r: &SynthRing, excluded_pas: &[u64]) -> RingLog {
    let mem = ImageMem {
        bytes: r.memory().to_vec(),
        excluded: excluded_pas.iter().map(|a| a / 4096).collect(),
    };
    decode_mem(&r.vmcoreinfo(), &mem).expect("the ring's header is intact")
}

fn rec(text: &str, i: u64) -> SynthRecord {
    SynthRecord::line(text, 1_000_000 * i, 6)
}

fn texts(l: &RingLog) -> Vec<String> {
    l.records
        .iter()
        .map(|r| String::from_utf8_lossy(&r.text).into_owned())
        .collect()
}

fn fill(r: &mut SynthRing, n: u64, tag: &str) -> Vec<(Written, String)> {
    (0..n)
        .map(|i| {
            let t = format!("{tag} record {i} {}", "x".repeat((i % 13) as usize));
            (r.push(&rec(&t, i)), t)
        })
        .collect()
}

#[test]
fn every_field_of_a_record() {
    for layout in [RingLayout::v6_12(), RingLayout::shuffled()] {
        let mut r = SynthRing::new(layout.clone(), 7, 12);
        r.push(&SynthRecord {
            text: b"Linux version 6.12".to_vec(),
            ts_nsec: 0,
            level: 5,
            facility: 0,
            flags: 2,
            caller_id: 0,
            ..Default::default()
        });
        r.push(&SynthRecord {
            text: b"virtio-pci 0000:00:02.0: enabling device\nsecond line".to_vec(),
            ts_nsec: 1_234_567_891,
            level: 3,
            facility: 1,
            flags: 8,
            caller_id: 0x8000_0001,
            subsystem: b"pci".to_vec(),
            device: b"+pci:0000:00:02.0".to_vec(),
        });
        r.push(&SynthRecord {
            text: Vec::new(),
            ts_nsec: 2,
            level: 7,
            ..Default::default()
        });
        let l = decode(&r);
        assert!(l.problems.is_empty(), "{layout:?}: {:?}", l.problems);
        assert_eq!(l.records.len(), 3);
        let a = &l.records[0];
        assert_eq!((a.seq, a.ts_nsec, a.level, a.caller_id), (0, 0, Some(5), 0));
        assert_eq!(a.text, b"Linux version 6.12");
        let b = &l.records[1];
        assert_eq!(b.seq, 1);
        assert_eq!(
            (b.level, b.facility, b.flags, b.caller_id),
            (Some(3), Some(1), Some(8), 0x8000_0001)
        );
        assert_eq!(
            b.text,
            b"virtio-pci 0000:00:02.0: enabling device\nsecond line"
        );
        assert_eq!(
            (b.subsystem.as_slice(), b.device.as_slice()),
            (&b"pci"[..], &b"+pci:0000:00:02.0"[..])
        );
        assert_eq!(b.state, DescState::Finalized);
        let c = &l.records[2];
        assert_eq!((c.seq, c.text.len(), c.level), (2, 0, Some(7)));
        assert_eq!(l.freed_at_tail, 0);
    }
}

#[test]
fn empty_ring_has_no_records_and_no_problems() {
    let r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    let l = decode(&r);
    assert!(l.records.is_empty());
    assert!(l.problems.is_empty(), "{:?}", l.problems);
}

#[test]
fn wrapped_data_block_is_read_from_the_ring_start() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    let all = fill(&mut r, 60, "w");
    let wrapped: Vec<_> = all.iter().filter(|(w, _)| w.wrapped).collect();
    assert!(!wrapped.is_empty(), "the test must write a wrapping block");
    let l = decode(&r);
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    for (w, t) in &wrapped {
        if let Some(got) = l.records.iter().find(|x| x.seq == w.seq) {
            assert!(got.wrapped);
            assert_eq!(got.text, t.as_bytes());
        }
    }
    assert!(
        l.records.iter().any(|x| x.wrapped),
        "a wrapped block is among the live records"
    );
}

#[test]
fn wrapped_ring_keeps_the_newest_records_in_order() {
    // 1 KiB of text, 32 descriptors: 500 records wrap both rings many times.
    let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    let all = fill(&mut r, 500, "ring");
    let l = decode(&r);
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    let first = l.records[0].seq;
    assert!(
        first > 400,
        "the oldest records are gone: first seq {first}"
    );
    let want: Vec<String> = all[first as usize..]
        .iter()
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(texts(&l), want);
    for (i, x) in l.records.iter().enumerate() {
        assert_eq!(x.seq, first + i as u64);
    }
    assert_eq!(l.records.last().map(|x| x.seq), Some(499));
}

#[test]
fn committed_newest_record_is_read() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 7, 12);
    fill(&mut r, 3, "c");
    r.push_with_state(
        &rec("Kernel panic - not syncing: no newline", 9),
        SynthState::Committed,
    );
    let l = decode(&r);
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    let last = l.records.last().unwrap();
    assert_eq!(last.state, DescState::Committed);
    assert_eq!(last.text, b"Kernel panic - not syncing: no newline");
    // Earlier committed records were finalized by the next reservation.
    assert!(l.records[..3]
        .iter()
        .all(|x| x.state == DescState::Finalized));
}

#[test]
fn reserved_record_is_reported_not_dropped() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 7, 12);
    fill(&mut r, 3, "r");
    let w = r.push_with_state(
        &rec("BUG: unable to handle page fault", 9),
        SynthState::Reserved,
    );
    let l = decode(&r);
    let last = l.records.last().unwrap();
    assert_eq!((last.seq, last.state), (w.seq, DescState::Reserved));
    assert_eq!(last.text, b"BUG: unable to handle page fault");
    assert!(
        matches!(l.problems.as_slice(), [RingProblem::Unfinished { seq, text_len: 32, .. }] if *seq == w.seq),
        "{:?}",
        l.problems
    );
    assert!(l.problems[0].to_string().contains("still being written"));

    // The writer had not yet set text_len: no text, still reported.
    let info = r.info_pa(w.id & 127) + 16;
    r.memory_mut()[info as usize..info as usize + 2].copy_from_slice(&[0, 0]);
    let l = decode(&r);
    assert_eq!(l.records.last().unwrap().text, b"");
    assert!(
        l.problems[0].to_string().contains("no text yet"),
        "{}",
        l.problems[0]
    );
}

#[test]
fn head_not_yet_claimed_is_reported() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 7, 12);
    let all = fill(&mut r, 40, "h");
    // desc_reserve() moved head_id to the next id but died before claiming the descriptor.
    let head = all.last().unwrap().0.id;
    let at = (r.rb_pa + 24) as usize; // desc_ring.head_id in the 6.12 layout
    r.memory_mut()[at..at + 8].copy_from_slice(&((head + 1) & ((1 << 62) - 1)).to_le_bytes());
    let l = decode(&r);
    assert_eq!(l.records.last().unwrap().seq, all.last().unwrap().0.seq);
    assert!(
        matches!(
            &l.problems[..],
            [RingProblem::Lost {
                count: 1,
                cause: Cause::NotClaimed { .. },
                ..
            }]
        ),
        "{:?}",
        l.problems
    );
}

#[test]
fn reusable_in_the_middle_is_lost_with_a_warning() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 7, 12);
    let all = fill(&mut r, 10, "m");
    r.set_state(all[4].0.id, SynthState::Reusable);
    let l = decode(&r);
    assert_eq!(l.records.len(), 9);
    assert!(!l.records.iter().any(|x| x.seq == 4));
    match &l.problems[..] {
        [RingProblem::Lost {
            count: 1,
            seqs: (4, 4),
            cause: Cause::Reusable { .. },
            ..
        }] => {}
        p => panic!("{p:?}"),
    }
}

#[test]
fn reusable_at_the_tail_is_the_wrap_not_damage() {
    // Long lines: the 1 KiB text ring holds fewer records than its 32 descriptors, so the
    // oldest descriptors are reusable (their text freed) when the ring wraps.
    let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    for i in 0..200 {
        r.push(&rec(&format!("{i} {}", "z".repeat(90)), i));
    }
    let l = decode(&r);
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    assert!(
        l.freed_at_tail > 0,
        "the data ring freed descriptors at the tail"
    );
}

#[test]
fn text_that_never_fit_is_lost_with_the_reason() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    r.push(&rec("before", 0));
    r.push(&SynthRecord::line(&"y".repeat(1100), 1, 4));
    r.push(&rec("after", 2));
    let l = decode(&r);
    assert_eq!(texts(&l), ["before", "after"]);
    assert!(
        matches!(
            &l.problems[..],
            [RingProblem::Lost {
                seqs: (1, 1),
                cause: Cause::NoText(state::BlockFault::Failed),
                ..
            }]
        ),
        "{:?}",
        l.problems
    );
    assert_eq!(l.header.fail, Some(1));
}

#[test]
fn excluded_descriptor_page_loses_only_its_records() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 9, 14);
    let all = fill(&mut r, 400, "d");
    // Descriptors 170..340 live on the second page of the array (24-byte descriptors).
    let page = r.desc_pa(200) & !0xfff;
    let l = decode_excluding(&r, &[page]);
    let lost: Vec<u64> = all
        .iter()
        .filter(|(w, _)| {
            let pa = r.desc_pa(w.id & 511);
            pa + 23 >= page && pa < page + 4096
        })
        .map(|(w, _)| w.seq)
        .collect();
    assert_eq!(l.records.len(), all.len() - lost.len());
    for x in &l.records {
        assert_eq!(x.text, all[x.seq as usize].1.as_bytes());
    }
    // One warning for the page, naming its address and the records lost.
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].contains(&format!("{:#x}", page)), "{}", msgs[0]);
    assert!(
        msgs[0].contains(&format!("{} records lost", lost.len())),
        "{}",
        msgs[0]
    );
    assert!(msgs[0].contains("excluded"), "{}", msgs[0]);
}

#[test]
fn excluded_info_and_text_pages_lose_only_their_records() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 9, 14);
    let all = fill(&mut r, 400, "i");
    let info_page = r.info_pa(100) & !0xfff;
    let text_page = r.data_byte_pa(8192) & !0xfff;
    let l = decode_excluding(&r, &[info_page, text_page]);
    assert!(!l.records.is_empty());
    for x in &l.records {
        assert_eq!(
            x.text,
            all[x.seq as usize].1.as_bytes(),
            "never another record's text"
        );
    }
    let msgs = l
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(msgs.contains("printk_info cannot be read"), "{msgs}");
    assert!(msgs.contains("text cannot be read"), "{msgs}");
    assert!(msgs.contains(&format!("{:#x}", text_page)), "{msgs}");
    let lost: u64 = l
        .problems
        .iter()
        .map(|p| match p {
            RingProblem::Lost { count, .. } => *count,
            _ => 0,
        })
        .sum();
    assert_eq!(l.records.len() as u64 + lost, 400);
}

#[test]
fn truncated_memory_gives_partial_results() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 9, 14);
    let all = fill(&mut r, 300, "t");
    // The image ends in the middle of the text ring.
    let mut mem = r.memory().to_vec();
    mem.truncate((r.data_pa + 5000) as usize);
    let l = decode_mem(
        &r.vmcoreinfo(),
        &ImageMem {
            bytes: mem,
            excluded: vec![],
        },
    )
    .unwrap();
    assert!(!l.records.is_empty() && l.records.len() < 300);
    for x in &l.records {
        assert_eq!(x.text, all[x.seq as usize].1.as_bytes());
    }
    assert!(l
        .problems
        .iter()
        .any(|p| p.to_string().contains("not in the dump")));
}

#[test]
fn overwritten_data_block_is_never_shown_as_another_records_text() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 7, 12);
    let all = fill(&mut r, 10, "o");
    // Point record 3's descriptor at record 5's block.
    let (d3, w5) = (r.desc_pa(all[3].0.id & 127), all[5].0);
    let m = r.memory_mut();
    m[d3 as usize + 8..d3 as usize + 16].copy_from_slice(&w5.begin.to_le_bytes());
    m[d3 as usize + 16..d3 as usize + 24].copy_from_slice(&w5.next.to_le_bytes());
    let l = decode(&r);
    assert!(!l.records.iter().any(|x| x.seq == 3));
    assert!(
        matches!(
            &l.problems[..],
            [RingProblem::Lost {
                cause: Cause::BlockIdMismatch { .. },
                ..
            }]
        ),
        "{:?}",
        l.problems
    );
}

#[test]
fn corrupt_header_is_an_error_naming_the_field() {
    let r = {
        let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
        fill(&mut r, 5, "e");
        r
    };
    let cases: [(u64, &[u8], &str); 4] = [
        (r.rb_pa, &40u32.to_le_bytes(), "count_bits"),
        (r.rb_pa + 48, &60u32.to_le_bytes(), "size_bits"),
        (r.rb_pa + 8, &0x1000u64.to_le_bytes(), "descs"),
        (r.rb_pa + 48 + 8, &7u64.to_le_bytes(), "data"),
    ];
    for (pa, bytes, field) in cases {
        let mut mem = r.memory().to_vec();
        mem[pa as usize..pa as usize + bytes.len()].copy_from_slice(bytes);
        let e = decode_mem(
            &r.vmcoreinfo(),
            &ImageMem {
                bytes: mem,
                excluded: vec![],
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains(field), "{field}: {e}");
    }
    // The header's page excluded: an error naming the address.
    let e = decode_mem(
        &r.vmcoreinfo(),
        &ImageMem {
            bytes: r.memory().to_vec(),
            excluded: vec![1],
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, PrintkError::Header(_)) && e.to_string().contains("0x1000"),
        "{e}"
    );
}

#[test]
fn id_span_larger_than_the_ring_is_clamped() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    let all = fill(&mut r, 100, "s");
    let at = (r.rb_pa + 32) as usize; // tail_id
    r.memory_mut()[at..at + 8].copy_from_slice(&5u64.to_le_bytes());
    let l = decode(&r);
    assert!(
        matches!(l.problems[..], [RingProblem::IdSpan { .. }]),
        "{:?}",
        l.problems
    );
    for x in &l.records {
        assert_eq!(x.text, all[x.seq as usize].1.as_bytes());
    }
    assert_eq!(l.records.last().map(|x| x.seq), Some(99));
    assert_eq!(
        l.records.len(),
        decode_excluding(
            &{
                let mut r2 = SynthRing::new(RingLayout::v6_12(), 5, 10);
                fill(&mut r2, 100, "s");
                r2
            },
            &[]
        )
        .records
        .len()
    );
}

#[test]
fn missing_vmcoreinfo_keys_are_named() {
    let r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    let vi = r
        .vmcoreinfo()
        .replace("OFFSET(prb_desc_ring.infos)=16\n", "");
    let mem = ImageMem {
        bytes: r.memory().to_vec(),
        excluded: vec![],
    };
    let e = decode_mem(&vi, &mem).unwrap_err();
    assert!(e.to_string().contains("OFFSET(prb_desc_ring.infos)"), "{e}");
    let old = "OSRELEASE=5.4.0\nSYMBOL(log_buf)=ffffffff82000000\nNUMBER(phys_base)=0\nSYMBOL(init_top_pgt)=ffffffff80000000\n";
    let e = decode_mem(old, &mem).unwrap_err();
    assert!(matches!(e, PrintkError::PreLockless), "{e}");
    let implausible = r
        .vmcoreinfo()
        .replace("SIZE(printk_info)=88", "SIZE(printk_info)=99999999999");
    let e = decode_mem(&implausible, &mem).unwrap_err();
    assert!(e.to_string().contains("SIZE(printk_info)"), "{e}");
}

/// xorshift64*: deterministic noise for damage tests.
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn random_damage_never_panics_and_descriptor_damage_never_gives_wrong_text() {
    let mut r = SynthRing::new(RingLayout::v6_12(), 7, 12);
    let all = fill(&mut r, 300, "n");
    let regions = [
        ("descs", r.descs_pa, 128 * 24),
        ("infos", r.infos_pa, 128 * 88),
        ("data", r.data_pa, 4096),
        ("header", r.rb_pa, 88),
    ];
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let (name, base, len) = regions[round % regions.len()];
        let mut mem = r.memory().to_vec();
        let n = 1 + noise.next() % 64;
        for _ in 0..n {
            let at = base + noise.next() % len;
            mem[at as usize] = noise.next() as u8;
        }
        // Sometimes a whole page of random bytes.
        if round % 7 == 0 {
            let page = (base + noise.next() % len) & !0xfff;
            for b in &mut mem[page as usize..page as usize + 4096] {
                *b = noise.next() as u8;
            }
        }
        let Ok(l) = decode_mem(
            &r.vmcoreinfo(),
            &ImageMem {
                bytes: mem,
                excluded: vec![],
            },
        ) else {
            continue;
        };
        assert!(l.records.len() <= 128);
        if name == "descs" {
            for x in &l.records {
                let want = all.get(x.seq as usize).map(|(_, t)| t.as_bytes());
                assert_eq!(
                    Some(x.text.as_slice()),
                    want,
                    "round {round}: seq {}",
                    x.seq
                );
            }
        }
    }
}

#[test]
fn fuzz_entry_point_on_fixed_inputs() {
    // The fuzz target's own function, on inputs of every mode (and any regression found).
    let mut noise = Noise(7);
    for mode in 0u8..4 {
        for len in [0usize, 1, 3, 64, 5000, 20000] {
            let mut v = vec![mode];
            v.extend((0..len).map(|_| noise.next() as u8));
            crate::synth::printk::fuzz_ring(&v);
        }
    }
    // Found by cargo fuzz: a descriptor array at the top of the address space (overflow).
    crate::synth::printk::fuzz_ring(
        b"\x81E\x10\xff\xff\xbf\x05\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xdf\xff\xff\xff;\xff\xff\x01\xff\xff\xff\xff\t\n\t\xffB\x11",
    );
    crate::synth::printk::fuzz_ring(
        b"\x03SIZE(printk_info)=0\nOFFSET(printk_info.seq)=18446744073709551615\n",
    );
}

#[test]
fn full_ring_of_the_benchmark_reads_back_exactly() {
    // The benchmark's ring shape (synth::printk::filled), 64 KiB here to stay quick.
    let (r, written) = crate::synth::printk::filled(16, 2);
    let l = decode(&r);
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    let first = l.records[0].seq as usize;
    assert!(first > 0);
    assert_eq!(l.records.len(), written.len() - first);
    for (got, (w, want)) in l.records.iter().zip(&written[first..]) {
        assert_eq!((got.seq, &got.text), (w.seq, &want.text));
        assert_eq!(
            (got.level, got.facility, got.caller_id),
            (Some(want.level), Some(want.facility), want.caller_id)
        );
        assert_eq!(
            (&got.subsystem, &got.device),
            (&want.subsystem, &want.device)
        );
    }
}
