//! Time opening a vmlinux and resolving what modcrash needs; print the facts.
//! Usage: cargo run --release --example symprobe -- VMLINUX
use std::time::Instant;

use modcrash::symbols::{Hint, Vmlinux};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: symprobe VMLINUX")?;
    let t0 = Instant::now();
    let lap = |what: &str| eprintln!("{:>9.3} ms  {what}", t0.elapsed().as_secs_f64() * 1e3);
    let vm = Vmlinux::open(&path)?;
    lap("open");
    println!("build-id {:?}", vm.build_id());
    lap("build-id");
    println!("symbols {}", vm.symbol_count()?);
    lap("symtab parse");
    println!("_stext {} _text {}", vm.stext()?, vm.text()?);
    lap("symtab index + _stext/_text");
    println!("release {}", vm.release()?);
    lap("banner");
    println!("units {}", vm.unit_count()?);
    lap("unit table");
    let module = vm.find_struct("module", Hint::File("kernel/module/main.c"))?;
    lap("struct module");
    println!("sizeof(struct module) = {:?}", module.size());
    for m in [
        "state",
        "list",
        "name",
        "taints",
        "refcnt",
        "core_layout",
        "mem",
        "kallsyms",
    ] {
        match module.member(m) {
            Ok(i) => println!("  {m} @{} size {:?} {}", i.offset, i.size, i.type_summary()),
            Err(e) => println!("  {m}: {e}"),
        }
    }
    let tf = vm.variable("taint_flags", Some("kernel/panic.c"))?;
    lap("taint_flags");
    println!(
        "taint_flags @{} {} len {:?} size {:?}",
        tf.addr,
        tf.ty.summary(),
        tf.ty.array_len(),
        tf.ty.size()
    );
    if let Some(elem) = tf.ty.array_elem() {
        if let Some(c) = elem.composite() {
            for m in &c.members {
                println!("  {:?} @{} {}", m.name, m.offset, m.ty.summary());
            }
        }
    }
    let tm = vm.variable("tainted_mask", Some("kernel/panic.c"))?;
    lap("tainted_mask");
    println!(
        "tainted_mask @{} {} {:?}",
        tm.addr,
        tm.ty.summary(),
        tm.ty.scalar()
    );
    let mods = vm.variable("modules", Some("kernel/module/main.c"))?;
    lap("modules");
    println!(
        "modules @{} {} {:?}",
        mods.addr,
        mods.ty.summary(),
        mods.binding
    );
    if std::env::var_os("SYMPROBE_FAST").is_some() {
        return Ok(());
    }
    for e in ["MODULE_STATE_UNFORMED", "MOD_TEXT", "MOD_MEM_NUM_TYPES"] {
        println!(
            "{e} = {:?}",
            vm.enumerator(e, Hint::Only("kernel/module/main.c"))
                .map_err(|e| e.to_string())
        );
    }
    lap("enumerators");
    for (v, f) in [
        ("unloaded_tainted_modules", "kernel/module/tracking.c"),
        ("dup_failed_modules", "kernel/module/stats.c"),
        ("failed_becoming", "kernel/module/stats.c"),
    ] {
        match vm.variable(v, Some(f)) {
            Ok(x) => println!("{v} @{} {} {:?}", x.addr, x.ty.summary(), x.ty.scalar()),
            Err(e) => println!("{v}: {e}"),
        }
    }
    lap("optional variables");
    Ok(())
}
