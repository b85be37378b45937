//! The symbols layer against a synthetic vmlinux: DWARF written with `gimli::write`, wrapped in
//! an ELF64 image by the test writer in tests/common/synth_vmlinux.rs, which shares no code or
//! layouts with the reader.

#[path = "common/synth_vmlinux.rs"]
mod synth_vmlinux;

use gimli::write::{
    Address, AttributeValue as AV, Dwarf, Expression, LineProgram, Reference, Unit,
};
use gimli::{constants::*, Encoding, Format};
use modcrash::addr::Va;
use modcrash::symbols::{BitField, Hint, Scalar, SymBinding, SymError, SymKind, Type, Vmlinux};
use synth_vmlinux::*;

const TEXT: u64 = 0xffff_ffff_8100_0000;
const DATA: u64 = 0xffff_ffff_8200_0000;
const UTM1: u64 = DATA + 0x100; // unloaded_tainted_modules in kernel/module/tracking.c
const COUNTER: u64 = DATA + 0x120; // function-scope static `counter` (symbol counter.0)
const UTM2: u64 = DATA + 0x200; // unloaded_tainted_modules in kernel/other/tracking.c
const TAINTED: u64 = DATA + 0x400;
const THING: u64 = DATA + 0x500;
const BANNER: &[u8] = b"Linux version 6.1.0-test (gcc 12) #1 SMP\n\0";
const BUILD_ID: [u8; 20] = [
    0x3b, 0x43, 0xfa, 0xd5, 0x03, 0x48, 0x74, 0x49, 0x04, 0x92, 0x49, 0x5d, 0x55, 0x2c, 0x0a, 0xf6,
    0xa5, 0xfa, 0xb2, 0x35,
];

// ---- DWARF ---------------------------------------------------------------------------------

struct Built {
    sections: Vec<(&'static str, Vec<u8>)>,
}

fn build_dwarf() -> Built {
    let enc = Encoding {
        format: Format::Dwarf32,
        version: 5,
        address_size: 8,
    };
    let mut dwarf = Dwarf::new();
    let u1 = dwarf.units.add(Unit::new(enc, LineProgram::none()));
    let u2 = dwarf.units.add(Unit::new(enc, LineProgram::none()));

    // Unit 1: kernel/module/tracking.c
    let thing;
    {
        let mut b = B {
            dwarf: &mut dwarf,
            unit: u1,
        };
        let root = b.root();
        b.u()
            .get_mut(root)
            .set(DW_AT_name, AV::String(b"kernel/module/tracking.c".to_vec()));
        let int = b.base("int", 4, DW_ATE_signed);
        let ulong = b.base("long unsigned int", 8, DW_ATE_unsigned);
        let uint = b.base("unsigned int", 4, DW_ATE_unsigned);
        let ch = b.base("char", 1, DW_ATE_signed_char);
        let lh = b.list_head();

        // typedef struct { int counter; } atomic_t; typedef const atomic_t my_atomic_t;
        let anon = b.add(
            root,
            DW_TAG_structure_type,
            vec![(DW_AT_byte_size, AV::Udata(4))],
        );
        b.member(anon, Some("counter"), int, 0);
        let n = b.strp("atomic_t");
        let atomic = b.add(
            root,
            DW_TAG_typedef,
            vec![(DW_AT_name, n), (DW_AT_type, AV::UnitRef(anon))],
        );
        let c_atomic = b.add(
            root,
            DW_TAG_const_type,
            vec![(DW_AT_type, AV::UnitRef(atomic))],
        );
        let n = b.strp("my_atomic_t");
        let my_atomic = b.add(
            root,
            DW_TAG_typedef,
            vec![(DW_AT_name, n), (DW_AT_type, AV::UnitRef(c_atomic))],
        );

        // enum fail_reason : unsigned int { FAIL_A, FAIL_B, NEG = -2 }
        let n = b.strp("fail_reason");
        let en = b.add(
            root,
            DW_TAG_enumeration_type,
            vec![
                (DW_AT_name, n),
                (DW_AT_byte_size, AV::Udata(4)),
                (DW_AT_type, AV::UnitRef(uint)),
            ],
        );
        for (name, v) in [
            ("FAIL_A", AV::Data1(0)),
            ("FAIL_B", AV::Data1(1)),
            ("NEG", AV::Sdata(-2)),
        ] {
            let n = b.strp(name);
            b.add(
                en,
                DW_TAG_enumerator,
                vec![(DW_AT_name, n), (DW_AT_const_value, v)],
            );
        }

        // struct module; (declaration only here)
        let n = b.strp("module");
        let mod_decl = b.add(
            root,
            DW_TAG_structure_type,
            vec![(DW_AT_name, n), (DW_AT_declaration, AV::FlagPresent)],
        );
        let _mod_ptr = b.add(
            root,
            DW_TAG_pointer_type,
            vec![
                (DW_AT_byte_size, AV::Udata(8)),
                (DW_AT_type, AV::UnitRef(mod_decl)),
            ],
        );

        // struct thing
        let n = b.strp("thing");
        thing = b.add(
            root,
            DW_TAG_structure_type,
            vec![(DW_AT_name, n), (DW_AT_byte_size, AV::Udata(152))],
        );
        b.member(thing, Some("list"), lh, 0);
        let name_arr = b.add(root, DW_TAG_array_type, vec![(DW_AT_type, AV::UnitRef(ch))]);
        b.add(
            name_arr,
            DW_TAG_subrange_type,
            vec![(DW_AT_upper_bound, AV::Data1(55))],
        );
        b.member(thing, Some("name"), name_arr, 16);
        b.member(thing, Some("taints"), ulong, 72);
        let un = b.add(
            root,
            DW_TAG_union_type,
            vec![(DW_AT_byte_size, AV::Udata(8))],
        );
        b.member(un, Some("a"), int, 0);
        b.member(un, Some("b"), ulong, 0);
        b.member(thing, None, un, 80);
        // Anonymous struct whose members use DWARF 2 style DW_OP_plus_uconst locations.
        let st = b.add(
            root,
            DW_TAG_structure_type,
            vec![(DW_AT_byte_size, AV::Udata(8))],
        );
        for (name, off) in [("x", 0), ("y", 4)] {
            let n = b.strp(name);
            let mut e = Expression::new();
            e.op_plus_uconst(off);
            b.add(
                st,
                DW_TAG_member,
                vec![
                    (DW_AT_name, n),
                    (DW_AT_type, AV::UnitRef(int)),
                    (DW_AT_data_member_location, AV::Exprloc(e)),
                ],
            );
        }
        b.member(thing, None, st, 88);
        // unsigned int flag:3 (DWARF 5 data_bit_offset), old:5 (DWARF 2 bit_offset)
        let n = b.strp("flag");
        b.add(
            thing,
            DW_TAG_member,
            vec![
                (DW_AT_name, n),
                (DW_AT_type, AV::UnitRef(uint)),
                (DW_AT_bit_size, AV::Udata(3)),
                (DW_AT_data_bit_offset, AV::Udata(96 * 8)),
            ],
        );
        let n = b.strp("old");
        b.add(
            thing,
            DW_TAG_member,
            vec![
                (DW_AT_name, n),
                (DW_AT_type, AV::UnitRef(uint)),
                (DW_AT_byte_size, AV::Udata(4)),
                (DW_AT_bit_size, AV::Udata(5)),
                (DW_AT_bit_offset, AV::Udata(32 - 3 - 5)),
                (DW_AT_data_member_location, AV::Udata(96)),
            ],
        );
        b.member(thing, Some("cnt"), my_atomic, 100);
        let grid = b.add(
            root,
            DW_TAG_array_type,
            vec![(DW_AT_type, AV::UnitRef(int))],
        );
        b.add(
            grid,
            DW_TAG_subrange_type,
            vec![(DW_AT_count, AV::Udata(2))],
        );
        b.add(
            grid,
            DW_TAG_subrange_type,
            vec![(DW_AT_count, AV::Udata(3))],
        );
        b.member(thing, Some("grid"), grid, 104);
        b.member(thing, Some("reason"), en, 128);
        // int (*handler)(struct thing *)
        let thing_ptr = b.add(
            root,
            DW_TAG_pointer_type,
            vec![
                (DW_AT_byte_size, AV::Udata(8)),
                (DW_AT_type, AV::UnitRef(thing)),
            ],
        );
        let sub = b.add(
            root,
            DW_TAG_subroutine_type,
            vec![
                (DW_AT_type, AV::UnitRef(int)),
                (DW_AT_prototyped, AV::FlagPresent),
            ],
        );
        b.add(
            sub,
            DW_TAG_formal_parameter,
            vec![(DW_AT_type, AV::UnitRef(thing_ptr))],
        );
        let fptr = b.add(
            root,
            DW_TAG_pointer_type,
            vec![
                (DW_AT_byte_size, AV::Udata(8)),
                (DW_AT_type, AV::UnitRef(sub)),
            ],
        );
        b.member(thing, Some("handler"), fptr, 136);
        b.member(thing, Some("mod"), _mod_ptr, 144);
        // int flex[];
        let flex = b.add(
            root,
            DW_TAG_array_type,
            vec![(DW_AT_type, AV::UnitRef(int))],
        );
        b.add(flex, DW_TAG_subrange_type, vec![]);
        b.member(thing, Some("flex"), flex, 152);

        // static LIST_HEAD(unloaded_tainted_modules);
        b.static_var(
            root,
            "unloaded_tainted_modules",
            AV::UnitRef(lh),
            UTM1,
            false,
        );
        // void do_thing(void) { static int counter; }
        let n = b.strp("do_thing");
        let f = b.add(
            root,
            DW_TAG_subprogram,
            vec![
                (DW_AT_name, n),
                (DW_AT_external, AV::FlagPresent),
                (DW_AT_low_pc, AV::Address(Address::Constant(TEXT + 0x10))),
                (DW_AT_high_pc, AV::Udata(0x20)),
            ],
        );
        b.static_var(f, "counter", AV::UnitRef(int), COUNTER, false);
        // extern unsigned long tainted_mask;
        let n = b.strp("tainted_mask");
        b.add(
            root,
            DW_TAG_variable,
            vec![
                (DW_AT_name, n),
                (DW_AT_type, AV::UnitRef(ulong)),
                (DW_AT_external, AV::FlagPresent),
                (DW_AT_declaration, AV::FlagPresent),
            ],
        );
    }

    // Unit 2: kernel/other/tracking.c (same basename as unit 1)
    {
        let mut b = B {
            dwarf: &mut dwarf,
            unit: u2,
        };
        let root = b.root();
        let n = b.strp("kernel/other/tracking.c");
        b.u().get_mut(root).set(DW_AT_name, n);
        let ulong = b.base("long unsigned int", 8, DW_ATE_unsigned);
        let int = b.base("int", 4, DW_ATE_signed);
        let ch = b.base("char", 1, DW_ATE_signed_char);
        let lh = b.list_head();
        b.static_var(
            root,
            "unloaded_tainted_modules",
            AV::UnitRef(lh),
            UTM2,
            false,
        );
        // unsigned long tainted_mask; as declaration + specification-linked definition
        let n = b.strp("tainted_mask");
        let decl = b.add(
            root,
            DW_TAG_variable,
            vec![
                (DW_AT_name, n),
                (DW_AT_type, AV::UnitRef(ulong)),
                (DW_AT_external, AV::FlagPresent),
                (DW_AT_declaration, AV::FlagPresent),
            ],
        );
        let mut e = Expression::new();
        e.op_addr(Address::Constant(TAINTED));
        b.add(
            root,
            DW_TAG_variable,
            vec![
                (DW_AT_specification, AV::UnitRef(decl)),
                (DW_AT_location, AV::Exprloc(e)),
            ],
        );
        // struct module { int state; char name[8]; } (the definition the fallback must find)
        let n = b.strp("module");
        let m = b.add(
            root,
            DW_TAG_structure_type,
            vec![(DW_AT_name, n), (DW_AT_byte_size, AV::Udata(12))],
        );
        b.member(m, Some("state"), int, 0);
        let arr = b.add(root, DW_TAG_array_type, vec![(DW_AT_type, AV::UnitRef(ch))]);
        b.add(
            arr,
            DW_TAG_subrange_type,
            vec![(DW_AT_upper_bound, AV::Udata(7))],
        );
        b.member(m, Some("name"), arr, 4);
        // struct thing the_thing; with its type in unit 1 (DW_FORM_ref_addr)
        b.static_var(
            root,
            "the_thing",
            AV::DebugInfoRef(Reference::Entry(u1, thing)),
            THING,
            true,
        );
        // A cyclic typedef (malformed on purpose).
        let n = b.strp("loop_t");
        let lp = b.add(root, DW_TAG_typedef, vec![(DW_AT_name, n)]);
        b.u().get_mut(lp).set(DW_AT_type, AV::UnitRef(lp));
    }

    let mut out = dwarf_sections(&mut dwarf);
    // .debug_aranges by hand (gimli::write does not emit it): do_thing's range -> unit 1 at 0.
    let mut ar = Vec::new();
    ar.extend_from_slice(&0u32.to_le_bytes()); // length, patched below
    ar.extend_from_slice(&2u16.to_le_bytes());
    ar.extend_from_slice(&0u32.to_le_bytes()); // debug_info offset of unit 1
    ar.push(8);
    ar.push(0);
    ar.extend_from_slice(&[0; 4]); // pad header to 16
    for v in [TEXT + 0x10, 0x20, 0, 0] {
        ar.extend_from_slice(&v.to_le_bytes());
    }
    let len = (ar.len() - 4) as u32;
    ar[..4].copy_from_slice(&len.to_le_bytes());
    out.push((".debug_aranges", ar));
    Built { sections: out }
}

// ---- ELF -------------------------------------------------------------------------------------

fn image_with(dwarf_edit: impl FnOnce(&mut Vec<(&'static str, Vec<u8>)>)) -> Vec<u8> {
    let mut dw = build_dwarf().sections;
    dwarf_edit(&mut dw);
    let mut data = vec![0u8; 0x1000];
    data[..BANNER.len()].copy_from_slice(BANNER);
    let note = build_id_note(&BUILD_ID);
    let mut secs = vec![
        sec(
            ".text",
            SHT_PROGBITS,
            SHF_ALLOC | SHF_EXEC,
            TEXT,
            vec![0xcc; 0x100],
        ), // 1
        sec(".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, DATA, data), // 2
        sec(".note.gnu.build-id", SHT_NOTE, SHF_ALLOC, 0, note),       // 3
    ];
    for (name, bytes) in dw {
        secs.push(sec(name, SHT_PROGBITS, 0, 0, bytes));
    }
    const FILE: u8 = STT_FILE;
    const OBJ: u8 = STT_OBJECT;
    const FUNC: u8 = STT_FUNC;
    const NOTYPE: u8 = STT_NOTYPE;
    const ABS: u16 = SHN_ABS;
    let syms: Vec<SymDef> = vec![
        ("tracking.c", 0, 0, FILE, 0, ABS),
        ("unloaded_tainted_modules", UTM1, 16, OBJ, 0, 2),
        ("counter.0", COUNTER, 4, OBJ, 0, 2),
        ("tracking.c", 0, 0, FILE, 0, ABS),
        ("unloaded_tainted_modules", UTM2, 16, OBJ, 0, 2),
        ("other.c", 0, 0, FILE, 0, ABS),
        ("dup", DATA + 0x300, 8, OBJ, 0, 2),
        ("another.c", 0, 0, FILE, 0, ABS),
        ("dup", DATA + 0x308, 8, OBJ, 0, 2),
        ("_stext", TEXT, 0, NOTYPE, 1, 1),
        ("_text", TEXT, 0, NOTYPE, 1, 1),
        ("do_thing", TEXT + 0x10, 0x20, FUNC, 1, 1),
        ("linux_banner", DATA, BANNER.len() as u64, OBJ, 1, 2),
        ("tainted_mask", TAINTED, 8, OBJ, 1, 2),
        ("the_thing", THING, 152, OBJ, 1, 2),
    ];
    write_elf(secs, &syms, TEXT)
}

fn vm() -> Vmlinux {
    Vmlinux::from_bytes(image_with(|_| {}), "synthetic-vmlinux").unwrap()
}

// ---- Tests -----------------------------------------------------------------------------------

#[test]
fn vmlinux_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Vmlinux>();
}

#[test]
fn elf_identity() {
    let vm = vm();
    assert_eq!(
        vm.build_id().as_deref(),
        Some("3b43fad5034874490492495d552c0af6a5fab235")
    );
    assert_eq!(
        vm.linux_banner().unwrap(),
        "Linux version 6.1.0-test (gcc 12) #1 SMP\n"
    );
    assert_eq!(vm.release().unwrap(), "6.1.0-test");
    assert_eq!(vm.stext().unwrap(), Va(TEXT));
    assert_eq!(vm.text().unwrap(), Va(TEXT));
    assert_eq!(vm.image_bytes(Va(DATA), 5).unwrap(), b"Linux");
    assert!(vm.image_bytes(Va(DATA + 0xfff), 2).is_err());
    assert!(vm.image_bytes(Va(0x1234), 1).is_err());
}

#[test]
fn symbols_with_files() {
    let vm = vm();
    assert_eq!(vm.symbol_count().unwrap(), 16);
    let utm = vm.symbols("unloaded_tainted_modules").unwrap();
    assert_eq!(utm.len(), 2);
    assert!(utm
        .iter()
        .all(|s| s.file == Some("tracking.c") && s.binding == SymBinding::Local));
    assert_eq!(
        utm.iter().map(|s| s.addr).collect::<Vec<_>>(),
        vec![UTM1, UTM2]
    );
    let dup = vm.symbols("dup").unwrap();
    assert_eq!(
        dup.iter().map(|s| s.file.unwrap()).collect::<Vec<_>>(),
        vec!["other.c", "another.c"]
    );
    assert!(matches!(
        vm.symbol("dup"),
        Err(SymError::AmbiguousSymbol { .. })
    ));
    let f = vm.symbol("do_thing").unwrap();
    assert_eq!(
        (f.kind, f.binding, f.file, f.size),
        (SymKind::Func, SymBinding::Global, None, 0x20)
    );
    assert!(
        vm.symbols("tracking.c").unwrap().is_empty(),
        "FILE symbols are not looked up"
    );
    let c = vm.symbols_suffixed("counter").unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].name, "counter.0");
    assert!(matches!(
        vm.symbol("nope"),
        Err(SymError::SymbolNotFound { .. })
    ));
    let all: Vec<_> = vm.all_symbols().unwrap().collect();
    assert_eq!(
        all.iter().filter(|s| s.file == Some("another.c")).count(),
        1
    );
}

#[test]
fn unit_table() {
    let vm = vm();
    assert_eq!(vm.unit_count().unwrap(), 2);
    assert_eq!(
        vm.unit_names().unwrap(),
        vec![
            Some("kernel/module/tracking.c"),
            Some("kernel/other/tracking.c")
        ]
    );
}

#[test]
fn struct_layout_bitfields_anonymous_members() {
    let vm = vm();
    let t = vm
        .find_struct("thing", Hint::File("kernel/module/tracking.c"))
        .unwrap();
    assert_eq!(t.size(), Some(152));
    assert_eq!(t.member_offset("list.prev").unwrap(), 8);
    let name = t.member("name").unwrap();
    assert_eq!((name.offset, name.size), (16, Some(56)));
    assert_eq!(name.type_summary(), "char [56]");
    assert_eq!(name.ty.array_len(), Some(56));
    assert_eq!(t.member_offset("taints").unwrap(), 72);
    // through the anonymous union and struct
    assert_eq!(t.member_offset("a").unwrap(), 80);
    assert_eq!(t.member("b").unwrap().size, Some(8));
    assert_eq!(t.member_offset("x").unwrap(), 88);
    assert_eq!(
        t.member_offset("y").unwrap(),
        92,
        "DW_OP_plus_uconst location"
    );
    // bitfields
    let flag = t.member("flag").unwrap();
    assert_eq!(flag.offset, 96);
    assert_eq!(
        flag.bitfield,
        Some(BitField {
            bit_offset: 768,
            bit_size: 3
        })
    );
    let old = t.member("old").unwrap();
    assert_eq!(
        old.bitfield,
        Some(BitField {
            bit_offset: 771,
            bit_size: 5
        }),
        "DWARF 2 bit_offset"
    );
    // typedef chain with a const qualifier stripped
    let cnt = t.member("cnt").unwrap();
    assert_eq!((cnt.offset, cnt.size), (100, Some(4)));
    assert_eq!(cnt.type_summary(), "my_atomic_t");
    assert_eq!(
        cnt.ty.scalar(),
        Some(Scalar {
            size: 4,
            signed: true
        })
    );
    assert_eq!(t.member_offset("cnt.counter").unwrap(), 100);
    // 2-D array
    let grid = t.member("grid").unwrap();
    assert_eq!((grid.offset, grid.size), (104, Some(24)));
    assert_eq!(grid.type_summary(), "int [2][3]");
    assert!(
        t.member("grid[1]").is_err(),
        "multi-dim indexing is refused, not guessed"
    );
    // enum
    let reason = t.member("reason").unwrap();
    assert_eq!(reason.offset, 128);
    assert_eq!(
        reason.ty.scalar(),
        Some(Scalar {
            size: 4,
            signed: false
        })
    );
    // function pointer and pointer to an incomplete struct
    let h = t.member("handler").unwrap();
    assert_eq!(h.offset, 136);
    assert_eq!(h.type_summary(), "int (*)(struct thing *)");
    let m = t.member("mod").unwrap();
    assert_eq!(m.type_summary(), "struct module *");
    // flexible array
    let flex = t.member("flex").unwrap();
    assert_eq!(
        (flex.offset, flex.size, flex.ty.array_len()),
        (152, None, None)
    );
    // errors
    assert!(matches!(
        t.member("nope"),
        Err(SymError::MemberNotFound { .. })
    ));
    assert!(t.member("taints.x").is_err());
    assert!(t.member("").is_err());
    assert!(t.member("name[56]").is_err());
    assert_eq!(t.member_offset("name[3]").unwrap(), 19);
}

#[test]
fn pointer_targets_resolve_on_demand() {
    let vm = vm();
    let t = vm
        .find_struct("thing", Hint::File("kernel/module/tracking.c"))
        .unwrap();
    let next = t.member("list.next").unwrap();
    let Type::Pointer {
        target,
        target_ref,
        size,
    } = next.ty
    else {
        panic!("not a pointer: {:?}", next.ty)
    };
    assert_eq!((target.as_str(), *size), ("struct list_head", 8));
    let lh = vm.resolve_ref(target_ref.unwrap()).unwrap();
    assert_eq!(lh.size(), Some(16));
    assert_eq!(lh.member_offset("prev").unwrap(), 8);
}

#[test]
fn types_by_name_and_hints() {
    let vm = vm();
    assert_eq!(
        vm.sizeof("struct thing", Hint::File("tracking.c")).unwrap(),
        152
    );
    assert_eq!(
        vm.sizeof("atomic_t", Hint::File("kernel/module/tracking.c"))
            .unwrap(),
        4
    );
    let e = vm.find_type("enum fail_reason", Hint::Any).unwrap();
    let Type::Enum(e) = e else { panic!() };
    assert_eq!(
        e.enumerators,
        vec![
            ("FAIL_A".into(), 0),
            ("FAIL_B".into(), 1),
            ("NEG".into(), -2)
        ]
    );
    // Hint by function symbol (.debug_aranges) and by static symbol (STT_FILE)
    assert!(vm.find_struct("thing", Hint::Symbol("do_thing")).is_ok());
    assert!(vm
        .find_struct("thing", Hint::Symbol("unloaded_tainted_modules"))
        .is_ok());
    let fi = vm
        .member_info(
            "struct thing",
            "cnt",
            Hint::File("kernel/module/tracking.c"),
        )
        .unwrap();
    assert_eq!(
        (fi.offset, fi.size, fi.type_summary.as_str()),
        (100, Some(4), "my_atomic_t")
    );
    assert_eq!(
        vm.member_offset("struct thing", "y", Hint::Any).unwrap(),
        92
    );
}

#[test]
fn struct_fallback_past_a_declaration() {
    let vm = vm();
    // Unit 1 only declares struct module; the fallback finds unit 2's definition.
    let m = vm
        .find_struct("module", Hint::File("kernel/module/tracking.c"))
        .unwrap();
    assert_eq!(m.size(), Some(12));
    assert_eq!(m.member_offset("name").unwrap(), 4);
    // Hint::Only never falls back.
    let err = vm
        .find_struct("module", Hint::Only("kernel/module/tracking.c"))
        .unwrap_err();
    assert!(matches!(err, SymError::TypeNotFound { .. }), "{err}");
    assert!(matches!(
        vm.find_struct("absent", Hint::Any),
        Err(SymError::TypeNotFound { .. })
    ));
    assert!(
        vm.find_struct("thing", Hint::File("no/such/file.c"))
            .is_ok(),
        "a hint naming no unit falls back"
    );
}

#[test]
fn enumerators() {
    let vm = vm();
    assert_eq!(
        vm.enumerator("FAIL_B", Hint::File("kernel/module/tracking.c"))
            .unwrap(),
        1
    );
    assert_eq!(vm.enumerator("NEG", Hint::Any).unwrap(), -2);
    assert!(matches!(
        vm.enumerator("FAIL_C", Hint::Any),
        Err(SymError::EnumeratorNotFound { .. })
    ));
    assert!(matches!(
        vm.enumerator("FAIL_A", Hint::Only("kernel/other/tracking.c")),
        Err(SymError::EnumeratorNotFound { .. })
    ));
    let e = vm.enum_of("FAIL_A", Hint::Any).unwrap();
    assert_eq!(e.summary(), "enum fail_reason");
}

#[test]
fn static_variables_disambiguated_by_file() {
    let vm = vm();
    let v = vm
        .variable("unloaded_tainted_modules", Some("kernel/module/tracking.c"))
        .unwrap();
    assert_eq!(v.addr, Va(UTM1));
    assert_eq!(v.unit.as_deref(), Some("kernel/module/tracking.c"));
    assert_eq!(v.ty.summary(), "struct list_head");
    assert_eq!(v.sym_size, Some(16));
    assert_eq!(v.binding, Some(SymBinding::Local));
    let v = vm
        .variable("unloaded_tainted_modules", Some("kernel/other/tracking.c"))
        .unwrap();
    assert_eq!(v.addr, Va(UTM2));
    assert_eq!(v.unit.as_deref(), Some("kernel/other/tracking.c"));
    // Two statics, no hint: refuse to guess.
    assert!(matches!(
        vm.variable("unloaded_tainted_modules", None),
        Err(SymError::AmbiguousSymbol { .. })
    ));
    // A basename hint matching both units is still ambiguous, and says where the two are.
    let err = vm
        .variable("unloaded_tainted_modules", Some("tracking.c"))
        .unwrap_err();
    assert!(matches!(err, SymError::AmbiguousSymbol { .. }), "{err}");
    assert!(err.to_string().contains("kernel/other/tracking.c"), "{err}");
}

#[test]
fn function_scope_static() {
    let vm = vm();
    let v = vm
        .variable("counter", Some("kernel/module/tracking.c"))
        .unwrap();
    assert_eq!(v.addr, Va(COUNTER));
    assert_eq!(v.symbol.as_deref(), Some("counter.0"));
    assert_eq!(
        v.ty.scalar(),
        Some(Scalar {
            size: 4,
            signed: true
        })
    );
}

#[test]
fn globals_through_specification_and_cross_unit_types() {
    let vm = vm();
    // No hint: unit 1 has only a declaration; the scan continues to unit 2's definition.
    let v = vm.variable("tainted_mask", None).unwrap();
    assert_eq!(v.addr, Va(TAINTED));
    assert_eq!(v.unit.as_deref(), Some("kernel/other/tracking.c"));
    assert_eq!(
        v.ty.scalar(),
        Some(Scalar {
            size: 8,
            signed: false
        })
    );
    // With a hint naming the declaring unit: address from the symbol, type from the declaration.
    let v = vm
        .variable("tainted_mask", Some("kernel/module/tracking.c"))
        .unwrap();
    assert_eq!(v.addr, Va(TAINTED));
    assert_eq!(v.ty.summary(), "long unsigned int");
    // DW_FORM_ref_addr into unit 1.
    let v = vm
        .variable("the_thing", Some("kernel/other/tracking.c"))
        .unwrap();
    assert_eq!(v.addr, Va(THING));
    assert_eq!(v.ty.size(), Some(152));
    assert_eq!(v.ty.member_offset("cnt").unwrap(), 100);
    // Absent: fast failure.
    assert!(matches!(
        vm.variable("nonexistent", None),
        Err(SymError::SymbolNotFound { .. })
    ));
}

#[test]
fn cyclic_dwarf_is_an_error_not_a_hang() {
    let vm = vm();
    let err = vm
        .find_type("loop_t", Hint::File("kernel/other/tracking.c"))
        .unwrap_err();
    assert!(matches!(err, SymError::TooDeep { .. }), "{err}");
    assert!(err.to_string().contains("cyclic"), "{err}");
}

#[test]
fn malformed_inputs_do_not_panic() {
    // Truncated .debug_info.
    let img = image_with(|d| {
        for (n, b) in d.iter_mut() {
            if *n == ".debug_info" {
                b.truncate(b.len() / 2);
            }
        }
    });
    let vm = Vmlinux::from_bytes(img, "truncated").unwrap();
    let _ = vm.unit_count();
    let _ = vm.find_struct("thing", Hint::Any);
    let _ = vm.variable("the_thing", None);
    // Garbage abbreviations.
    let img = image_with(|d| {
        for (n, b) in d.iter_mut() {
            if *n == ".debug_abbrev" {
                for x in b.iter_mut().skip(3) {
                    *x = 0xff;
                }
            }
        }
    });
    let vm = Vmlinux::from_bytes(img, "bad-abbrev").unwrap();
    let r = vm.find_struct("thing", Hint::File("kernel/module/tracking.c"));
    assert!(r.is_err());
    // Flipped bytes in the DWARF sections: no panic, whatever the result.
    // (SYMBOLS_FUZZ_ITERS raises the iteration count for a longer local run.)
    let iters: u64 = std::env::var("SYMBOLS_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let targets = [
        ".debug_info",
        ".debug_abbrev",
        ".debug_str",
        ".debug_aranges",
    ];
    for seed in 0..iters {
        let target = targets[(seed % targets.len() as u64) as usize];
        let img = image_with(|d| {
            for (n, b) in d.iter_mut() {
                if *n == target {
                    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                    for _ in 0..1 + seed % 8 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let i = (x as usize) % b.len();
                        b[i] = (x >> 32) as u8;
                    }
                }
            }
        });
        let vm = Vmlinux::from_bytes(img, "fuzzed").unwrap();
        let _ = vm.unit_names();
        if let Ok(t) = vm.find_struct("thing", Hint::Any) {
            for p in [
                "flag",
                "old",
                "x",
                "grid",
                "name[3]",
                "cnt.counter",
                "list.next",
            ] {
                let _ = t
                    .member(p)
                    .map(|m| (m.offset, m.size, m.ty.summary(), m.ty.scalar()));
            }
        }
        let _ = vm.find_struct("thing", Hint::Symbol("do_thing"));
        let _ = vm.variable("the_thing", Some("kernel/other/tracking.c"));
        let _ = vm.variable("tainted_mask", None);
        let _ = vm.variable("counter", Some("tracking.c"));
        let _ = vm.enumerator("NEG", Hint::Any);
        let _ = vm.find_type("loop_t", Hint::Any);
    }
    // Not an ELF at all.
    assert!(matches!(
        Vmlinux::from_bytes(b"not an elf".to_vec(), "junk"),
        Err(SymError::Elf { .. })
    ));
}

#[test]
fn open_reports_missing_file() {
    let err = Vmlinux::open("/nonexistent/vmlinux").unwrap_err();
    assert!(matches!(err, SymError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/vmlinux"));
    // And opening a real file works through the mmap path.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vmlinux");
    std::fs::write(&p, image_with(|_| {})).unwrap();
    let vm = Vmlinux::open(&p).unwrap();
    assert!(vm.is_mapped());
    assert_eq!(vm.release().unwrap(), "6.1.0-test");
}
