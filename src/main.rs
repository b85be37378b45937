//! `modcrash VMCORE VMLINUX`: the command line. Parses arguments, runs the analyses, prints.
//!
//! Exit codes: 0 report produced; 1 report produced with warnings (partial results);
//! 2 usage error; 3 input cannot be opened, or the vmlinux does not match the dump.

use clap::{Parser, Subcommand, ValueEnum};
use modcrash::analysis::{self, Tracked};
use modcrash::dump::Dump;
use modcrash::kernel::{Kernel, Target, TargetOptions};
use modcrash::output::{self, kernel_text};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "modcrash",
    version,
    about = "Loaded, unloaded-tainted and failed kernel modules, read from a Linux crash dump",
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 report produced, 1 report produced with warnings, 2 usage error, \
3 input cannot be opened or the vmlinux does not match the dump."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// The crash dump, ELF (QEMU, /proc/vmcore, makedumpfile -E) or
    /// kdump-compressed (plain or flattened), then the matching vmlinux with debug info (e.g. from
    /// Debian's linux-image-*-dbg). Without it, one is looked for by the dump's build-id
    /// (--debug-dir, MODCRASH_DEBUG_PATH, /usr/lib/debug, /boot), else the dump's own kallsyms
    /// and BTF are used. The parts of a `makedumpfile --split` dump are given all together, in
    /// any order, the vmlinux among them or not (told apart by content, as crash does).
    #[arg(value_name = "VMCORE [VMLINUX]")]
    files: Vec<PathBuf>,
    /// A directory to look for the vmlinux in by build-id (.build-id/xx/yyyy.debug,
    /// boot/vmlinux-RELEASE, vmlinux-RELEASE); repeatable, searched before the system's.
    #[arg(long, value_name = "DIR", global = true)]
    debug_dir: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Shorthand for --format json.
    #[arg(long)]
    json: bool,
    /// Print one of the kernel's own files, byte for byte.
    #[arg(long, value_enum, value_name = "FILE")]
    kernel_text: Option<KernelText>,
    /// Read even if the vmlinux does not match the dump (build-id, release or banner).
    #[arg(long)]
    force: bool,
    /// Read pages excluded from a filtered dump as zeros instead of reporting them.
    #[arg(long)]
    zero_excluded: bool,
    /// Print the JSON schema of the report (`--json`) and exit.
    #[arg(long)]
    schema: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Describe a dump without a vmlinux: format, compression, pages, VMCOREINFO.
    Info {
        /// The dump, or all the parts of a `makedumpfile --split` dump.
        #[arg(required = true, num_args = 1.., value_name = "VMCORE")]
        vmcore: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The kernel log (dmesg) from the dump's printk ringbuffer (5.10+); no vmlinux needed.
    Log {
        vmcore: PathBuf,
        /// Optional: used only if it is the dump's kernel (a warning says when it is not).
        vmlinux: Option<PathBuf>,
        /// `<N>` syslog priority and caller id on each line (`dmesg -r`).
        #[arg(long)]
        raw: bool,
        /// JSON Lines: one object per record.
        #[arg(long, conflicts_with = "raw")]
        json: bool,
    },
    /// Translate a kernel virtual address and show how (direct map, kernel image, or the page walk).
    Vtop {
        vmcore: PathBuf,
        /// `[VMLINUX] ADDRESS`: the vmlinux is optional (as for the report); the address is
        /// hex (0x optional).
        #[arg(value_name = "[VMLINUX] ADDRESS", num_args = 1..=2, required = true)]
        args: Vec<String>,
        #[arg(long)]
        force: bool,
    },
    /// Show the struct page of a page frame, decoded as the kernel's dump_page() prints it.
    Page {
        vmcore: PathBuf,
        /// `[VMLINUX] TARGET`: the vmlinux is optional (as for the report). TARGET is a pfn (hex, as the kernel prints pfns; `0x` and a `pfn:` prefix optional), a struct
        /// page address, or a kernel virtual address (direct map, kernel image, vmalloc).
        /// Values from 0x8000000000000000 up are addresses, smaller ones pfns.
        #[arg(value_name = "[VMLINUX] TARGET", num_args = 1..=2, required = true)]
        args: Vec<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script (install: `modcrash completions bash >
    /// /usr/share/bash-completion/completions/modcrash`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `modcrash manpage > /usr/share/man/man1/modcrash.1`).
    Manpage,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum KernelText {
    /// debugfs modules/stats
    Stats,
    /// debugfs modules/unloaded_tainted
    UnloadedTainted,
    /// /proc/modules
    ProcModules,
    /// /proc/sys/kernel/tainted
    Tainted,
    /// the `Modules linked in:` lines of an oops (and modtrack's `Unloaded tainted modules:`)
    PrintModules,
    /// modtrack's debugfs modtrack/stats (tracker/ loaded)
    ModtrackStats,
    /// modtrack's debugfs modtrack/unloaded_tainted (tracker/ loaded)
    ModtrackUnloadedTainted,
    /// `dmesg`: the kernel log, as `modcrash log` prints it
    Dmesg,
}

const EXIT_WARNINGS: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INPUT: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Cmd::Info { vmcore, json }) => return info(vmcore, *json),
        Some(Cmd::Log {
            vmcore,
            vmlinux,
            raw,
            json,
        }) => return log(vmcore, vmlinux.as_deref(), *raw, *json),
        Some(Cmd::Vtop {
            vmcore,
            args,
            force,
        }) => {
            let (vmlinux, address) = split_optional_vmlinux(args);
            let src = Source::new(vmcore, vmlinux, &cli.debug_dir);
            return vtop(&src, address, *force);
        }
        Some(Cmd::Page {
            vmcore,
            args,
            json,
            force,
        }) => {
            let (vmlinux, target) = split_optional_vmlinux(args);
            let src = Source::new(vmcore, vmlinux, &cli.debug_dir);
            return page(&src, target, *json, *force);
        }
        Some(Cmd::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "modcrash", &mut buf);
            return emit(&buf);
        }
        Some(Cmd::Manpage) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            // Rendering into memory cannot fail.
            let _ = clap_mangen::Man::new(cmd).render(&mut buf);
            return emit(&buf);
        }
        None => {}
    }
    if cli.schema {
        return emit(include_str!("../docs/report.schema.json").as_bytes());
    }
    let (parts, vmlinux) = match inputs(&cli.files) {
        Ok(v) => v,
        Err(why) => {
            eprintln!("modcrash: usage: {why}; modcrash VMCORE [VMLINUX] (or modcrash info VMCORE); see --help");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut src = Source::new(&parts[0], vmlinux, &cli.debug_dir);
    src.parts = parts;
    let target = match open_target(
        &src,
        TargetOptions {
            force: cli.force,
            zero_excluded: cli.zero_excluded,
        },
    ) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let kernel = match target.kernel() {
        Ok(k) => k,
        Err(e) => return fail_on(&target, &e),
    };
    let report = analysis::report_with(&kernel, target.vmlinux());
    let text: Vec<u8> = match (cli.kernel_text, cli.json || cli.format == Format::Json) {
        (Some(which), _) => match kernel_file(&report, which) {
            Ok(t) => t,
            Err(msg) => {
                eprintln!("modcrash: {msg}");
                return ExitCode::from(EXIT_INPUT);
            }
        },
        (None, true) => output::json(&report).into_bytes(),
        (None, false) => output::table::render(&report).into_bytes(),
    };
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(&text).and_then(|_| stdout.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("modcrash: writing the report: {e}");
            }
        }
    }
    if cli.kernel_text.is_some() {
        for w in &report.warnings {
            eprintln!("modcrash: warning: {}: {}", w.context, w.message);
        }
    }
    if report.warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_WARNINGS)
    }
}

fn kernel_file(r: &analysis::Report, which: KernelText) -> Result<Vec<u8>, String> {
    let tracked = |what: &str, t: Option<String>| t.ok_or_else(|| format!("no {what} to print"));
    Ok(match which {
        KernelText::Stats => match &r.stats {
            Tracked::Kernel(s) | Tracked::Modtrack(s) => kernel_text::stats(s),
            Tracked::NotTracked { reason } => return Err(format!("modules/stats: {reason}")),
            Tracked::Unreadable { error } => {
                return Err(format!("modules/stats: unreadable: {error}"))
            }
        },
        KernelText::UnloadedTainted => match &r.unloaded_tainted {
            Tracked::Kernel(l) | Tracked::Modtrack(l) => kernel_text::unloaded_tainted(l),
            Tracked::NotTracked { reason } => {
                return Err(format!("modules/unloaded_tainted: {reason}"))
            }
            Tracked::Unreadable { error } => {
                return Err(format!("modules/unloaded_tainted: unreadable: {error}"))
            }
        },
        KernelText::ProcModules => kernel_text::proc_modules(&r.modules),
        KernelText::Tainted => tracked(
            "tainted_mask",
            r.taint.as_ref().map(|t| kernel_text::tainted(t.mask)),
        )?,
        KernelText::PrintModules => kernel_text::oops_modules(r),
        KernelText::ModtrackStats => kernel_text::stats(&modtrack(r)?.stats),
        KernelText::ModtrackUnloadedTainted => {
            kernel_text::unloaded_tainted(&modtrack(r)?.unloaded_tainted)
        }
        KernelText::Dmesg => {
            return match &r.kernel_log {
                Some(log) => Ok(output::dmesg::dmesg(log, false)),
                None => Err(format!(
                    "dmesg: the kernel log is unreadable: {}",
                    r.log.error.as_deref().unwrap_or("unknown")
                )),
            }
        }
    }
    .into_bytes())
}

fn modtrack(r: &analysis::Report) -> Result<&analysis::ModtrackReport, String> {
    r.modtrack.as_ref().ok_or_else(|| {
        match r
            .warnings
            .iter()
            .find(|w| w.kind == analysis::WarningKind::Modtrack)
        {
            Some(w) => format!("modtrack: unreadable: {}", w.message),
            None => {
                "modtrack: the module modtrack (tracker/) is not loaded in this dump".to_string()
            }
        }
    })
}

fn info(vmcore: &[PathBuf], json: bool) -> ExitCode {
    let dump = match vmcore {
        [one] => Dump::open(one),
        parts => Dump::open_split(parts),
    };
    match dump {
        Ok(d) => {
            let i = d.info();
            if json {
                println!("{}", serde_json::to_string_pretty(&i).unwrap_or_default());
            } else {
                print!("{}", output::info::render(&i));
            }
            if i.warnings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_WARNINGS)
            }
        }
        Err(e) => fail(&e),
    }
}

/// `modcrash log`: the log on stdout, notes and warnings on stderr.
fn log(
    vmcore: &std::path::Path,
    vmlinux: Option<&std::path::Path>,
    raw: bool,
    json: bool,
) -> ExitCode {
    use modcrash::analysis::log::read_log;
    use std::io::Write;
    let dump = match Dump::open(vmcore) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let vm = match vmlinux.map(modcrash::symbols::Vmlinux::open).transpose() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("modcrash: warning: vmlinux not used: {e}");
            None
        }
    };
    let unusable_vmlinux = vmlinux.is_some() && vm.is_none();
    let log = match read_log(&dump, dump.vmcoreinfo(), vm.as_ref()) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let out = if json {
        output::dmesg::json_lines(&log).into_bytes()
    } else {
        output::dmesg::dmesg(&log, raw)
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(&out).and_then(|_| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("modcrash: writing the log: {e}");
        }
    }
    for n in &log.notes {
        eprintln!("modcrash: note: {n}");
    }
    for w in &log.warnings {
        eprintln!("modcrash: warning: {}: {}", w.context, w.message);
    }
    if log.warnings.is_empty() && !unusable_vmlinux {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_WARNINGS)
    }
}

fn vtop(src: &Source, address: &str, force: bool) -> ExitCode {
    let Ok(va) = u64::from_str_radix(address.trim_start_matches("0x"), 16) else {
        eprintln!("modcrash: vtop: {address:?} is not a hex address");
        return ExitCode::from(EXIT_USAGE);
    };
    with_kernel(src, force, |k| {
        match output::vtop::render(k, modcrash::addr::Va(va)) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("modcrash: {e}");
                ExitCode::from(EXIT_WARNINGS)
            }
        }
    })
}

fn page(src: &Source, target: &str, json: bool, force: bool) -> ExitCode {
    let t = target.trim();
    let t = t.strip_prefix("pfn:").unwrap_or(t);
    let t = t.strip_prefix("0x").unwrap_or(t);
    let Ok(input) = u64::from_str_radix(t, 16) else {
        eprintln!("modcrash: page: {target:?} is not a hex pfn or address");
        return ExitCode::from(EXIT_USAGE);
    };
    with_kernel(src, force, |k| page_of(k, input, json))
}

/// The `page` subcommand on an open kernel.
fn page_of(k: &Kernel, input: u64, json: bool) -> ExitCode {
    let pages = match modcrash::kernel::page::Pages::new(k) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let read = pages
        .locate(input)
        .and_then(|(pfn, located)| Ok((pages.read(pfn)?, located)));
    match read {
        Ok((p, located)) => {
            let view = output::page::PageView {
                input,
                located: &located,
                vmemmap: pages.vmemmap,
                vmemmap_source: pages.vmemmap_source,
                page: &p,
            };
            if json {
                print!("{}", output::page::json(&view));
            } else {
                print!("{}", output::page::render(&view));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut msg = format!("modcrash: page: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg += &format!("\n  caused by: {s}");
                src = s.source();
            }
            eprintln!("{msg}");
            ExitCode::from(EXIT_WARNINGS)
        }
    }
}

/// The dump and, if given, its vmlinux; else where to look for one.
struct Source {
    vmcore: PathBuf,
    /// The parts of a split dump (the report only); empty or one: `vmcore` alone.
    parts: Vec<PathBuf>,
    vmlinux: Option<PathBuf>,
    debug_dirs: Vec<PathBuf>,
}

impl Source {
    fn new(vmcore: &std::path::Path, vmlinux: Option<PathBuf>, dirs: &[PathBuf]) -> Source {
        Source {
            vmcore: vmcore.to_path_buf(),
            parts: Vec::new(),
            vmlinux,
            debug_dirs: dirs.to_vec(),
        }
    }
}

/// The report's files: the dump (or a split dump's parts) and the vmlinux if given. Two files
/// are VMCORE VMLINUX unless both are dumps; more are a split dump's parts and at most one
/// vmlinux, told apart by their first bytes (a vmlinux is an ELF executable, a dump an ELF
/// core or a kdump file).
fn inputs(files: &[PathBuf]) -> Result<(Vec<PathBuf>, Option<PathBuf>), String> {
    let kind = |p: &PathBuf| -> Option<bool> {
        use std::io::Read;
        let mut head = [0u8; 18];
        std::fs::File::open(p).ok()?.read_exact(&mut head).ok()?;
        let e_type = u16::from_le_bytes([head[16], head[17]]);
        Some(head.starts_with(b"\x7fELF") && matches!(e_type, 2 | 3))
    };
    match files {
        [] => Err("no dump given".into()),
        [one] => Ok((vec![one.clone()], None)),
        [a, b] if kind(b) != Some(false) => Ok((vec![a.clone()], Some(b.clone()))),
        _ => {
            let (vml, dumps): (Vec<&PathBuf>, Vec<&PathBuf>) =
                files.iter().partition(|p| kind(p) == Some(true));
            if vml.len() > 1 {
                return Err(format!(
                    "{} and {} are both vmlinux files; give one",
                    vml[0].display(),
                    vml[1].display()
                ));
            }
            if dumps.is_empty() {
                return Err("no dump given, only a vmlinux".into());
            }
            Ok((
                dumps.into_iter().cloned().collect(),
                vml.first().map(|p| (*p).clone()),
            ))
        }
    }
}

/// `[VMLINUX] ARG` of the subcommands: one value is ARG alone.
fn split_optional_vmlinux(args: &[String]) -> (Option<PathBuf>, &str) {
    match args {
        [vmlinux, arg] => (Some(PathBuf::from(vmlinux)), arg.as_str()),
        [arg] => (None, arg.as_str()),
        _ => (None, ""),
    }
}

/// Open a dump and what describes its kernel (the vmlinux given, one found by build-id, or
/// the dump's own kallsyms and BTF); notes on how it was found go to stderr; on failure the
/// error is printed and the exit code returned.
fn open_target(src: &Source, opts: TargetOptions) -> Result<Target, ExitCode> {
    let search = || modcrash::kernel::open::DebugSearch::from_env(src.debug_dirs.clone());
    let t = match &src.vmlinux {
        _ if src.parts.len() > 1 => {
            Target::open_split(&src.parts, src.vmlinux.as_deref(), &search(), opts)
        }
        Some(vm) => Target::open(&src.vmcore, vm, opts),
        None => Target::open_auto(&src.vmcore, &search(), opts),
    }
    .map_err(|e| fail(&e))?;
    for n in &t.notes {
        eprintln!("modcrash: note: {n}");
    }
    Ok(t)
}

/// Open the target with only `--force` from the options and run `f` on its kernel (the
/// subcommands that read one object); a failure to open is printed and its exit code returned.
fn with_kernel(src: &Source, force: bool, f: impl FnOnce(&Kernel) -> ExitCode) -> ExitCode {
    let opts = TargetOptions {
        force,
        ..Default::default()
    };
    let target = match open_target(src, opts) {
        Ok(t) => t,
        Err(code) => return code,
    };
    match target.kernel() {
        Ok(k) => f(&k),
        Err(e) => fail_on(&target, &e),
    }
}

/// `fail` for a kernel view that could not be built: a truncated dump file is the likely
/// cause, so it is named first.
fn fail_on(target: &Target, e: &dyn std::error::Error) -> ExitCode {
    for t in target.dump.truncation() {
        eprintln!("modcrash: {}", t.message());
    }
    fail(e)
}

/// Write generated text to stdout; a closed pipe (`| head`) is not an error.
fn emit(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("modcrash: writing to stdout: {e}");
            ExitCode::from(EXIT_INPUT)
        }
        _ => ExitCode::SUCCESS,
    }
}

fn fail(e: &dyn std::error::Error) -> ExitCode {
    let mut msg = format!("modcrash: {e}");
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg += &format!("\n  caused by: {t}");
        }
        src = s.source();
    }
    eprintln!("{msg}");
    ExitCode::from(EXIT_INPUT)
}
