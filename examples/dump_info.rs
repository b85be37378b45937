//! Print `DumpInfo` for dump files: `cargo run --release --example dump_info -- VMCORE...`
//! (`--split` opens all arguments as one split dump; `--json` prints JSON).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let split = args.iter().any(|a| a == "--split");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let show = |r: Result<modcrash::dump::Dump, modcrash::dump::DumpError>| match r {
        Ok(d) => {
            let t = std::time::Instant::now();
            let info = d.info();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&info).unwrap_or_default()
                );
            } else {
                print!("{}", modcrash::output::info::render(&info));
            }
            eprintln!("(info took {:?})", t.elapsed());
        }
        Err(e) => {
            eprintln!("error: {e}");
            let mut s = std::error::Error::source(&e);
            while let Some(c) = s {
                eprintln!("  caused by: {c}");
                s = c.source();
            }
        }
    };
    if split {
        show(modcrash::dump::Dump::open_split(&files));
    } else {
        for f in files {
            let t = std::time::Instant::now();
            let d = modcrash::dump::Dump::open(f);
            eprintln!("(open {f} took {:?})", t.elapsed());
            show(d);
            println!();
        }
    }
}
