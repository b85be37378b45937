fn main() {
    eprintln!("modcrash: not wired up yet");
    std::process::exit(2);
}
